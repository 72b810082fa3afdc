"""Python threads and subprocesses under rewind (issue #6).

Three threading.Thread workers add to a shared total under a Lock, each
keeping its own tally; then subprocess.run and subprocess.check_output start
child processes (fork/vfork and exec). The output does not depend on
scheduling:
  worker N: 2000 additions, tally N
  total N
  run: returncode 0, stdout 'hi\n'
  check_output: 'sub\n'
  mt_python: checksum N
"""

import subprocess
import threading

ADDITIONS = 2000

lock = threading.Lock()
total = 0
tallies = {}


def work(index):
    global total
    tally = 0
    for i in range(ADDITIONS):
        value = (i * (index + 3)) % 97
        tally += value
        with lock:
            total += value
    tallies[index] = tally


threads = [threading.Thread(target=work, args=(n,), name="worker-%d" % n) for n in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()

for n in range(3):
    print("worker %d: %d additions, tally %d" % (n, ADDITIONS, tallies[n]))
print("total %d" % total)

run = subprocess.run(["echo", "hi"], capture_output=True)
print("run: returncode %d, stdout %r" % (run.returncode, run.stdout.decode()))
sub = subprocess.check_output(["/bin/sh", "-c", "echo sub"])
print("check_output: %r" % sub.decode())

checksum = total * 31 + sum(tallies.values()) + len(run.stdout) + len(sub)
print("mt_python: checksum %d" % checksum, flush=True)

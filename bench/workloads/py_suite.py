#!/usr/bin/env python3
"""bench.py's python row (issue 12): a unittest suite of 30 small tests of
the kinds CI runs: threads, subprocesses, temporary files and directories,
json and hashing. Deterministic output (unittest's summary on stderr)."""

import hashlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import unittest


class Files(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def test_write_read_lines(self):
        with open(self.path("a.txt"), "w") as f:
            for i in range(2000):
                f.write("line %d\n" % i)
        with open(self.path("a.txt")) as f:
            self.assertEqual(sum(1 for _ in f), 2000)

    def test_many_small_files(self):
        for i in range(200):
            with open(self.path("f%d" % i), "wb") as f:
                f.write(bytes([i % 256]) * (i + 1))
        self.assertEqual(len(os.listdir(self.dir.name)), 200)
        self.assertEqual(sum(os.path.getsize(self.path("f%d" % i)) for i in range(200)), 20100)

    def test_json_round_trip(self):
        data = {"k%d" % i: [i, str(i), {"sq": i * i}] for i in range(500)}
        with open(self.path("d.json"), "w") as f:
            json.dump(data, f)
        with open(self.path("d.json")) as f:
            self.assertEqual(json.load(f), data)

    def test_walk_tree(self):
        for d in range(10):
            os.makedirs(self.path("d%d/e" % d))
            for i in range(10):
                open(self.path("d%d/e/x%d" % (d, i)), "w").close()
        files = [f for _, _, fs in os.walk(self.dir.name) for f in fs]
        self.assertEqual(len(files), 100)

    def test_rename_and_stat(self):
        for i in range(100):
            p = self.path("r%d" % i)
            with open(p, "w") as f:
                f.write("x" * i)
            os.rename(p, p + ".done")
        self.assertEqual(os.stat(self.path("r99.done")).st_size, 99)

    def test_append_and_seek(self):
        with open(self.path("s"), "w+b") as f:
            for i in range(1000):
                f.write(b"%04d" % i)
            f.seek(400 * 4)
            self.assertEqual(f.read(4), b"0400")

    def test_hash_file(self):
        blob = bytes(range(256)) * 4096
        with open(self.path("h"), "wb") as f:
            f.write(blob)
        with open(self.path("h"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(),
                             hashlib.sha256(blob).hexdigest())

    def test_named_temporary_files(self):
        names = []
        for i in range(50):
            with tempfile.NamedTemporaryFile(dir=self.dir.name, delete=False) as f:
                f.write(b"%d" % i)
                names.append(f.name)
        self.assertEqual(len(set(names)), 50)

    def test_scandir_sizes(self):
        for i in range(100):
            with open(self.path("z%d" % i), "w") as f:
                f.write("y" * (i % 10))
        self.assertEqual(sum(e.stat().st_size for e in os.scandir(self.dir.name)), 450)

    def test_remove_tree(self):
        for i in range(50):
            os.makedirs(self.path("t/%d" % i))
        for i in range(50):
            os.rmdir(self.path("t/%d" % i))
        self.assertEqual(os.listdir(self.path("t")), [])


class Threads(unittest.TestCase):
    def test_workers_sum(self):
        results = [0] * 4

        def work(k):
            results[k] = sum(i * i for i in range(20000))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(set(results)), 1)

    def test_queue_producer_consumer(self):
        q = queue.Queue(maxsize=8)
        out = []

        def consume():
            while True:
                item = q.get()
                if item is None:
                    return
                out.append(item * 2)

        t = threading.Thread(target=consume)
        t.start()
        for i in range(2000):
            q.put(i)
        q.put(None)
        t.join()
        self.assertEqual(sum(out), 2 * sum(range(2000)))

    def test_lock_counter(self):
        lock = threading.Lock()
        count = [0]

        def bump():
            for _ in range(2000):
                with lock:
                    count[0] += 1

        threads = [threading.Thread(target=bump) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(count[0], 8000)

    def test_condition_ping_pong(self):
        cond = threading.Condition()
        state = {"turn": 0, "n": 0}

        def player(me):
            for _ in range(200):
                with cond:
                    while state["turn"] != me:
                        cond.wait()
                    state["n"] += 1
                    state["turn"] = 1 - me
                    cond.notify()

        threads = [threading.Thread(target=player, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(state["n"], 400)

    def test_event_fan_out(self):
        go = threading.Event()
        seen = []

        def wait(k):
            go.wait()
            seen.append(k)

        threads = [threading.Thread(target=wait, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join()
        self.assertEqual(sorted(seen), list(range(8)))

    def test_threads_write_files(self):
        with tempfile.TemporaryDirectory() as d:
            def write(k):
                with open(os.path.join(d, "t%d" % k), "w") as f:
                    for i in range(500):
                        f.write("%d %d\n" % (k, i))

            threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(len(os.listdir(d)), 4)

    def test_semaphore_bound(self):
        sem = threading.BoundedSemaphore(2)
        active = [0, 0]
        lock = threading.Lock()

        def use():
            with sem:
                with lock:
                    active[0] += 1
                    active[1] = max(active[1], active[0])
                sum(range(5000))
                with lock:
                    active[0] -= 1

        threads = [threading.Thread(target=use) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertLessEqual(active[1], 2)

    def test_barrier(self):
        barrier = threading.Barrier(4)
        after = []

        def meet(k):
            barrier.wait()
            after.append(k)

        threads = [threading.Thread(target=meet, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(after), 4)

    def test_thread_local(self):
        local = threading.local()
        values = []

        def set_get(k):
            local.v = k
            sum(range(1000))
            values.append(local.v == k)

        threads = [threading.Thread(target=set_get, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(all(values))

    def test_timer_runs(self):
        fired = threading.Event()
        t = threading.Timer(0.01, fired.set)
        t.start()
        self.assertTrue(fired.wait(5))
        t.join()


class Subprocesses(unittest.TestCase):
    def test_echo(self):
        out = subprocess.run(["echo", "hello"], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout, "hello\n")

    def test_shell_pipeline(self):
        out = subprocess.run("seq 1 200 | sort -n | tail -1", shell=True,
                             capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.strip(), "200")

    def test_exit_status(self):
        self.assertEqual(subprocess.run(["sh", "-c", "exit 3"]).returncode, 3)

    def test_python_child(self):
        out = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True,
                             text=True, check=True)
        self.assertEqual(out.stdout.strip(), "42")

    def test_stdin_to_child(self):
        out = subprocess.run(["wc", "-l"], input="a\nb\nc\n", capture_output=True, text=True,
                             check=True)
        self.assertEqual(out.stdout.strip(), "3")

    def test_child_writes_file(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "out")
            subprocess.run(["sh", "-c", 'seq 1 100 > "$0"', p], check=True)
            with open(p) as f:
                self.assertEqual(len(f.read().split()), 100)

    def test_popen_communicate(self):
        p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        out, _ = p.communicate(b"x" * 100000)
        self.assertEqual(len(out), 100000)

    def test_children_in_threads(self):
        results = []

        def run(k):
            results.append(subprocess.run(["sh", "-c", "echo %d" % k], capture_output=True,
                                          text=True).stdout.strip())

        threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), ["0", "1", "2"])

    def test_ls_temp_dir(self):
        with tempfile.TemporaryDirectory() as d:
            for i in range(20):
                open(os.path.join(d, "f%02d" % i), "w").close()
            out = subprocess.run(["ls", d], capture_output=True, text=True, check=True)
            self.assertEqual(len(out.stdout.split()), 20)

    def test_environment(self):
        env = dict(os.environ, BENCH_VALUE="17")
        out = subprocess.run(["sh", "-c", "echo $BENCH_VALUE"], env=env, capture_output=True,
                             text=True, check=True)
        self.assertEqual(out.stdout.strip(), "17")


if __name__ == "__main__":
    unittest.main()

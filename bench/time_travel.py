#!/usr/bin/env python3
"""Time-travel benchmark: checkpoint cost and reverse-continue latency.

1. Checkpoint creation and discard time against resident memory (1 MiB,
   64 MiB, 1 GiB), timed by bench/tools/checkpoint_bench on a real replay.
2. reverse-continue latency on a recording of >= 10 s with >= 10,000
   syscalls (time_travel_loop: 10,000 iterations, each a 1 ms sleep and a
   short computation), from just before the program exits back to a
   breakpoint near its end and to one near its start.
3. The same reverse session under gdb's `record full` on a workload small
   enough for it (it records ~5-20k instructions/s here), with rewind on the
   same small workload for the ratio.
4. Reverse execution inside a syscall-free loop, 5 * 10^7 passes into a
   loop of 10^8 (tests/programs/loop_marker): reverse-stepi, and
   reverse-continue to a breakpoint and to a watchpoint in the loop body.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def run(cmd, timeout=600, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, **kw)


def record(rewind, trace, argv):
    r = run([rewind, "record", "-o", trace] + argv)
    if r.returncode != 0:
        sys.exit(f"recording {argv} failed: {r.stderr}")


def timed(label, command):
    """gdb script lines that run `command` and print "LABEL seconds"."""
    return (f"python t = time.time()\n{command}\n"
            f'python print("{label} %.6f" % (time.time() - t))\n')


# The gdb script both sides run after reaching the program's last moments:
# times reverse-continue to LateMark, then to EarlyMark.
REVERSE_SESSION = ("python import time\nbreak LateMark\n" +
                   timed("RC_LATE", "reverse-continue") +
                   "delete\nbreak EarlyMark\n" +
                   timed("RC_EARLY", "reverse-continue"))


def parse_latencies(out):
    late = re.search(r"RC_LATE ([0-9.]+)", out)
    early = re.search(r"RC_EARLY ([0-9.]+)", out)
    if not late or not early:
        return None
    return float(late.group(1)), float(early.group(1))


def rewind_reverse_session(gdb, rewind, trace, program, script_dir):
    script = os.path.join(script_dir, "rewind_session.gdb")
    with open(script, "w") as f:
        f.write("set pagination off\nbreak _exit\ncontinue\ndelete\n" + REVERSE_SESSION +
                "monitor stats\n")
    r = run([gdb, "-nx", "-batch", "-ex", f"target remote | {rewind} replay --stdio {trace}",
             "-x", script, program])
    return parse_latencies(r.stdout), r.stdout + r.stderr


def record_full_reverse_session(gdb, program, iterations, script_dir):
    script = os.path.join(script_dir, "record_full_session.gdb")
    with open(script, "w") as f:
        # Record from the first iteration to the last one (no libc inside
        # the recorded loop except the sleep syscall wrapper), then go back.
        f.write("set pagination off\nset confirm off\nbreak EarlyMark\nrun\n"
                "set record full insn-number-max unlimited\nrecord full\n"
                "break LateMark\ncontinue\ncontinue\ndelete\n" + REVERSE_SESSION)
    r = run([gdb, "-nx", "-batch", "-x", script, "--args", program, str(iterations), "0"],
            timeout=900)
    return parse_latencies(r.stdout), r.stdout + r.stderr


# Run after `finish` out of Halfway, halfway through loop_marker's loop.
LOOP_SESSION = ("python import time\n" +
                timed("LOOP_RSI1", "reverse-stepi") +
                timed("LOOP_RSI2", "reverse-stepi") +
                "break loop_marker.c:{line}\n" +
                timed("LOOP_RC_BREAK", "reverse-continue") +
                "delete\nwatch g_sum\n" +
                timed("LOOP_RC_WATCH", "reverse-continue"))


def loop_reverse_session(gdb, rewind, work, build_dir, repo_root):
    program = os.path.join(build_dir, "tests", "programs", "loop_marker")
    source = os.path.join(repo_root, "tests", "programs", "loop_marker.c")
    with open(source) as f:
        line = next(i for i, text in enumerate(f, 1) if "@loop-body" in text)
    trace = os.path.join(work, "loop")
    record(rewind, trace, [program, "100000000"])
    script = os.path.join(work, "loop_session.gdb")
    with open(script, "w") as f:
        f.write("set pagination off\nbreak Halfway\ncontinue\nfinish\ndelete\n" +
                LOOP_SESSION.format(line=line))
    r = run([gdb, "-nx", "-batch", "-ex", f"target remote | {rewind} replay --stdio {trace}",
             "-x", script, program])
    names = ["LOOP_RSI1", "LOOP_RSI2", "LOOP_RC_BREAK", "LOOP_RC_WATCH"]
    found = [re.search(name + r" ([0-9.]+)", r.stdout) for name in names]
    if not all(found):
        return None, r.stdout + r.stderr
    return [float(m.group(1)) for m in found], ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--no-gdb", action="store_true", help="skip gdb record full")
    args = parser.parse_args()
    bench_dir = os.path.join(args.build_dir, "bench")
    rewind = os.path.join(args.build_dir, "rewind")
    gdb = shutil.which("gdb")
    work = tempfile.mkdtemp(prefix="rewind-tt-bench-")
    try:
        print("checkpoint cost against resident memory (median of 5):")
        for mib in (1, 64, 1024):
            trace = os.path.join(work, f"resident{mib}")
            record(rewind, trace, [os.path.join(bench_dir, "resident_memory"), str(mib)])
            r = run([os.path.join(bench_dir, "checkpoint_bench"), trace, "5"])
            m = re.search(r"checkpoint_ms ([0-9.]+) discard_ms ([0-9.]+) rss_mib (\d+)", r.stdout)
            if not m:
                sys.exit(f"checkpoint_bench failed: {r.stderr}")
            print(f"  {mib:5d} MiB asked, {m.group(3):>5} MiB resident: "
                  f"checkpoint {float(m.group(1)):8.2f} ms, discard {float(m.group(2)):8.2f} ms")
            shutil.rmtree(trace)

        program = os.path.join(bench_dir, "time_travel_loop")
        trace = os.path.join(work, "long")
        t0 = time.time()
        record(rewind, trace, [program, "10000", "1000"])
        rec_s = time.time() - t0
        dump = run([rewind, "dump", trace]).stdout
        syscalls = sum(1 for line in dump.splitlines() if " syscall " in line)
        print(f"\nreverse-continue on a {rec_s:.1f} s recording with {syscalls} syscalls "
              f"(time_travel_loop 10000 iterations, 1 ms sleeps):")
        lat, out = rewind_reverse_session(gdb, rewind, trace, program, work)
        if not lat:
            sys.exit("rewind reverse session failed:\n" + out[-3000:])
        print(f"  rewind: to a breakpoint near the end {lat[0]:.3f} s, near the start {lat[1]:.3f} s")
        stats = re.search(r"restores: .*", out)
        if stats:
            print(f"  ({stats.group(0)})")

        repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        loop, out = loop_reverse_session(gdb, rewind, work, args.build_dir, repo_root)
        print("\ninside a syscall-free loop, 5*10^7 of 10^8 passes in (loop_marker):")
        if loop:
            print(f"  reverse-stepi {loop[0]:.3f} s, the next one {loop[1]:.3f} s; "
                  f"reverse-continue to a breakpoint {loop[2]:.3f} s, to a watchpoint "
                  f"{loop[3]:.3f} s")
        else:
            print("  failed:\n" + out[-2000:])

        if args.no_gdb or not gdb:
            print("\ngdb record full: skipped")
            return
        small = 200
        small_trace = os.path.join(work, "small")
        record(rewind, small_trace, [program, str(small), "0"])
        mine, out = rewind_reverse_session(gdb, rewind, small_trace, program, work)
        theirs, out2 = record_full_reverse_session(gdb, program, small, work)
        print(f"\nthe same reverse session on {small} iterations (small enough for record full):")
        if mine:
            print(f"  rewind:           near end {mine[0]:.3f} s, near start {mine[1]:.3f} s")
        if theirs:
            print(f"  gdb record full:  near end {theirs[0]:.3f} s, near start {theirs[1]:.3f} s")
        else:
            print("  gdb record full: failed:\n" + out2[-1500:])
        if mine and theirs:
            print(f"  ratio record-full/rewind: near end {theirs[0] / max(mine[0], 1e-6):.2f}x, "
                  f"near start {theirs[1] / max(mine[1], 1e-6):.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""rewind's benchmark: record and replay overhead against native runs.

For each workload, native, record and replay runs are interleaved (so they
see the same machine state) and the median of each is reported with the
ratios record/native and replay/native. Each replay's output is compared
with its recording's. Then gdb's own `record full` is measured on a small
instance of the CPU-bound workload and its slowdown is extrapolated per
iteration, for comparison. Run through bench/run.sh, which builds first.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

COMMAND_TIMEOUT_S = 120


class Outcome:
    def __init__(self, seconds, status, out, err):
        self.seconds = seconds
        self.status = status
        self.out = out
        self.err = err

    def failure(self):
        last = self.err.decode(errors="replace").strip().splitlines()
        return "exit %s%s" % (self.status, (": " + last[-1][:70]) if last else "")


def run(argv, capture=True):
    start = time.perf_counter()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return Outcome(time.perf_counter() - start, "timeout", b"", b"timed out")
    seconds = time.perf_counter() - start
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return Outcome(seconds, status, p.stdout or b"", p.stderr)


def median(values):
    return statistics.median(values) if values else None


def fmt_s(seconds):
    return "-" if seconds is None else "%.3f s" % seconds


def fmt_ratio(num, den):
    if num is None or den is None or den <= 0:
        return "-"
    return "%.2fx" % (num / den)


def disk_usage(path):
    """Bytes a directory tree occupies on disk, as du counts them (each
    inode once)."""
    seen = set()
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total


def fmt_size(size):
    if size is None:
        return "-"
    if size >= 1 << 20:
        return "%.1f MiB" % (size / (1 << 20))
    return "%.0f KiB" % (size / 1024)


PREEMPT_RE = re.compile(rb"^#\d+ tid \d+ preempt ", re.M)


def count_preemptions(rewind, trace):
    """How many times the recorder stopped a thread where it was to let
    another run (PreemptEvents): each costs a walk to a probe site."""
    dump = run([rewind, "dump", trace])
    return len(PREEMPT_RE.findall(dump.out)) if dump.status == 0 else None


def bench_workload(rewind, name, argv, runs, scratch, floor=None, record_args=()):
    """Interleaved native, record and replay runs of argv; with `floor` (a
    ptrace floor command line), also that tracer on the same program;
    `record_args` are extra options for `rewind record` (--syscallbuf)."""
    native, record, replay, floors, sizes, preempts = [], [], [], [], [], []
    problems = []
    for i in range(runs):
        n = run(argv)
        if n.status != 0:
            problems.append("native run " + n.failure())
            break
        native.append(n.seconds)

        if floor:
            f = run(floor + argv)
            if f.status != 0:
                problems.append("ptrace floor " + f.failure())
                break
            floors.append(f.seconds)

        trace = os.path.join(scratch, "%s-%d.trace" % (re.sub(r"\W", "_", name), i))
        r = run([rewind, "record", "-o", trace] + list(record_args) + argv)
        if r.status != 0:
            problems.append("record " + r.failure())
            break
        record.append(r.seconds)

        p = run([rewind, "replay", "-a", trace])
        if p.status != 0:
            problems.append("replay " + p.failure())
            break
        if p.out != r.out:
            problems.append("replay output differs from the recording")
            break
        replay.append(p.seconds)
        sizes.append(disk_usage(trace))
        preempted = count_preemptions(rewind, trace)
        if preempted is not None:
            preempts.append(preempted)
        shutil.rmtree(trace, ignore_errors=True)
    return {
        "name": name,
        "native": median(native),
        "record": median(record),
        "replay": median(replay),
        "floor": median(floors),
        "trace": median(sizes),
        "preempts": median(preempts),
        "runs": len(native),
        "problems": problems,
    }


SNAPSHOT_ROW_RE = re.compile(
    # seq, event, [process,] bytes, new pages, stop, fork[, name]
    r"^  (\d+) +(\d+) +(?:\d+ +)?(\d+) +(\d+) +([0-9.]+) ms +([0-9.]+) ms(?: .*)?$", re.M)


def bench_snapshot_costs(rewind, argv, scratch):
    """Records argv once with a snapshot every second and reads back,
    with `rewind info`, what each snapshot cost: the program's stop and the
    fork within it, and the bytes stored. A list of lines to report."""
    trace = os.path.join(scratch, "snapshot-costs.trace")
    r = run([rewind, "record", "--snapshot-interval", "1", "-o", trace] + argv)
    if r.status != 0:
        return ["snapshot costs: record " + r.failure()]
    info = run([rewind, "info", trace])
    rows = SNAPSHOT_ROW_RE.findall(info.out.decode(errors="replace"))
    shutil.rmtree(trace, ignore_errors=True)
    if not rows:
        return ["snapshot costs: no snapshots in a %.1f s recording" % r.seconds]
    stops = [float(row[4]) for row in rows]
    forks = [float(row[5]) for row in rows]
    later = [int(row[2]) for row in rows[1:]]
    lines = ["snapshots of %s: %d in %.1f s; program stop per snapshot: median %.2f ms, "
             "max %.2f ms; fork within it: median %.2f ms" %
             (os.path.basename(argv[0]), len(rows), r.seconds, median(stops), max(stops),
              median(forks))]
    lines.append("  bytes: first %s (%s pages), later ones median %s (%s new pages)" % (
        fmt_size(int(rows[0][2])), rows[0][3],
        fmt_size(median(later)) if later else "-",
        median([int(row[3]) for row in rows[1:]]) if later else "-"))
    return lines


def bench_snapshot_bytes(rewind, argv, scratch, working_pages):
    """Records argv (a large resident process rewriting a small working set)
    with a snapshot every second, and reports what the snapshots after the
    first store per second of recording: only the changed pages should be,
    about `working_pages` per snapshot. A list of lines to report."""
    trace = os.path.join(scratch, "snapshot-bytes.trace")
    r = run([rewind, "record", "--snapshot-interval", "1", "-o", trace] + argv)
    if r.status != 0:
        return ["snapshot bytes: record " + r.failure()]
    info = run([rewind, "info", trace])
    rows = SNAPSHOT_ROW_RE.findall(info.out.decode(errors="replace"))
    shutil.rmtree(trace, ignore_errors=True)
    if len(rows) < 2:
        return ["snapshot bytes: %d snapshots in a %.1f s recording" % (len(rows), r.seconds)]
    later = rows[1:]
    later_bytes = sum(int(row[2]) for row in later)
    # The later snapshots cover the recording after the first: one interval each.
    return ["snapshot bytes of %s: %d snapshots in %.1f s; the first %s (%s pages)" %
            (" ".join([os.path.basename(argv[0])] + argv[1:]), len(rows), r.seconds,
             fmt_size(int(rows[0][2])), rows[0][3]),
            "  the %d later ones: median %s and %s new pages each (the working set: %d pages), "
            "%s per second of the whole recording" %
            (len(later), fmt_size(median([int(row[2]) for row in later])),
             median([int(row[3]) for row in later]), working_pages,
             fmt_size(later_bytes / r.seconds))]


GOTO_RE = re.compile(r"GOTO_S ([0-9.]+)")
EVENTS_RE = re.compile(r"^events +(\d+)$", re.M)


def last_event_of(rewind, trace, program):
    """The recorded pid of the last process of `trace` running `program`, and
    the number of its last event; (None, reason) when there is none."""
    ps = run([rewind, "ps", trace]).out.decode(errors="replace").splitlines()[1:]
    pids = [row.split()[0] for row in ps if len(row.split()) > 3 and
            os.path.basename(row.split()[3]) == os.path.basename(program)]
    if not pids:
        return None, "`rewind ps` lists no process of " + program
    pid = pids[-1]
    event_re = re.compile(r"^#(\d+) tid %s " % pid, re.M)
    events = event_re.findall(run([rewind, "dump", trace]).out.decode(errors="replace"))
    if not events:
        return None, "`rewind dump` shows no event of process " + pid
    return (pid, int(events[-1])), None


def bench_goto_last(rewind, argv, scratch, label="goto last event", interval="1", shell=False):
    """Records argv with a snapshot every `interval` seconds (under `sh -c
    'ARGV; true'` with `shell`: a shell waiting for its child), then times
    gdb's `monitor goto` to the last event of argv's process from a fresh
    replay: from the trace's snapshots, and re-executing (--no-snapshots).
    Lines to report."""
    trace = os.path.join(scratch, "goto-last.trace")
    recorded = argv
    if shell:
        recorded = ["/bin/sh", "-c", " ".join(argv) + "; true"]
    r = run([rewind, "record", "--snapshot-interval", interval, "-o", trace] + recorded)
    if r.status != 0:
        return ["%s: record %s" % (label, r.failure())]
    focus = []
    if shell:
        found, problem = last_event_of(rewind, trace, argv[0])
        if problem:
            return ["%s: %s" % (label, problem)]
        pid, last = found
        focus = ["-f", pid]
    else:
        m = EVENTS_RE.search(run([rewind, "info", trace]).out.decode(errors="replace"))
        if not m:
            return ["%s: `rewind info` shows no event count" % label]
        last = int(m.group(1)) - 1
    times = {}
    for kind, extra in (("snapshots", []), ("re-execution", ["--no-snapshots"])):
        g = run(["gdb", "-nx", "-batch", "-ex", "set confirm off",
                 "-ex", "target extended-remote | %s replay --stdio %s %s" % (
                     rewind, " ".join(extra + focus), trace),
                 "-ex", "python import time", "-ex", "python t = time.time()",
                 "-ex", "monitor goto %d" % last,
                 "-ex", 'python print("GOTO_S %.6f" % (time.time() - t))', argv[0]])
        found = GOTO_RE.search(g.out.decode(errors="replace"))
        if not found:
            return ["%s: gdb %s" % (label, g.failure())]
        times[kind] = float(found.group(1))
    shutil.rmtree(trace, ignore_errors=True)
    return ["%s (%d) of a %.1f s recording, snapshots every %s s: from snapshots %.2f s, "
            "re-executing %.2f s (%s)" % (label, last, r.seconds, interval, times["snapshots"],
                                          times["re-execution"],
                                          fmt_ratio(times["snapshots"], times["re-execution"]))]


GDB_LOG_RE = re.compile(r"Log contains (\d+) instructions")


def bench_gdb_record_full(cpu_bound, iterations):
    """Seconds gdb's `record full` spends recording Compute(iterations), and
    how many instructions it recorded; (None, None, reason) on failure."""
    common = ["gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off",
              "-ex", "break Compute", "-ex", "run"]
    tail = ["-ex", "continue", "--args", cpu_bound, str(iterations)]
    base = run(common + ["-ex", "finish"] + tail)
    rec = run(common + ["-ex", "set record full insn-number-max unlimited",
                        "-ex", "record full", "-ex", "finish", "-ex", "info record",
                        "-ex", "record stop"] + tail)
    text = rec.out.decode(errors="replace") + rec.err.decode(errors="replace")
    m = GDB_LOG_RE.search(text)
    if base.status != 0 or rec.status != 0 or not m:
        lines = [l for l in text.splitlines() if l.strip()]
        return None, None, "gdb failed: " + (lines[-1] if lines else rec.failure())
    return rec.seconds - base.seconds, int(m.group(1)), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gdb-iterations", type=int, default=2000,
                        help="Compute() iterations recorded by gdb (14 instructions each)")
    parser.add_argument("--no-gdb", action="store_true")
    parser.add_argument("--only", metavar="REGEX",
                        help="run only the workloads whose name matches (e.g. 'make|ls')")
    parser.add_argument("--output", help="also write the report to this file")
    args = parser.parse_args()

    build = os.path.abspath(args.build_dir)
    rewind = os.path.join(build, "rewind")
    cpu_bound = os.path.join(build, "bench", "cpu_bound")
    syscall_heavy = os.path.join(build, "bench", "syscall_heavy")
    thread_pool = os.path.join(build, "bench", "thread_pool")
    itimer_loop = os.path.join(build, "bench", "itimer_loop")
    ptrace_floor = [os.path.join(build, "bench", "ptrace_floor")]
    workloads_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads")
    # Issue #12's build rows: a generated 12-module C project and a
    # generated ~2.5k-line C file (bench/workloads/gen_c.py), written into
    # a scratch directory that outlives the runs.
    inputs = tempfile.mkdtemp(prefix="rewind-bench-inputs-")
    make_project = os.path.join(inputs, "project")
    big_c = os.path.join(inputs, "big.c")
    for kind, path in (("project", make_project), ("file", big_c)):
        subprocess.run([sys.executable, os.path.join(workloads_dir, "gen_c.py"), kind, path],
                       check=True)
    gcc_argv = ["gcc", "-O2", "-c", "-o", os.path.join(inputs, "big.o"), big_c]
    py_suite = [sys.executable, os.path.join(workloads_dir, "py_suite.py")]
    # 20 rounds of fixed work (~0.25 s each here), 1% of 64 MiB changed per round.
    snap_heap = [os.path.join(build, "tests", "programs", "snap_heap"), "20", "0", "6000"]
    # 1 GiB resident, 10 MiB of it rewritten continuously for 5 s.
    working_set = [os.path.join(build, "bench", "working_set"), "1024", "10", "5"]
    make_out = os.path.join(tempfile.gettempdir(), "rewind-bench-make-%d" % os.getpid())
    workloads = [
        ("cpu_bound", [cpu_bound], None),
        # The ptrace floor (issue #12): what a tracer stopping at every
        # syscall entry and exit, and doing nothing else, costs.
        ("syscall_heavy (200k syscalls)", [syscall_heavy], ptrace_floor, ["--no-syscallbuf"]),
        ("ls -lR /usr/include", ["/bin/ls", "-lR", "/usr/include"], None, ["--no-syscallbuf"]),
        # Issue #12 step 2: the same two with the in-process syscall buffer
        # (the default; the rows above turn it off).
        ("syscall_heavy --syscallbuf", [syscall_heavy], None, ["--syscallbuf"]),
        # Issue #16: the default snapshot interval's share of the rows with
        # the buffer (each row without "no snapshots" records at the default).
        ("syscall_heavy --syscallbuf, no snapshots", [syscall_heavy], None,
         ["--syscallbuf", "--snapshot-interval", "0"]),
        ("ls -lR --syscallbuf", ["/bin/ls", "-lR", "/usr/include"], None, ["--syscallbuf"]),
        # Issue #6: threads, and a tree of processes.
        ("thread_pool (4 threads)", [thread_pool], None, ["--no-syscallbuf"]),
        ("thread_pool --syscallbuf", [thread_pool], None, ["--syscallbuf"]),
        ("sh: ls | sort | head -3", ["/bin/sh", "-c", "ls /usr/include | sort | head -3"], None),
        # Issue #13: signals reaching a loop without syscalls (100 ticks, 1 ms timer).
        ("itimer_loop (1 ms timer)", [itimer_loop], None),
        # Issue #13: two threads handing a ball back and forth 600 times
        # through an atomic, spinning (no syscall) while they wait.
        ("spin ping-pong (600 hand-offs)",
         [os.path.join(build, "tests", "programs", "mt_spin_flag")], None),
        # Issue #12: a process-heavy build, 13 compilers and a linker into a
        # fresh directory each run; with the buffer and without.
        ("make -j2 (12 modules)", ["/bin/sh", "-c", 'rm -rf "$1" && mkdir "$1" && '
                                   'make -s -j2 -C "$2" OUT="$1"', "sh", make_out,
                                   make_project], None, ["--no-syscallbuf"]),
        # Issue #16: persistent snapshots while recording, a 64 MiB heap
        # changing 1% per round: a snapshot every second or two against none
        # (the syscall buffer on, the default).
        ("snap_heap 64 MiB, snapshots 1 s", snap_heap, None, ["--snapshot-interval", "1"]),
        ("snap_heap 64 MiB, snapshots 2 s", snap_heap, None, ["--snapshot-interval", "2"]),
        ("snap_heap 64 MiB, no snapshots", snap_heap, None, ["--snapshot-interval", "0"]),
        # The same with its lines to /dev/null: every call it makes then is
        # buffered, and the snapshot boundaries are asked of the library.
        ("snap_heap > /dev/null, snapshots 1 s", snap_heap + ["/dev/null"], None,
         ["--snapshot-interval", "1"]),
        ("snap_heap > /dev/null, no snapshots", snap_heap + ["/dev/null"], None,
         ["--snapshot-interval", "0"]),
        # Issue #16: snapshots of a large process with a small working set
        # (the bytes they store per second are reported below the table).
        ("working_set 1 GiB, 10 MiB written", working_set, None),
        ("working_set 1 GiB, no snapshots", working_set, None, ["--snapshot-interval", "0"]),
        ("make -j2 --syscallbuf", ["/bin/sh", "-c", 'rm -rf "$1" && mkdir "$1" && '
                                   'make -s -j2 -C "$2" OUT="$1"', "sh", make_out,
                                   make_project], None, ["--syscallbuf"]),
        ("make -j2 --syscallbuf, no snapshots",
         ["/bin/sh", "-c", 'rm -rf "$1" && mkdir "$1" && make -s -j2 -C "$2" OUT="$1"', "sh",
          make_out, make_project], None, ["--syscallbuf", "--snapshot-interval", "0"]),
        # Issue #12: one optimizing compile, and a python3 unittest suite of
        # 30 tests (threads, subprocesses, temporary files).
        ("gcc -O2 -c (2.5k lines)", gcc_argv, None, ["--syscallbuf"]),
        ("python3 unittest (30 tests)", py_suite, None, ["--no-syscallbuf"]),
        ("python3 unittest --syscallbuf", py_suite, None, ["--syscallbuf"]),
        ("python3 unittest --syscallbuf, no snapshots", py_suite, None,
         ["--syscallbuf", "--snapshot-interval", "0"]),
    ]

    report = []

    def say(line=""):
        print(line, flush=True)
        report.append(line)

    say("rewind benchmark: median of %d interleaved runs; %s, %d CPUs" %
        (args.runs, os.uname().release, os.cpu_count()))
    say()
    results = []
    with tempfile.TemporaryDirectory(prefix="rewind-bench-") as scratch:
        for name, argv, floor, *record_args in workloads:
            if args.only and not re.search(args.only, name):
                continue
            print("  running %s ..." % name, file=sys.stderr, flush=True)
            results.append(bench_workload(rewind, name, argv, args.runs, scratch, floor,
                                          record_args[0] if record_args else ()))
    shutil.rmtree(make_out, ignore_errors=True)
    shutil.rmtree(inputs, ignore_errors=True)

    header = "%-44s %10s %10s %10s %15s %15s %10s %9s" % (
        "workload", "native", "record", "replay", "record/native", "replay/native", "trace",
        "preempts")
    say(header)
    say("-" * len(header))
    for r in results:
        say("%-44s %10s %10s %10s %15s %15s %10s %9s" % (
            r["name"], fmt_s(r["native"]), fmt_s(r["record"]), fmt_s(r["replay"]),
            fmt_ratio(r["record"], r["native"]), fmt_ratio(r["replay"], r["native"]),
            fmt_size(r["trace"]), "-" if r["preempts"] is None else "%g" % r["preempts"]))
        if r["floor"] is not None:
            say("%-44s %10s %10s %10s %15s" % (
                "  ptrace floor (same program)", "", fmt_s(r["floor"]), "",
                fmt_ratio(r["floor"], r["native"])))
        for problem in r["problems"]:
            say("    ! %s" % problem)
    heavy = next((r for r in results if r["floor"] is not None), None)
    if heavy and heavy["native"] is not None and None not in (heavy["record"], heavy["replay"]):
        syscalls = 200000

        def per_syscall(seconds):
            return "%.1f us" % ((seconds - heavy["native"]) / syscalls * 1e6)

        say()
        say("per syscall of syscall_heavy, beyond native: ptrace floor %s, record %s, replay %s"
            % (per_syscall(heavy["floor"]), per_syscall(heavy["record"]),
               per_syscall(heavy["replay"])))

    if any(r["name"].startswith("working_set") for r in results):
        say()
        with tempfile.TemporaryDirectory(prefix="rewind-bench-") as scratch:
            # Longer than the table's runs: the first snapshot stores the
            # whole GiB, and its writer takes ~10-15 s here (hashing and
            # compressing 262k distinct pages, on a loaded 2-CPU machine),
            # during which no later one is taken.
            for line in bench_snapshot_bytes(rewind, working_set[:3] + ["30"], scratch,
                                             10 * 256):
                say(line)

    if any(r["name"].startswith("snap_heap") for r in results):
        say()
        with tempfile.TemporaryDirectory(prefix="rewind-bench-") as scratch:
            for line in bench_snapshot_costs(rewind, snap_heap, scratch):
                say(line)
            if shutil.which("gdb"):
                # ~7 s recorded: 28 rounds of the same work; alone, and as
                # the child of a shell (a set of two programs restored).
                long_heap = [snap_heap[0], "28", "0", "6000"]
                for line in bench_goto_last(rewind, long_heap, scratch):
                    say(line)
                for line in bench_goto_last(rewind, long_heap, scratch,
                                            "goto last event of sh -c's child", shell=True):
                    say(line)

    say()
    cpu = next((r for r in results if r["name"] == "cpu_bound"), None)
    if args.no_gdb:
        say("gdb record full: skipped (--no-gdb)")
    elif cpu is None:
        say("gdb record full: skipped (cpu_bound was not run)")
    elif not shutil.which("gdb"):
        say("gdb record full: skipped (gdb is not installed)")
    else:
        print("  running gdb record full ...", file=sys.stderr, flush=True)
        m = re.search(rb"(\d+) iterations", run([cpu_bound]).out)
        seconds, insns, problem = bench_gdb_record_full(cpu_bound, args.gdb_iterations)
        if problem:
            say("gdb record full: skipped (%s)" % problem)
        elif cpu["native"] is None or not m or seconds <= 0:
            say("gdb record full: recorded %d instructions but the native time is unknown" % insns)
        else:
            native_per_iteration = cpu["native"] / int(m.group(1))
            slowdown = seconds / (args.gdb_iterations * native_per_iteration)
            say("gdb record full on cpu_bound, %d iterations: %d instructions in %.2f s "
                "(%.0f instructions/s)" % (args.gdb_iterations, insns, seconds, insns / seconds))
            rewind_ratio = fmt_ratio(cpu["record"], cpu["native"])
            say("  slowdown vs native, per iteration: gdb record full %.2gx, rewind record %s"
                % (slowdown, rewind_ratio))

    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as f:
            f.write("\n".join(report) + "\n")
    failed = any(r["problems"] for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

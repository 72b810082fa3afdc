#!/usr/bin/env bash
# One command for the benchmark: builds rewind and the benchmark programs if
# needed, then prints record/native and replay/native ratios for a CPU-bound
# program, a syscall-heavy one, `ls -lR /usr/include`, a pool of 4 threads
# and a shell pipeline (issue #6), `make -j2` of a generated 12-module
# project, `gcc -O2 -c` of a generated 2.5k-line file and a python3
# unittest suite (issue #12, bench/workloads/), with the trace size of
# each and the ptrace floor, plus gdb's `record full` on a small
# CPU-bound run for comparison; then checkpoint cost and reverse-continue
# latency (bench/time_travel.py), also against `record full` (~3-5 minutes).
# Extra arguments go to bench.py (e.g. --runs 5, --no-gdb). The report is
# also written to bench/out/latest.txt. A workload that fails (bench.py
# exits 1) does not stop the time-travel part; the script exits 1 after it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

ensure_packages
build_rewind rewind rewind_bench_programs mt_spin_flag snap_heap loop_marker
echo
bench_status=0
python3 "$REPO_ROOT/bench/bench.py" --build-dir "$BUILD_DIR" \
  --output "$REPO_ROOT/bench/out/latest.txt" "$@" || bench_status=$?
echo
echo "== time travel"
python3 "$REPO_ROOT/bench/time_travel.py" --build-dir "$BUILD_DIR" | tee -a "$REPO_ROOT/bench/out/latest.txt"
exit "$bench_status"

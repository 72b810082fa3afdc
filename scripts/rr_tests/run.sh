#!/usr/bin/env bash
# Records and replays rr's own test programs with rewind: a fidelity check
# on programs nobody wrote for rewind. Not part of the test suite (it needs
# a checkout of rr, which this repository does not hold).
#
# usage: scripts/rr_tests/run.sh RR_CHECKOUT [NAME...]
#   RR_CHECKOUT  a clone of https://github.com/rr-debugger/rr
#   NAME         test programs to run (default: every "basic" one, i.e. a
#                src/test/NAME.c without a NAME.run script)
# Environment: REWIND (default build/rewind), JOBS (default 1),
#   WORK (default /tmp/rewind-rr-tests).
#
# Each program is run natively, recorded and replayed (replay -a). A program
# passes when the native run prints EXIT-SUCCESS, the recording exits as the
# native run did and prints EXIT-SUCCESS, and the replay exits as the
# recording did with the same stdout. Prints one line per program and a
# summary; the per-program files stay in $WORK/NAME.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rr="${1:?usage: $0 RR_CHECKOUT [NAME...]}"
shift
REWIND="${REWIND:-$repo/build/rewind}"
WORK="${WORK:-/tmp/rewind-rr-tests}"
JOBS="${JOBS:-1}"
tests="$rr/src/test"
[ -f "$tests/util.h" ] || { echo "$rr is not an rr checkout (no src/test/util.h)" >&2; exit 2; }
[ -x "$REWIND" ] || { echo "no rewind binary at $REWIND (set REWIND)" >&2; exit 2; }
mkdir -p "$WORK/bin" "$WORK/gen"

# util.h includes a header rr generates at build time.
if [ ! -f "$WORK/gen/SyscallEnumsForTestsX64.generated" ]; then
  (cd "$rr/src" && python3 generate_syscalls.py "$WORK/gen/SyscallEnumsForTestsX64.generated") ||
    { echo "generating rr's syscall enums failed" >&2; exit 2; }
fi

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$tests"/*.c; do
    n="$(basename "$f" .c)"
    [ -e "$tests/$n.run" ] || names+=("$n")
  done
fi

build_one() {
  local n="$1"
  [ -x "$WORK/bin/$n" ] && return 0
  gcc -I"$rr/include" -I"$rr/src" -I"$rr/src/preload" -I"$WORK/gen" -g -O0 -pthread \
    -D_GNU_SOURCE -w "$tests/$n.c" -o "$WORK/bin/$n" -lrt -ldl -lm 2>/dev/null
}

run_one() {
  local n="$1" d="$WORK/$1"
  if ! build_one "$n"; then echo "$n COMPILE-FAIL"; return; fi
  rm -rf "$d" && mkdir -p "$d" && cd "$d" || return
  timeout 20 "$WORK/bin/$n" >native.out 2>native.err </dev/null
  local nrc=$?
  if ! grep -q EXIT-SUCCESS native.out native.err; then echo "$n NATIVE-FAIL rc=$nrc"; return; fi
  timeout 120 "$REWIND" record -o tr "$WORK/bin/$n" >rec.out 2>rec.err </dev/null
  local rrc=$?
  if [ $rrc -ne $nrc ] || ! grep -q EXIT-SUCCESS rec.out rec.err; then
    echo "$n RECORD-FAIL rc=$rrc native=$nrc $(grep '^rewind:' rec.err | grep -v 'trace saved' | tail -1 | cut -c1-200)"
    return
  fi
  timeout 120 "$REWIND" replay -a tr >rep.out 2>rep.err </dev/null
  local prc=$?
  if [ $prc -ne $rrc ]; then echo "$n REPLAY-FAIL rc=$prc $(tail -1 rep.err | cut -c1-200)"; return; fi
  if ! cmp -s <(grep -v '^rewind:' rec.out) <(grep -v '^rewind:' rep.out); then
    echo "$n OUTPUT-DIFF"
    return
  fi
  echo "$n PASS"
}
export -f build_one run_one
export REWIND WORK rr tests

printf '%s\n' "${names[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$@" 2>/dev/null' _ {} | tee "$WORK/results.txt"
echo "---"
awk '{print $2}' "$WORK/results.txt" | sort | uniq -c
pass=$(grep -c ' PASS$' "$WORK/results.txt")
ran=$(grep -vc 'NATIVE-FAIL\|COMPILE-FAIL' "$WORK/results.txt")
echo "rewind passes $pass of the $ran rr test programs that pass natively here"

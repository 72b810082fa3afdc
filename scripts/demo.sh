#!/usr/bin/env bash
# The README's demo: installs what is missing, builds rewind, records
# examples/hello_rewind (which reads the clock and random data), runs it
# natively again to show those values change, replays the recording twice to
# show they do not, and, when this build of rewind has a gdb mode, travels
# backwards through the program with gdb in batch mode.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages
build_rewind rewind rewind_examples

REWIND="$BUILD_DIR/rewind"
EXAMPLE="$BUILD_DIR/examples/hello_rewind"
DEMO_DIR="$BUILD_DIR/demo"
TRACE="$DEMO_DIR/hello_rewind.trace"
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
cd "$REPO_ROOT"

echo
echo "==> 1. record the example"
show_command "$REWIND" record -o "$TRACE" "$EXAMPLE"
"$REWIND" record -o "$TRACE" "$EXAMPLE" | tee "$DEMO_DIR/recorded.out"

echo
echo "==> 2. run it natively again: new time, new seed, new scores"
show_and_run "$EXAMPLE"

echo
echo "==> 3. replay the recording (twice): the same output every time"
for i in 1 2; do
  show_command "$REWIND" replay -a "$TRACE"
  "$REWIND" replay -a "$TRACE" | tee "$DEMO_DIR/replayed-$i.out"
  if ! cmp -s "$DEMO_DIR/recorded.out" "$DEMO_DIR/replayed-$i.out"; then
    echo "rewind demo: replay $i differs from the recording:" >&2
    diff "$DEMO_DIR/recorded.out" "$DEMO_DIR/replayed-$i.out" >&2 || true
    exit 1
  fi
done
echo
echo "ok: both replays printed exactly what the recording printed"

echo
echo "==> 4. debug the recording backwards with gdb"
if "$REWIND" replay --help 2>&1 | grep -qi gdb; then
  # rr-style: options after `--` go to gdb. examples/hello_rewind.gdb stops
  # in round 2, goes back to round 1 with reverse-continue and back out of
  # Score() with reverse-finish.
  # A hung session fails the demo after 5 minutes instead of never ending.
  show_command "$REWIND" replay "$TRACE" -- -batch -nx -x "$REPO_ROOT/examples/hello_rewind.gdb"
  timeout 300 "$REWIND" replay "$TRACE" -- -batch -nx -x "$REPO_ROOT/examples/hello_rewind.gdb"
else
  echo "(skipped: this build of rewind has no gdb mode yet; 'rewind replay --help' does not mention gdb)"
fi

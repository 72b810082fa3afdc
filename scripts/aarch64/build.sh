#!/usr/bin/env bash
# Cross-builds what the AArch64 test VM runs, into build-aarch64/ (or
# $REWIND_A64_BUILD_DIR): the rewind binary (static, via
# cmake/aarch64-toolchain.cmake) and the test programs of tests/programs/
# (static, plus dynamically linked variants whose arm64 libraries the
# initramfs carries). Needs scripts/aarch64/packages.sh's packages.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
A64_BUILD_DIR="${REWIND_A64_BUILD_DIR:-$REPO_ROOT/build-aarch64}"
JOBS="${REWIND_JOBS:-2}"

# Programs the guest suite runs (scripts/aarch64/guest_init.sh).
A64_STATIC_PROGRAMS=(random_bytes time_sources file_io segfault sigusr1_handler gdb_rounds
  sig_itimer_1ms busy_wait_signal)
A64_DYNAMIC_PROGRAMS=(random_bytes cxx_random)

a64_build() {
  echo "==> aarch64: cross-building rewind in ${A64_BUILD_DIR#"$REPO_ROOT"/}"
  cmake -S "$REPO_ROOT" -B "$A64_BUILD_DIR" \
    -DCMAKE_TOOLCHAIN_FILE="$REPO_ROOT/cmake/aarch64-toolchain.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREWIND_BUILD_TESTS=OFF --log-level=WARNING
  cmake --build "$A64_BUILD_DIR" -j"$JOBS" --target rewind

  echo "==> aarch64: building the test programs"
  local out="$A64_BUILD_DIR/programs" p src cc
  mkdir -p "$out"
  # As tests/CMakeLists.txt builds them, so gdb steps through them naturally.
  local flags=(-g -O0 -fno-omit-frame-pointer)
  for p in "${A64_STATIC_PROGRAMS[@]}" "${A64_DYNAMIC_PROGRAMS[@]}"; do
    src=$(ls "$REPO_ROOT/tests/programs/$p".c* 2>/dev/null | head -n1)
    [ -n "$src" ] || { echo "rewind: no tests/programs/$p.c or .cc" >&2; return 1; }
  done
  for p in "${A64_STATIC_PROGRAMS[@]}"; do
    src=$(ls "$REPO_ROOT/tests/programs/$p".c* | head -n1)
    cc=aarch64-linux-gnu-gcc
    [[ "$src" == *.cc ]] && cc=aarch64-linux-gnu-g++
    "$cc" "${flags[@]}" -static -o "$out/$p" "$src"
  done
  for p in "${A64_DYNAMIC_PROGRAMS[@]}"; do
    src=$(ls "$REPO_ROOT/tests/programs/$p".c* | head -n1)
    cc=aarch64-linux-gnu-gcc
    [[ "$src" == *.cc ]] && cc=aarch64-linux-gnu-g++
    # cxx_random is the C++ program; it stays dynamic under its own name.
    local name="$p.dyn"
    [ "$p" = cxx_random ] && name=$p
    "$cc" "${flags[@]}" -o "$out/$name" "$src"
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  a64_build
fi

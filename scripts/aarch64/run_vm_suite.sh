#!/usr/bin/env bash
# The AArch64 suite: cross-builds rewind and the test programs, boots
# Debian's arm64 kernel with a busybox initramfs in qemu-system-aarch64, and
# runs scripts/aarch64/guest_init.sh there: record/replay end-to-end tests
# plus a gdb session that gdb-multiarch on this host drives over a
# virtio-serial port. Prints the guest's "N passed, M failed" summary and
# exits non-zero if any test failed, the VM did not finish, or a tool is
# missing. The CTest test aarch64_vm_suite runs this (tests/CMakeLists.txt).
#
# Environment: REWIND_A64_BUILD_DIR (default build-aarch64/), REWIND_JOBS,
# REWIND_A64_VM_TIMEOUT (seconds the VM may run, default 900),
# REWIND_A64_SKIP_BUILD=1 to reuse the last cross build.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/packages.sh"
source "$HERE/build.sh"
VM_DIR="$A64_BUILD_DIR/vm"
VM_TIMEOUT="${REWIND_A64_VM_TIMEOUT:-900}"
LOG="$VM_DIR/console.log"

die() {
  echo "aarch64 suite: $*" >&2
  echo "aarch64: 0 passed, 1 failed"
  exit 1
}

# Where ctest runs us, also copy a line to ctest's own output: ctest shows a
# passing test's output nowhere, and the arm64 summary belongs in CI logs.
to_ctest_log() {
  if [ "$(cat "/proc/$PPID/comm" 2>/dev/null)" = ctest ] && [ -w "/proc/$PPID/fd/1" ]; then
    echo "$*" > "/proc/$PPID/fd/1" || true
  fi
}

# Kernel and busybox of Debian's arm64 archive, unpacked into $VM_DIR/root
# (kept between runs; re-resolved when the archive has a newer kernel).
fetch_guest_packages() {
  local kernel_pkg
  kernel_pkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9].*-arm64\).*/\1/p' | head -n1)
  if [ -z "$kernel_pkg" ]; then
    # The arm64 package lists are missing: fetch them once.
    a64_apt apt-get update -q
    kernel_pkg=$(apt-cache depends linux-image-arm64:arm64 |
      sed -n 's/^ *Depends: \(linux-image-[0-9].*-arm64\).*/\1/p' | head -n1)
  fi
  [ -n "$kernel_pkg" ] || die "cannot resolve Debian's linux-image-arm64 kernel package"
  mkdir -p "$VM_DIR/debs"
  if [ "$(cat "$VM_DIR/debs/kernel" 2>/dev/null)" != "$kernel_pkg" ] || [ ! -d "$VM_DIR/kernel" ]; then
    echo "==> aarch64: fetching $kernel_pkg and busybox-static (arm64)"
    rm -rf "$VM_DIR/debs"/*.deb "$VM_DIR/kernel" "$VM_DIR/busybox"
    (cd "$VM_DIR/debs" && apt-get download -q "$kernel_pkg:arm64" busybox-static:arm64 </dev/null) ||
      die "apt-get download of $kernel_pkg / busybox-static:arm64 failed"
    dpkg-deb -x "$VM_DIR"/debs/linux-image-*.deb "$VM_DIR/kernel"
    dpkg-deb -x "$VM_DIR"/debs/busybox-static_*.deb "$VM_DIR/busybox"
    echo "$kernel_pkg" > "$VM_DIR/debs/kernel"
  fi
  KERNEL=$(ls "$VM_DIR"/kernel/boot/vmlinuz-* | head -n1)
  [ -f "$KERNEL" ] || die "no vmlinuz in $kernel_pkg"
}

make_initramfs() {
  local root="$VM_DIR/initramfs" libdir=/usr/aarch64-linux-gnu/lib m f
  rm -rf "$root"
  mkdir -p "$root"/{bin,modules,lib,rewind/programs,tmp}
  cp "$VM_DIR/busybox/bin/busybox" "$root/bin/busybox"
  cp "$HERE/guest_init.sh" "$root/init"
  chmod +x "$root/init"
  for m in virtio_mmio virtio_console; do
    f=$(find "$VM_DIR/kernel/lib/modules" -name "$m.ko*" | head -n1)
    [ -n "$f" ] || die "module $m not found in the kernel package"
    case "$f" in
      *.xz) xz -dc "$f" > "$root/modules/$m.ko" ;;
      *.zst) zstd -qdc "$f" > "$root/modules/$m.ko" ;;
      *) cp "$f" "$root/modules/$m.ko" ;;
    esac
  done
  cp "$A64_BUILD_DIR/rewind" "$root/rewind/rewind"
  aarch64-linux-gnu-strip "$root/rewind/rewind"
  cp "$A64_BUILD_DIR"/programs/* "$root/rewind/programs/"
  # The dynamic programs' loader and libraries, from the cross toolchain.
  for f in ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libstdc++.so.6 libgcc_s.so.1; do
    cp -L "$libdir/$f" "$root/lib/$f"
  done
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$VM_DIR/initramfs.cpio.gz"
}

# Host side of the gdb test: waits for the guest's RWD-GDB-READY, connects a
# relay to the guest's "gdb" port (so that the guest's reads see a host),
# says GO on "ctl", runs gdb-multiarch with gdb_session.gdb and sends the
# verdict.
drive_gdb() {
  local vm=$1 relay="$VM_DIR/relay.sock" out="$VM_DIR/gdb.out" verdict
  while ! grep -q "RWD-GDB-READY gdb_session" "$LOG" 2>/dev/null; do
    kill -0 "$vm" 2>/dev/null || return 0
    sleep 0.5
  done
  rm -f "$relay"
  socat UNIX-CONNECT:"$VM_DIR/gdb.sock" UNIX-LISTEN:"$relay" &
  local relay_pid=$!
  for _ in $(seq 100); do [ -S "$relay" ] && break; sleep 0.1; done
  echo GO >&"$CTL_FD"
  echo "==> aarch64: gdb-multiarch session against the guest's replay"
  timeout 600 gdb-multiarch -nx -batch \
    -ex "file $A64_BUILD_DIR/programs/gdb_rounds" \
    -ex "target remote | socat - UNIX-CONNECT:$relay" \
    -x "$HERE/gdb_session.gdb" > "$out" 2>&1 || true
  kill "$relay_pid" 2>/dev/null || true
  sed 's/^/    gdb| /' "$out"
  if verdict=$(check_gdb_session "$out"); then
    echo "PASS gdb_session" >&"$CTL_FD"
  else
    echo "==> aarch64: gdb session check failed: $verdict"
    echo "FAIL gdb_session ($verdict)" >&"$CTL_FD"
  fi
}

# Checks gdb's transcript; prints what is wrong and fails, if anything.
check_gdb_session() {
  local out=$1 want
  for want in \
    "R break_round=1" \
    "R next_total_is_value=1" \
    "R second_round=2" \
    "R reverse_continue_round=1 total=0" \
    "R after_next_total_is_value=1" \
    "R reverse_step_total=0" \
    "R watch_forward_round=2 total_grew=1" \
    "R watch_reverse_total_is_first=1" \
    "R watch_reverse_in_add_round=2"; do
    grep -qxF "$want" "$out" || { echo "missing '$want'"; return 1; }
  done
  grep -q "^Breakpoint 1, Add (round=1" "$out" || { echo "no stop at Breakpoint 1"; return 1; }
  grep -q "^#1 .* in main ()" "$out" || { echo "bt shows no main"; return 1; }
  [ "$(grep -c "^Hardware watchpoint 2: g_total" "$out")" -ge 3 ] ||
    { echo "the watchpoint was not reported forward and backward"; return 1; }
  [ "$(grep -c "^Old value = " "$out")" -ge 2 ] || { echo "no Old/New values"; return 1; }
  return 0
}

main() {
  local t0=$SECONDS
  a64_ensure_packages || die "installing the cross toolchain / qemu failed"
  local tool
  for tool in aarch64-linux-gnu-g++ qemu-system-aarch64 gdb-multiarch socat cpio; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
  done
  if [ "${REWIND_A64_SKIP_BUILD:-}" != 1 ]; then a64_build || die "cross build failed"; fi
  mkdir -p "$VM_DIR"
  fetch_guest_packages
  make_initramfs
  local t_build=$((SECONDS - t0))

  rm -f "$VM_DIR/gdb.sock" "$VM_DIR/ctl.sock" "$LOG"
  echo "==> aarch64: booting $(basename "$KERNEL") in qemu-system-aarch64 (timeout ${VM_TIMEOUT}s)"
  # -cpu max with impdef pointer authentication: ~4x faster than the
  # architected QARMA; one vCPU: ptrace round trips are ~10x slower with two.
  timeout "$VM_TIMEOUT" qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on -smp 1 -m 1024 \
    -nographic -no-reboot -nic none \
    -kernel "$KERNEL" -initrd "$VM_DIR/initramfs.cpio.gz" \
    -append "console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=3" \
    -device virtio-serial-device \
    -chardev socket,path="$VM_DIR/gdb.sock",server=on,wait=off,id=gdb \
    -device virtserialport,chardev=gdb,name=gdb \
    -chardev socket,path="$VM_DIR/ctl.sock",server=on,wait=off,id=ctl \
    -device virtserialport,chardev=ctl,name=ctl \
    </dev/null 2>&1 | sed -u 's/\r$//' | tee "$LOG" &
  # The pipeline's last process lives as long as qemu does.
  local vm=$!
  for _ in $(seq 300); do
    [ -S "$VM_DIR/ctl.sock" ] && break
    kill -0 "$vm" 2>/dev/null || break
    sleep 0.1
  done
  [ -S "$VM_DIR/ctl.sock" ] || die "qemu-system-aarch64 did not start"
  # One connection to "ctl" for the VM's whole life: host -> guest lines.
  exec {CTL_FD}> >(exec socat -u - UNIX-CONNECT:"$VM_DIR/ctl.sock")
  drive_gdb "$vm"
  wait "$vm" || true
  exec {CTL_FD}>&-

  local summary passed failed
  summary=$(grep -o "RWD-SUMMARY: [0-9]* passed, [0-9]* failed" "$LOG" | tail -n1 || true)
  echo
  echo "==> aarch64 results (qemu-system-aarch64; console log: ${LOG#"$REPO_ROOT"/})"
  grep "^RWD-RESULT\|^RWD-TIME" "$LOG" | sed 's/^RWD-RESULT /  /; s/^RWD-TIME /  time: /' || true
  echo "  (cross build and image ${t_build}s, whole run $((SECONDS - t0))s)"
  if [ -z "$summary" ]; then
    to_ctest_log "aarch64: the VM did not finish its suite (see ${LOG#"$REPO_ROOT"/})"
    die "the VM did not finish its suite (timeout or crash); last console lines:
$(tail -n 20 "$LOG" 2>/dev/null)"
  fi
  passed=$(echo "$summary" | sed 's/.*: \([0-9]*\) passed.*/\1/')
  failed=$(echo "$summary" | sed 's/.* \([0-9]*\) failed/\1/')
  echo "aarch64: $passed passed, $failed failed"
  to_ctest_log "aarch64 guest: $passed passed, $failed failed ($((SECONDS - t0)) s; qemu-system-aarch64)"
  [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}

main "$@"

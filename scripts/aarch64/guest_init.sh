#!/bin/busybox sh
# /init of the AArch64 test VM (scripts/aarch64/run_vm_suite.sh builds the
# initramfs and boots it in qemu-system-aarch64). Records and replays the
# test programs with the cross-built rewind, serves one replay to the host's
# gdb-multiarch over a virtio-serial port, prints one marker line per test
# and a summary, and powers off.
#
# Console protocol (lines on ttyAMA0, read by the host):
#   RWD-RESULT PASS <test>            a test passed
#   RWD-RESULT FAIL <test>: <why>     a test failed
#   RWD-GDB-READY <test>              the host may connect gdb; it answers
#                                     on the "ctl" port with GO, and after
#                                     its session with PASS/FAIL <test>
#   RWD-SUMMARY: N passed, M failed   the last line before power-off

/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# Debian's arm64 kernel builds virtio_mmio and virtio_console as modules.
for m in /modules/*.ko; do insmod "$m" 2>/dev/null; done

REWIND=/rewind/rewind
PROGS=/rewind/programs
OUT=/tmp/out
mkdir -p "$OUT" /tmp/traces
export HOME=/tmp PATH=/usr/bin:/bin:/usr/sbin:/sbin
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "RWD-RESULT PASS $1"; }
fail() { failed=$((failed + 1)); echo "RWD-RESULT FAIL $1: $2"; }

# Shows a file's first lines (indented) after a failure.
show() { [ -s "$1" ] && sed -n '1,15s/^/    | /p' "$1"; }

# The /dev node of the virtio-serial port named $1.
port() {
  for p in /sys/class/virtio-ports/*; do
    if [ "$(cat "$p/name" 2>/dev/null)" = "$1" ]; then
      echo "/dev/$(basename "$p")"
      return 0
    fi
  done
  return 1
}

# One line from the host on the ctl port. A read before the host has
# connected ends at once (virtio_console reports EOF), so retry.
ctl_line() {
  ctl=$(port ctl) || return 1
  tries=0
  while [ $tries -lt 3000 ]; do
    if read -r line < "$ctl" && [ -n "$line" ]; then
      echo "$line"
      return 0
    fi
    tries=$((tries + 1))
    sleep 0.2
  done
  return 1
}

# record_replay TEST PROG [ARGS...]: records PROG, replays the trace with
# `rewind replay -a` and requires byte-identical stdout and the same exit
# status.
record_replay() {
  test=$1
  shift
  trace=/tmp/traces/$test
  timeout 300 "$REWIND" record -o "$trace" "$@" > "$OUT/$test.rec" 2> "$OUT/$test.rec.err"
  rec_rc=$?
  timeout 300 "$REWIND" replay -a "$trace" > "$OUT/$test.rep" 2> "$OUT/$test.rep.err"
  rep_rc=$?
  if [ ! -s "$OUT/$test.rec" ]; then
    fail "$test" "the recording printed nothing (exit $rec_rc)"
    show "$OUT/$test.rec.err"
  elif ! cmp -s "$OUT/$test.rec" "$OUT/$test.rep"; then
    fail "$test" "replay output differs from the recording (exit $rec_rc vs $rep_rc)"
    diff "$OUT/$test.rec" "$OUT/$test.rep" | sed -n '1,15s/^/    | /p'
    show "$OUT/$test.rep.err"
  elif [ "$rec_rc" != "$rep_rc" ]; then
    fail "$test" "exit status $rec_rc when recorded, $rep_rc when replayed"
    show "$OUT/$test.rep.err"
  else
    pass "$test"
    sed 's/^/    > /' "$OUT/$test.rec" | head -n 6
  fi
}

# replay_again TEST: a second `rewind replay -a` of TEST's recording prints
# the same bytes again and ends the same way (signals placed inside
# syscall-free loops land on the same pass every time).
replay_again() {
  test=$1
  trace=/tmp/traces/$test
  timeout 300 "$REWIND" replay -a "$trace" > "$OUT/$test.rep2" 2> "$OUT/$test.rep2.err"
  rep2_rc=$?
  if [ ! -s "$OUT/$test.rec" ] || ! cmp -s "$OUT/$test.rec" "$OUT/$test.rep2"; then
    fail "$test (second replay)" "output differs from the recording (exit $rep2_rc)"
    show "$OUT/$test.rep2.err"
  elif [ "$rec_rc" != "$rep2_rc" ]; then
    fail "$test (second replay)" "exit status $rec_rc when recorded, $rep2_rc when replayed"
  else
    pass "$test (second replay)"
  fi
}

# timed TEST CMD...: runs CMD and prints how long it took.
timed() {
  t0=$(date +%s)
  "$@"
  echo "RWD-TIME $1 $2: $(($(date +%s) - t0)) s"
}

# expect_exit TEST STATUS: the recording of TEST ended with STATUS.
expect_exit() {
  if [ "$rec_rc" = "$2" ]; then pass "$1"; else fail "$1" "recorded exit $rec_rc, expected $2"; fi
}

# two native runs must differ, or a test of their replay proves nothing.
differs_natively() {
  a=$("$@" 2>&1)
  b=$("$@" 2>&1)
  if [ "$a" != "$b" ]; then pass "$1 (nondeterministic natively)"; else
    fail "$1 (nondeterministic natively)" "two native runs printed the same"; fi
}

echo "RWD-GUEST kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu(s)"
start=$(date +%s)

differs_natively "$PROGS/random_bytes"
record_replay urandom "$PROGS/random_bytes"
record_replay urandom_dynamic "$PROGS/random_bytes.dyn"
record_replay time "$PROGS/time_sources"
record_replay file_io "$PROGS/file_io"
record_replay crash "$PROGS/segfault"
expect_exit "crash (SIGSEGV exit status)" 139
record_replay signal_handler "$PROGS/sigusr1_handler"
record_replay cxx_random "$PROGS/cxx_random"
record_replay gdb_rounds "$PROGS/gdb_rounds"
# Signals inside syscall-free loops, placed by fingerprint through probes
# (arch/aarch64/aarch64_probe.h): a 1 ms timer interrupting a compute loop
# and a flag-polling busy wait.
timed record_replay timer_loop "$PROGS/sig_itimer_1ms"
replay_again timer_loop
timed record_replay busy_wait "$PROGS/busy_wait_signal"
replay_again busy_wait

# gdb on the host drives a replay served here (see run_vm_suite.sh).
gdb_port=$(port gdb)
if [ -z "$gdb_port" ] || [ -z "$(port ctl)" ]; then
  fail gdb_session "no virtio-serial ports (gdb, ctl); is virtio_console loaded?"
elif [ ! -d /tmp/traces/gdb_rounds ]; then
  fail gdb_session "no recording of gdb_rounds"
else
  echo "RWD-GDB-READY gdb_session"
  if [ "$(ctl_line)" != "GO" ]; then
    fail gdb_session "the host never said GO"
  else
    # A virtio port opens once: one read-write descriptor for both ends.
    timeout 600 "$REWIND" replay --stdio /tmp/traces/gdb_rounds \
      0<> "$gdb_port" 1>&0 2> "$OUT/gdb_server.err"
    server_rc=$?
    echo "RWD-GDB-SERVER exit $server_rc"
    # A crash leaves the kernel's "unhandled ... fault" report with pc.
    [ "$server_rc" -ge 128 ] && dmesg | grep -A3 "rewind\[" | tail -n 8
    verdict=$(ctl_line)
    case "$verdict" in
      "PASS gdb_session") pass gdb_session ;;
      *)
        fail gdb_session "host verdict: ${verdict:-none}"
        show "$OUT/gdb_server.err"
        ;;
    esac
  fi
fi

echo "RWD-GUEST suite took $(($(date +%s) - start)) s"
echo "RWD-SUMMARY: $passed passed, $failed failed"
sync
poweroff -f

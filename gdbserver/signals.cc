#include "gdbserver/signals.h"

#include <array>

namespace rwd::gdbserver {
namespace {

constexpr int kGdbSignalUnknown = 143;

// Index: Linux signal number (generic Linux numbering, shared by x86-64 and
// AArch64). Value: gdb signal number, from gdb's signals.def.
constexpr std::array<int, 65> kLinuxToGdb = {
    0,    // 0: no signal
    1,    // SIGHUP
    2,    // SIGINT
    3,    // SIGQUIT
    4,    // SIGILL
    5,    // SIGTRAP
    6,    // SIGABRT
    10,   // SIGBUS
    8,    // SIGFPE
    9,    // SIGKILL
    30,   // SIGUSR1
    11,   // SIGSEGV
    31,   // SIGUSR2
    13,   // SIGPIPE
    14,   // SIGALRM
    15,   // SIGTERM
    kGdbSignalUnknown,  // SIGSTKFLT: gdb has no such signal
    20,   // SIGCHLD
    19,   // SIGCONT
    17,   // SIGSTOP
    18,   // SIGTSTP
    21,   // SIGTTIN
    22,   // SIGTTOU
    16,   // SIGURG
    24,   // SIGXCPU
    25,   // SIGXFSZ
    26,   // SIGVTALRM
    27,   // SIGPROF
    28,   // SIGWINCH
    23,   // SIGIO
    32,   // SIGPWR
    12,   // SIGSYS
    77,   // 32: GDB_SIGNAL_REALTIME_32 sits apart from 33..63
    45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60,  // 33..48
    61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75,      // 49..63
    78,   // 64: GDB_SIGNAL_REALTIME_64
};

}  // namespace

int LinuxToGdbSignal(int linux_signal) {
  if (linux_signal < 0 || linux_signal >= static_cast<int>(kLinuxToGdb.size())) {
    return kGdbSignalUnknown;
  }
  return kLinuxToGdb[static_cast<size_t>(linux_signal)];
}

std::optional<int> GdbToLinuxSignal(int gdb_signal) {
  if (gdb_signal == kGdbSignalUnknown) return std::nullopt;
  for (size_t i = 0; i < kLinuxToGdb.size(); ++i) {
    if (kLinuxToGdb[i] == gdb_signal) return static_cast<int>(i);
  }
  return std::nullopt;
}

}  // namespace rwd::gdbserver

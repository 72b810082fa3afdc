// Signal numbers on the wire. gdb's remote protocol numbers signals its own
// way (GDB_SIGNAL_* from gdb's include/gdb/signals.def), which agrees with
// Linux for the classic ones (SIGINT, SIGTRAP, SIGSEGV, ...) but not for, e.g.,
// SIGBUS (Linux 7, gdb 10), SIGUSR1 (10 / 30), SIGCHLD (17 / 20) or the
// real-time signals. DebugTarget speaks Linux numbers; the server translates
// at the protocol boundary, in both directions, with one table.
#pragma once

#include <optional>

namespace rwd::gdbserver {

// Linux -> gdb. Signals gdb has no name for become GDB_SIGNAL_UNKNOWN (143),
// as gdbserver reports them; 0 stays 0.
int LinuxToGdbSignal(int linux_signal);
// gdb -> Linux; nullopt when the gdb signal has no Linux counterpart
// (e.g. SIGEMT, GDB_SIGNAL_UNKNOWN).
std::optional<int> GdbToLinuxSignal(int gdb_signal);

}  // namespace rwd::gdbserver

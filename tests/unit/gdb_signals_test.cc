// Linux <-> gdb signal numbering.
#include <gtest/gtest.h>

#include <csignal>

#include "gdbserver/signals.h"

namespace rwd::gdbserver {
namespace {

TEST(GdbSignals, ClassicSignalsKeepTheirNumbers) {
  for (int sig : {0, SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGKILL,
                  SIGSEGV, SIGPIPE, SIGALRM, SIGTERM}) {
    EXPECT_EQ(LinuxToGdbSignal(sig), sig);
    EXPECT_EQ(GdbToLinuxSignal(sig), sig);
  }
}

TEST(GdbSignals, LinuxSpecificNumbersAreTranslated) {
  EXPECT_EQ(LinuxToGdbSignal(SIGBUS), 10);
  EXPECT_EQ(LinuxToGdbSignal(SIGUSR1), 30);
  EXPECT_EQ(LinuxToGdbSignal(SIGUSR2), 31);
  EXPECT_EQ(LinuxToGdbSignal(SIGCHLD), 20);
  EXPECT_EQ(LinuxToGdbSignal(SIGCONT), 19);
  EXPECT_EQ(LinuxToGdbSignal(SIGSTOP), 17);
  EXPECT_EQ(LinuxToGdbSignal(SIGTSTP), 18);
  EXPECT_EQ(LinuxToGdbSignal(SIGURG), 16);
  EXPECT_EQ(LinuxToGdbSignal(SIGIO), 23);
  EXPECT_EQ(LinuxToGdbSignal(SIGPWR), 32);
  EXPECT_EQ(LinuxToGdbSignal(SIGSYS), 12);
  EXPECT_EQ(LinuxToGdbSignal(SIGWINCH), 28);
  EXPECT_EQ(LinuxToGdbSignal(32), 77);
  EXPECT_EQ(LinuxToGdbSignal(33), 45);
  EXPECT_EQ(LinuxToGdbSignal(63), 75);
  EXPECT_EQ(LinuxToGdbSignal(64), 78);
  EXPECT_EQ(LinuxToGdbSignal(SIGSTKFLT), 143);
  EXPECT_EQ(LinuxToGdbSignal(65), 143);
  EXPECT_EQ(LinuxToGdbSignal(-1), 143);
}

TEST(GdbSignals, RoundTripsEveryLinuxSignalGdbKnows) {
  for (int sig = 0; sig <= 64; ++sig) {
    if (sig == SIGSTKFLT) continue;
    EXPECT_EQ(GdbToLinuxSignal(LinuxToGdbSignal(sig)), sig) << sig;
  }
  EXPECT_FALSE(GdbToLinuxSignal(7).has_value());    // SIGEMT
  EXPECT_FALSE(GdbToLinuxSignal(143).has_value());  // unknown
  EXPECT_FALSE(GdbToLinuxSignal(255).has_value());
}

}  // namespace
}  // namespace rwd::gdbserver

// The recorder runs with its tracees' CPU modes (rdtsc faults in it, see
// core/clock.h), so a clock read through the vDSO, which executes rdtsc
// here, costs a fault and its emulation. SnapshotTaker asks whether a
// snapshot is due at every event boundary: it must read the time without
// rdtsc. A child process makes rdtsc fault, with no handler, and asks.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "recorder/snapshot_taker.h"

namespace rwd::recorder {
namespace {

// Runs `body` in a child whose rdtsc raises SIGSEGV; its wait status.
template <typename Body>
int InChildWithRdtscFaulting(Body body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) std::_Exit(2);
    body();
    std::_Exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(SnapshotTakerClock, AsksTheTimeWithoutRdtsc) {
  int vdso = InChildWithRdtscFaulting([] {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
  });
  if (WIFEXITED(vdso) && WEXITSTATUS(vdso) == 2) GTEST_SKIP() << "no PR_SET_TSC here";
  if (!WIFSIGNALED(vdso)) {
    GTEST_SKIP() << "the vDSO's clock executes no rdtsc here (clocksource), nothing to check";
  }
  int status = InChildWithRdtscFaulting([] {
    SnapshotTaker taker("/nonexistent-trace", std::chrono::milliseconds(1000));
    for (int i = 0; i < 100; ++i) {
      if (taker.Due() || !taker.UntilDue()) std::_Exit(3);
    }
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << (WIFSIGNALED(status) ? " (killed by a signal: rdtsc)" : "");
}

}  // namespace
}  // namespace rwd::recorder

// Processes that end while some of their threads still run (issue 10):
// main returning, exit() from a worker, a worker's crash, a refused
// syscall. The kernel reports a thread-group leader's death only once its
// other threads have been reaped, so a tracer that waits for the leader
// alone waits forever; every case here once hung with no message. Each is
// recorded once and replayed twice, byte for byte, with short timeouts so a
// hang fails fast. Also: node (a timer, crypto, a thread pool and
// protection keys), and no zombies left by checkpoint restores.
#include <signal.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "core/process.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

// Each program runs in well under a second; a hang costs one timeout.
constexpr std::chrono::seconds kTimeout{60};

RunOptions Quick() {
  RunOptions options;
  options.timeout = kTimeout;
  return options;
}

class ThreadExitTest : public E2ETest {
 protected:
  // Replays `rec` twice: each must end as the recording did, print the same
  // stdout and program stderr, in time, without a divergence.
  std::vector<RunResult> ExpectReplaysMatch(const Recording& rec) {
    return ExpectReplaysIdentically(rec, 2, Quick());
  }
};

TEST_F(ThreadExitTest, MainReturnsWhileASpinningAndASleepingThreadRun) {
  Recording rec = Record("mt_exit_busy", {}, Quick());
  ASSERT_FALSE(rec.timed_out) << rec.Describe();
  ASSERT_EQ(rec.exit_status, 3) << rec.Describe();
  EXPECT_EQ(rec.out,
            "mt_exit_busy: spinner started\nmt_exit_busy: sleeper started\n"
            "mt_exit_busy: main returns 3\n");
  ExpectReplaysMatch(rec);
}

TEST_F(ThreadExitTest, WorkerCallsExitWhileOthersWait) {
  Recording rec = Record("mt_exit_worker", {}, Quick());
  ASSERT_FALSE(rec.timed_out) << rec.Describe();
  ASSERT_EQ(rec.exit_status, 7) << rec.Describe();
  EXPECT_EQ(rec.out,
            "mt_exit_worker: waiter ready\nmt_exit_worker: worker exits with 7\n"
            "mt_exit_worker: atexit handler ran\n");
  ExpectReplaysMatch(rec);
}

TEST_F(ThreadExitTest, WorkerSegfaultWhileTwoThreadsWaitOnACondvar) {
  Recording rec = Record("mt_worker_segv", {}, Quick());
  ASSERT_FALSE(rec.timed_out) << rec.Describe();
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  EXPECT_EQ(rec.out, "mt_worker_segv: waiter 0 ready\nmt_worker_segv: waiter 1 ready\n");
  EXPECT_TRUE(Contains(ProgramStderr(rec.err), "worker about to write to 0x1234"));
  for (const RunResult& replay : ExpectReplaysMatch(rec)) {
    EXPECT_TRUE(AnyLineMatches(replay.err, "^rewind: replay reproduced SIGSEGV.*0x0*1234\\b"))
        << replay.Describe();
  }
}

TEST_F(ThreadExitTest, RefusedSyscallInAMultithreadedProgramIsReported) {
  Recording rec = Record("mt_unsupported_syscall", {}, Quick());
  EXPECT_FALSE(rec.timed_out) << rec.Describe();
  EXPECT_FALSE(rec.Crashed()) << rec.Describe();
  EXPECT_NE(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(AnyLineMatches(rec.err, "^rewind: syscall 'io_uring_setup'.*not supported"))
      << rec.Describe();
  EXPECT_TRUE(AnyLineMatches(rec.err, "trace up to event [0-9]+ is kept")) << rec.Describe();
  EXPECT_EQ(rec.out, "mt_unsupported_syscall: before io_uring_setup\n");
  // The trace so far replays up to its end, and ends there, thread and all.
  RunResult replay = ReplayAutopilot(rec.trace, Quick());
  EXPECT_FALSE(replay.timed_out) << replay.Describe();
  EXPECT_EQ(replay.out, rec.out);
  EXPECT_TRUE(Contains(replay.err, "cut short")) << replay.Describe();
}

// node starts a libuv thread pool and V8's platform threads, asks for a
// protection key (pkey_alloc), runs a timer and hashes on the pool.
TEST_F(ThreadExitTest, NodeWithATimerAndCryptoReplaysIdentically) {
  Expected<std::string> node = ResolveExecutable("node");
  if (!node.ok()) GTEST_SKIP() << "node is not installed: " << node.status().message();
  Recording rec =
      Record(*node,
             {"-e",
              "setTimeout(()=>console.log(require('crypto').createHash('sha256').update('x')"
              ".digest('hex')),10)"},
             Quick());
  ASSERT_FALSE(rec.timed_out) << rec.Describe();
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\n");
  ExpectReplaysMatch(rec);
}

using ThreadExitGdbTest = GdbTest;

GdbOptions GdbQuick() {
  GdbOptions options;
  options.timeout = std::chrono::seconds(120);
  return options;
}

// As with a native run under gdb: the crash stops the program; the next
// continue delivers it, and the program is gone.
TEST_F(ThreadExitGdbTest, ContinueAfterAWorkerCrashEndsTheSession) {
  Recording rec = Record("mt_worker_segv", {}, Quick());
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("mt_worker_segv"),
                                   {"continue", "continue", "info threads"}, GdbQuick());
  SCOPED_TRACE(t.Describe());
  ASSERT_FALSE(t.run.timed_out);
  EXPECT_TRUE(Contains(t.Output(0), "received signal SIGSEGV, Segmentation fault."));
  EXPECT_TRUE(StoppedAt(t.Output(0), "mt_worker_segv.c",
                        SourceLine("tests/programs/mt_worker_segv.c", "*(volatile int*)0x1234"),
                        "CrashInWorker"));
  EXPECT_TRUE(Contains(t.Output(1), "Program terminated with signal SIGSEGV, Segmentation fault."));
  EXPECT_FALSE(Contains(t.Output(1), "rewind:")) << "no error from the server";
  EXPECT_TRUE(Contains(t.Output(2), "No threads."));
}

int Zombies(const std::string& output) {
  static const std::regex kCount(R"(zombies: (\d+))");
  std::smatch m;
  if (!std::regex_search(output, m, kCount)) return -1;
  return std::stoi(m[1].str());
}

std::string CountZombies() {
  return "shell sh " + SourcePath("tests/programs/zombie_count.sh") + " $PPID";
}

// Each reverse-stepi restores a checkpoint (forks a copy of it) and
// discards the session it replaces; nothing of those may be left behind.
TEST_F(ThreadExitGdbTest, ReverseStepiLeavesNoZombies) {
  Recording rec = Record("segfault", {}, Quick());
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  constexpr int kSteps = 20;
  std::vector<std::string> commands = {"break main", "continue", "next", "next"};
  for (int i = 0; i < kSteps; ++i) commands.push_back("reverse-stepi");
  commands.push_back(CountZombies());
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("segfault"), commands, GdbQuick());
  SCOPED_TRACE(t.Describe());
  ASSERT_FALSE(t.run.timed_out);
  for (int i = 0; i < kSteps; ++i) EXPECT_FALSE(Contains(t.Output(4 + i), "rewind:"));
  EXPECT_EQ(Zombies(t.Output(4 + kSteps)), 0);
}

// The same with threads: a checkpoint of a multithreaded process is a copy
// with its threads recreated, each of which must be reaped.
TEST_F(ThreadExitGdbTest, ReverseStepiInAMultithreadedProcessLeavesNoZombies) {
  Recording rec = Record("mt_worker_segv", {}, Quick());
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  constexpr int kSteps = 5;
  std::vector<std::string> commands = {"continue"};
  for (int i = 0; i < kSteps; ++i) commands.push_back("reverse-stepi");
  commands.push_back(CountZombies());
  commands.push_back("continue");
  commands.push_back("continue");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("mt_worker_segv"), commands, GdbQuick());
  SCOPED_TRACE(t.Describe());
  ASSERT_FALSE(t.run.timed_out);
  for (int i = 0; i < kSteps; ++i) EXPECT_FALSE(Contains(t.Output(1 + i), "rewind:"));
  EXPECT_EQ(Zombies(t.Output(1 + kSteps)), 0);
  EXPECT_TRUE(Contains(t.Output(2 + kSteps), "received signal SIGSEGV"));
  EXPECT_TRUE(Contains(t.Output(3 + kSteps), "Program terminated with signal SIGSEGV"));
}

}  // namespace
}  // namespace rwd::e2e

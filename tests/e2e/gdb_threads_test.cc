// Threads under gdb (issue #6), against `rewind replay --stdio`: thread
// lists and names, breakpoints hit in worker threads, reverse-continue back
// into a thread that has exited, and reverse stepping in one thread across
// the points where the recording switched to another.
//
// The target is tests/programs/mt_worker_bp.c: two workers named "worker-1"
// and "worker-2" take turns calling worker_step(id, i), i = 0..4, in a fixed
// order (worker-1 first); expected lines come from its "// @name" markers.
#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

constexpr char kSource[] = "tests/programs/mt_worker_bp.c";
constexpr char kFile[] = "mt_worker_bp.c";

int Line(const std::string& marker) { return SourceLine(kSource, marker); }

// One row of `info threads`.
struct ThreadRow {
  bool current = false;
  int number = 0;
  std::string target_id;  // "Thread 1234.1235" (remote) or "Thread 0x... (LWP 1235)"
  std::string name;       // the quoted name after the target id; empty if none
  std::string frame;      // the rest: "worker_step (id=1, i=0) at ..."
};

std::vector<ThreadRow> InfoThreads(const std::string& output) {
  static const std::regex kRow(
      R"re(^([* ])\s+(\d+)\s+((?:Thread|LWP|process) [0-9a-fx.]+(?: \(LWP \d+\))?)\s+(?:"([^"]*)"\s+)?(.*)$)re");
  std::vector<ThreadRow> rows;
  for (const std::string& line : Lines(output)) {
    std::smatch m;
    if (!std::regex_match(line, m, kRow)) continue;
    rows.push_back({m[1].str() == "*", std::stoi(m[2].str()), m[3].str(), m[4].str(), m[5].str()});
  }
  return rows;
}

std::string Describe(const std::vector<ThreadRow>& rows) {
  std::string text;
  for (const ThreadRow& row : rows) {
    text += (row.current ? "* " : "  ") + std::to_string(row.number) + " " + row.target_id + " \"" +
            row.name + "\" " + row.frame + "\n";
  }
  return text;
}

// The output shows `worker_step (id=ID, i=I)` stopped at its breakpoint, in
// a thread gdb says hit it ("Thread N hit Breakpoint", or with the name,
// "Thread N "worker-1" hit Breakpoint").
::testing::AssertionResult HitWorkerStep(const std::string& output, int id, int i) {
  std::string pattern = R"(^Thread \d+ (\"[^"]*\" )?hit Breakpoint \d+, worker_step \(id=)" +
                        std::to_string(id) + ", i=" + std::to_string(i) + R"(\) at .*)" + kFile +
                        ":" + std::to_string(Line("@step-body")) + "$";
  return AnyLineMatches(output, pattern);
}

// The output of stepi or reverse-stepi shows where it stopped: "0x...<tab>31<tab>..."
// within a line, "0x... in Worker (...) at ..." in another function, or
// "31<tab>..." at the start of a line.
::testing::AssertionResult ShowsAnInstructionStop(const std::string& output) {
  return AnyLineMatches(output, R"(^(0x[0-9a-f]+(\t\d+\t| in )|\d+\t))");
}

class GdbThreadsTest : public GdbTest {
 protected:
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    rec_ = Record("mt_worker_bp");
    ASSERT_EQ(rec_.exit_status, 0)
        << "recording the two-worker program failed: " << rec_.Describe();
    ASSERT_EQ(rec_.out, "mt_worker_bp: 10 steps, last id 2, last i 4, sum 1520\n");
  }

  GdbTranscript Gdb(const std::vector<std::string>& commands) {
    GdbOptions options;
    options.timeout = std::chrono::seconds(120);
    return RunGdbOnReplay(rec_.trace, Program("mt_worker_bp"), commands, options);
  }

  Recording rec_;
};

TEST_F(GdbThreadsTest, InfoThreadsAtAWorkerBreakpointListsThreeNamedThreads) {
  GdbTranscript t = Gdb({
      "break worker_step",  // 0
      "continue",           // 1: worker-1, step 0 (the workers met at a barrier first)
      "info threads",       // 2
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(HitWorkerStep(t.Output(1), 1, 0));
  std::vector<ThreadRow> rows = InfoThreads(t.Output(2));
  SCOPED_TRACE("info threads, parsed:\n" + Describe(rows));
  ASSERT_EQ(rows.size(), 3u) << "main and the two workers";
  int current = 0, worker_1 = 0, worker_2 = 0;
  for (const ThreadRow& row : rows) {
    current += row.current;
    worker_1 += row.name == "worker-1";
    worker_2 += row.name == "worker-2";
    if (row.current) {
      EXPECT_EQ(row.name, "worker-1");
      EXPECT_TRUE(Contains(row.frame, "worker_step (id=1, i=0)"));
    } else {
      EXPECT_FALSE(Contains(row.frame, "worker_step"));
    }
  }
  EXPECT_EQ(current, 1);
  EXPECT_EQ(worker_1, 1);
  EXPECT_EQ(worker_2, 1);
  // The initial thread is the first gdb saw, and it is not a worker.
  EXPECT_EQ(rows[0].number, 1);
  EXPECT_FALSE(rows[0].current);
}

TEST_F(GdbThreadsTest, BreakpointInWorkerStepStopsInTheWorkerThread) {
  GdbTranscript t = Gdb({
      "break worker_step",  // 0
      "continue",           // 1: worker-1, step 0
      "print id",           // 2
      "print i",            // 3
      "print $_thread",     // 4
      "continue",           // 5: worker-2, step 0
      "print id",           // 6
      "print i",            // 7
      "print $_thread",     // 8
      "print g_last_id",    // 9: written by worker-1's step, before this one's body
      "continue",           // 10: worker-1, step 1
      "print $_thread",     // 11
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(HitWorkerStep(t.Output(1), 1, 0));
  EXPECT_TRUE(StoppedAt(t.Output(1), kFile, Line("@step-body"), "worker_step"));
  EXPECT_TRUE(Printed(t.Output(2), "1"));
  EXPECT_TRUE(Printed(t.Output(3), "0"));
  EXPECT_TRUE(HitWorkerStep(t.Output(5), 2, 0));
  EXPECT_TRUE(Contains(t.Output(5), "[Switching to Thread ")) << "gdb must see the thread change";
  EXPECT_TRUE(Printed(t.Output(6), "2"));
  EXPECT_TRUE(Printed(t.Output(7), "0"));
  EXPECT_TRUE(Printed(t.Output(9), "1"));
  EXPECT_TRUE(HitWorkerStep(t.Output(10), 1, 1));

  // Thread 1 is main, which never calls worker_step; each worker keeps its
  // gdb number from one stop to the next.
  std::optional<std::string> first = PrintedValue(t.Output(4));
  std::optional<std::string> second = PrintedValue(t.Output(8));
  std::optional<std::string> third = PrintedValue(t.Output(11));
  ASSERT_TRUE(first && second && third);
  EXPECT_NE(*first, "1");
  EXPECT_NE(*second, "1");
  EXPECT_NE(*first, *second);
  EXPECT_EQ(*third, *first);
}

TEST_F(GdbThreadsTest, ReverseContinueFromAfterTheJoinsFindsTheLastStep) {
  GdbTranscript t = Gdb({
      "break " + std::string(kFile) + ":" + std::to_string(Line("@after-joins")),  // 0
      "continue",           // 1: both workers have exited
      "print g_last_id",    // 2
      "print g_last_i",     // 3
      "break worker_step",  // 4
      "reverse-continue",   // 5: the last call, worker_step(2, 4)
      "print id",           // 6
      "print i",            // 7
      "print g_last_id",    // 8: still worker-1's, from worker_step(1, 4)
      "print $_thread",     // 9
      "info threads",       // 10
      "reverse-continue",   // 11: worker_step(1, 4), in the other worker
      "print id",           // 12
      "print i",            // 13
      "print $_thread",     // 14
      "continue",           // 15: forwards, worker_step(2, 4) again
      "print $_thread",     // 16
      "continue",           // 17: back after the joins
      "print g_sum",        // 18
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(StoppedAt(t.Output(1), kFile, Line("@after-joins"), "main"));
  EXPECT_TRUE(Printed(t.Output(2), "2"));
  EXPECT_TRUE(Printed(t.Output(3), "4"));

  EXPECT_FALSE(Contains(t.Output(5), "rewind:"));
  EXPECT_TRUE(HitWorkerStep(t.Output(5), 2, 4));
  EXPECT_TRUE(Printed(t.Output(6), "2"));
  EXPECT_TRUE(Printed(t.Output(7), "4"));
  EXPECT_TRUE(Printed(t.Output(8), "1"));
  // Back in the past, the exited workers exist again.
  std::vector<ThreadRow> rows = InfoThreads(t.Output(10));
  EXPECT_EQ(rows.size(), 3u) << Describe(rows);
  for (const ThreadRow& row : rows) {
    if (row.current) {
      EXPECT_EQ(row.name, "worker-2") << Describe(rows);
    }
  }

  EXPECT_FALSE(Contains(t.Output(11), "rewind:"));
  EXPECT_TRUE(HitWorkerStep(t.Output(11), 1, 4));
  EXPECT_TRUE(Printed(t.Output(12), "1"));
  EXPECT_TRUE(Printed(t.Output(13), "4"));

  EXPECT_TRUE(HitWorkerStep(t.Output(15), 2, 4));
  EXPECT_TRUE(StoppedAt(t.Output(17), kFile, Line("@after-joins"), "main"));
  EXPECT_TRUE(Printed(t.Output(18), "1520"));

  std::optional<std::string> worker_2 = PrintedValue(t.Output(9));
  std::optional<std::string> worker_1 = PrintedValue(t.Output(14));
  ASSERT_TRUE(worker_1 && worker_2);
  EXPECT_NE(*worker_2, "1");
  EXPECT_NE(*worker_1, "1");
  EXPECT_NE(*worker_1, *worker_2);
  EXPECT_EQ(PrintedValue(t.Output(16)), worker_2);
}

// worker-2's first worker_step follows a futex wait during which worker-1
// ran its own first step: stepping back over WaitForTurn(2) must step over
// that wait in worker-2 and not stop in (or switch to) worker-1, whose own
// WaitForTurn and worker_step calls lie in between on the recording's
// timeline. Then forwards again to the very same place.
TEST_F(GdbThreadsTest, ReverseStepAcrossAThreadSwitch) {
  constexpr int kStepis = 6;  // back over worker_step's prologue and the call into Worker
  std::vector<std::string> commands = {
      "break worker_step if id == 2",  // 0
      "continue",                      // 1: worker_step(2, 0)
      "print $_thread",                // 2
      "print $pc",                     // 3
      "print $sp",                     // 4
  };
  for (int k = 0; k < kStepis; ++k) commands.push_back("reverse-stepi");  // 5..10
  commands.push_back("print $pc");                                        // 11
  for (int k = 0; k < kStepis; ++k) commands.push_back("stepi");          // 12..17
  commands.push_back("print $pc");                                        // 18
  for (const char* command : {
           "reverse-step",    // 19: out to the call in Worker
           "reverse-next",    // 20: back over WaitForTurn(2) and its futex wait
           "print $_thread",  // 21
           "print id",        // 22
           "print i",         // 23
           "reverse-next",    // 24: the loop header (or the barrier before it)
           "print $_thread",  // 25
           "continue",        // 26: worker_step(2, 0) again
           "print $_thread",  // 27
           "print $pc",       // 28
           "print $sp",       // 29
       }) {
    commands.push_back(command);
  }
  GdbTranscript t = Gdb(commands);
  SCOPED_TRACE(t.Describe());
  ASSERT_EQ(t.commands.size(), commands.size());
  EXPECT_TRUE(HitWorkerStep(t.Output(1), 2, 0));
  std::optional<std::string> thread = PrintedValue(t.Output(2));
  std::optional<std::string> pc = PrintedValue(t.Output(3));
  std::optional<std::string> sp = PrintedValue(t.Output(4));
  ASSERT_TRUE(thread && pc && sp);

  for (size_t at = 5; at < 5 + kStepis; ++at) {
    SCOPED_TRACE("[" + std::to_string(at) + "] " + t.commands[at].command);
    EXPECT_TRUE(ShowsAnInstructionStop(t.Output(at)));
    EXPECT_FALSE(Contains(t.Output(at), "rewind:"));
    EXPECT_FALSE(Contains(t.Output(at), "Switching to Thread"));
    EXPECT_FALSE(Contains(t.Output(at), "No more reverse-execution history"));
  }
  std::optional<std::string> back = PrintedValue(t.Output(11));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(Contains(*back, "<Worker+")) << "reverse-stepi did not leave worker_step";
  for (size_t at = 12; at < 12 + kStepis; ++at) {
    SCOPED_TRACE("[" + std::to_string(at) + "] " + t.commands[at].command);
    EXPECT_TRUE(ShowsAnInstructionStop(t.Output(at)));
    EXPECT_FALSE(Contains(t.Output(at), "rewind:"));
    EXPECT_FALSE(Contains(t.Output(at), "Switching to Thread"));
  }
  EXPECT_EQ(PrintedValue(t.Output(18)), pc) << "stepi forwards did not come back";

  EXPECT_TRUE(StoppedAt(t.Output(19), kFile, Line("@call-step"), "Worker"));
  EXPECT_TRUE(StoppedAt(t.Output(20), kFile, Line("@call-wait"), "Worker"));
  EXPECT_EQ(PrintedValue(t.Output(21)), thread);
  EXPECT_TRUE(Printed(t.Output(22), "2"));
  EXPECT_TRUE(Printed(t.Output(23), "0"));
  std::optional<SourceLocation> before_wait = StopLocation(t.Output(24));
  ASSERT_TRUE(before_wait.has_value()) << t.Output(24);
  EXPECT_TRUE(before_wait->function.empty() || before_wait->function == "Worker")
      << before_wait->ToString();
  EXPECT_LT(before_wait->line, Line("@call-wait")) << before_wait->ToString();
  EXPECT_GE(before_wait->line, Line("@barrier")) << before_wait->ToString();
  EXPECT_EQ(PrintedValue(t.Output(25)), thread);
  for (size_t at : {19, 20, 24}) {
    SCOPED_TRACE("[" + std::to_string(at) + "] " + t.commands[at].command);
    EXPECT_FALSE(Contains(t.Output(at), "rewind:"));
    EXPECT_FALSE(Contains(t.Output(at), "Switching to Thread"));
  }

  EXPECT_TRUE(HitWorkerStep(t.Output(26), 2, 0));
  EXPECT_EQ(PrintedValue(t.Output(27)), thread);
  EXPECT_EQ(PrintedValue(t.Output(28)), pc);
  EXPECT_EQ(PrintedValue(t.Output(29)), sp);
}

// `frame` of an `info threads` row without the "0x... in " gdb puts before
// a function when the pc is not at the start of a line: a thread restored
// inside a blocking syscall may sit at the syscall instruction rather than
// after it.
std::string FrameFunction(const std::string& frame) {
  static const std::regex kAddress(R"(^0x[0-9a-f]+ in )");
  std::string text = std::regex_replace(frame, kAddress, "");
  return text.substr(0, text.find(" ("));
}

// Restarting a checkpoint must not leave a gdb that crashes or hangs: every
// run is bounded by Gdb()'s timeout, and an internal error is reported.
::testing::AssertionResult NoGdbInternalError(const GdbTranscript& t) {
  if (!Contains(t.run.out, "internal-error")) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "gdb hit an internal error";
}

// A checkpoint taken at a worker's breakpoint holds all three threads:
// restarting it recreates them (same ids, names and places), and from there
// the run repeats the same (id, i) sequence in the same threads, backwards
// as well as forwards. gdb's current thread when restarting is the one that
// was current at the checkpoint (worker-2).
TEST_F(GdbThreadsTest, CheckpointRestartRecreatesEveryThread) {
  GdbTranscript t = Gdb({
      "break worker_step",                 // 0
      "continue",                          // 1: (1, 0)
      "continue",                          // 2: (2, 0), in worker-2
      "monitor checkpoint here",           // 3
      "info threads",                      // 4
      "continue",                          // 5: (1, 1)
      "print $_thread",                    // 6
      "continue",                          // 7: (2, 1)
      "print $_thread",                    // 8
      "continue",                          // 9: (1, 2)
      "print $_thread",                    // 10
      "continue",                          // 11: (2, 2)
      "print $_thread",                    // 12
      "monitor restart here",              // 13
      "maintenance flush register-cache",  // 14
      "info threads",                      // 15
      "print id",                          // 16
      "print i",                           // 17
      "continue",                          // 18: (1, 1) again
      "print $_thread",                    // 19
      "continue",                          // 20: (2, 1) again
      "print $_thread",                    // 21
      "continue",                          // 22: (1, 2) again
      "print $_thread",                    // 23
      "continue",                          // 24: (2, 2) again
      "print $_thread",                    // 25
      "reverse-continue",                  // 26: (1, 2)
      "print $_thread",                    // 27
      "print g_sum",                       // 28
      "reverse-continue",                  // 29: (2, 1)
      "print $_thread",                    // 30
      "monitor stats",                     // 31
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(NoGdbInternalError(t));
  ASSERT_EQ(t.commands.size(), 32u);
  EXPECT_TRUE(HitWorkerStep(t.Output(2), 2, 0));
  EXPECT_TRUE(AnyLineMatches(t.Output(3), R"(^Checkpoint \d+ at event \d+$)"));
  std::vector<ThreadRow> before = InfoThreads(t.Output(4));
  ASSERT_EQ(before.size(), 3u) << Describe(before);

  // The first time through.
  EXPECT_TRUE(HitWorkerStep(t.Output(5), 1, 1));
  EXPECT_TRUE(HitWorkerStep(t.Output(7), 2, 1));
  EXPECT_TRUE(HitWorkerStep(t.Output(9), 1, 2));
  EXPECT_TRUE(HitWorkerStep(t.Output(11), 2, 2));
  std::optional<std::string> worker_1 = PrintedValue(t.Output(6));
  std::optional<std::string> worker_2 = PrintedValue(t.Output(8));
  ASSERT_TRUE(worker_1 && worker_2);
  EXPECT_NE(*worker_1, *worker_2);
  EXPECT_EQ(PrintedValue(t.Output(10)), worker_1);
  EXPECT_EQ(PrintedValue(t.Output(12)), worker_2);

  EXPECT_TRUE(AnyLineMatches(t.Output(13), "^Current event: ")) << t.Output(13);
  std::vector<ThreadRow> after = InfoThreads(t.Output(15));
  {
    SCOPED_TRACE("info threads at the checkpoint:\n" + Describe(before) + "after restarting it:\n" +
                 Describe(after));
    ASSERT_EQ(after.size(), 3u) << "main and the two workers, recreated";
    for (size_t k = 0; k < after.size(); ++k) {
      EXPECT_EQ(after[k].number, before[k].number);
      EXPECT_EQ(after[k].target_id, before[k].target_id);
      EXPECT_EQ(after[k].name, before[k].name) << "thread names are part of a thread";
      EXPECT_EQ(FrameFunction(after[k].frame), FrameFunction(before[k].frame));
    }
    EXPECT_TRUE(Contains(after[2].frame, "worker_step (id=2, i=0)"));
  }
  EXPECT_TRUE(Printed(t.Output(16), "2"));
  EXPECT_TRUE(Printed(t.Output(17), "0"));

  // The same hits as the first time, in the same threads.
  EXPECT_TRUE(HitWorkerStep(t.Output(18), 1, 1));
  EXPECT_EQ(PrintedValue(t.Output(19)), worker_1);
  EXPECT_TRUE(HitWorkerStep(t.Output(20), 2, 1));
  EXPECT_EQ(PrintedValue(t.Output(21)), worker_2);
  EXPECT_TRUE(HitWorkerStep(t.Output(22), 1, 2));
  EXPECT_EQ(PrintedValue(t.Output(23)), worker_1);
  EXPECT_TRUE(HitWorkerStep(t.Output(24), 2, 2));
  EXPECT_EQ(PrintedValue(t.Output(25)), worker_2);

  // Backwards from there: the previous hit, in the other worker.
  EXPECT_TRUE(HitWorkerStep(t.Output(26), 1, 2));
  EXPECT_EQ(PrintedValue(t.Output(27)), worker_1);
  EXPECT_TRUE(Printed(t.Output(28), "602")) << "100 + 200 + 101 + 201 before this step";
  EXPECT_TRUE(HitWorkerStep(t.Output(29), 2, 1));
  EXPECT_EQ(PrintedValue(t.Output(30)), worker_2);
  for (size_t k = 0; k < t.commands.size(); ++k) {
    EXPECT_FALSE(Contains(t.Output(k), "rewind:")) << "[" << k << "] " << t.commands[k].command;
  }

  static const std::regex kRestores(R"(restores: (\d+) )");
  std::smatch m;
  const std::string& stats = t.Output(31);
  ASSERT_TRUE(std::regex_search(stats, m, kRestores)) << stats;
  EXPECT_GE(std::stoll(m[1].str()), 2) << "the restart and the reverse-continues restore";
}

// As above, but gdb's current thread when restarting is worker-1, which was
// blocked in a futex wait at the checkpoint: gdb does not re-select a thread
// after `monitor restart`, so the server must keep answering register reads
// for the thread gdb last selected, not switch them to the checkpoint's.
TEST_F(GdbThreadsTest, CheckpointRestartFromAnotherThread) {
  GdbTranscript t = Gdb({
      "break worker_step",                 // 0
      "continue",                          // 1: (1, 0)
      "continue",                          // 2: (2, 0), in worker-2
      "monitor checkpoint here",           // 3
      "info threads",                      // 4
      "continue",                          // 5: (1, 1), in worker-1
      "monitor restart here",              // 6
      "maintenance flush register-cache",  // 7
      "info threads",                      // 8
      "continue",                          // 9
      "print $_thread",                    // 10
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(NoGdbInternalError(t));
  ASSERT_EQ(t.commands.size(), 11u);
  EXPECT_TRUE(HitWorkerStep(t.Output(5), 1, 1));
  std::vector<ThreadRow> before = InfoThreads(t.Output(4));
  std::vector<ThreadRow> after = InfoThreads(t.Output(8));
  SCOPED_TRACE("info threads at the checkpoint:\n" + Describe(before) + "after restarting it:\n" +
               Describe(after));
  ASSERT_EQ(before.size(), 3u);
  ASSERT_EQ(after.size(), 3u);
  for (size_t k = 0; k < after.size(); ++k) {
    EXPECT_EQ(FrameFunction(after[k].frame), FrameFunction(before[k].frame)) << "thread " << k + 1;
  }
  // From the checkpoint at worker_step(2, 0), the next hit is worker-1's
  // (1, 1), unless the server reports the restored stop again.
  EXPECT_TRUE(HitWorkerStep(t.Output(9), 1, 1) || HitWorkerStep(t.Output(9), 2, 0)) << t.Output(9);
}

}  // namespace
}  // namespace rwd::e2e

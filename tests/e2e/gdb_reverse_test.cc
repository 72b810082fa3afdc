// Reverse debugging acceptance tests (issue #4) with a real gdb: finding a
// bad write from a crash with a reverse watchpoint, determinism of repeated
// round trips, and checkpoints doing their job in a long recording.
#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

using GdbReverseTest = GdbTest;

// "Current event: N (of M)..." from `monitor when`; -1 if absent.
int64_t CurrentEvent(const std::string& output) {
  static const std::regex kWhen(R"(Current event: (\d+) \(of (\d+)\))");
  std::smatch m;
  if (!std::regex_search(output, m, kWhen)) return -1;
  return std::stoll(m[1].str());
}

TEST_F(GdbReverseTest, ReverseWatchpointFromACrashFindsTheBadWrite) {
  Recording rec = Record("heap_corrupt");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  constexpr char kSource[] = "tests/programs/heap_corrupt.c";
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("heap_corrupt"),
                                   {
                                       "continue",                 // 0: the crash
                                       "print account->number",    // 1
                                       "print account->owner",     // 2
                                       "watch -l account->owner",  // 3
                                       "reverse-continue",         // 4: the bad write
                                       "bt",                       // 5
                                       "print number",             // 6
                                       "print account->owner",     // 7
                                       "continue",                 // 8: forwards over it again
                                       "print account->owner",     // 9
                                   });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(0), "Program received signal SIGSEGV"));
  EXPECT_TRUE(StoppedAt(t.Output(0), "heap_corrupt.c",
                        SourceLine(kSource, "return account->owner->id;"), "OwnerId"));
  EXPECT_TRUE(Printed(t.Output(1), "2"));
  EXPECT_TRUE(Printed(t.Output(2), "(struct Owner *) 0x10"));
  EXPECT_TRUE(Contains(t.Output(3), "Hardware watchpoint 1: -location account->owner"));

  // Going backwards, the watchpoint stops on the writing line itself,
  // before the write: "Old value" is the later value (the bad pointer),
  // "New value" the one it had before, a real heap pointer.
  int write_line = SourceLine(kSource, "account->owner = (struct Owner*)0x10;");
  EXPECT_TRUE(StoppedAt(t.Output(4), "heap_corrupt.c", write_line, "CloseAccount"));
  EXPECT_TRUE(AnyLineMatches(t.Output(4), R"(^Old value = \(struct Owner \*\) 0x10$)"));
  EXPECT_TRUE(AnyLineMatches(t.Output(4), R"(^New value = \(struct Owner \*\) 0x5[0-9a-f]{11}$)"));
  std::vector<Frame> frames = Backtrace(t.Output(5));
  ASSERT_EQ(frames.size(), 2u) << t.Output(5);
  EXPECT_EQ(frames[0].function, "CloseAccount");
  EXPECT_EQ(frames[1].function, "main");
  EXPECT_EQ(frames[1].line, SourceLine(kSource, "CloseAccount(2);"));
  EXPECT_TRUE(Printed(t.Output(6), "2"));
  std::optional<std::string> before = PrintedValue(t.Output(7));
  ASSERT_TRUE(before.has_value());
  EXPECT_NE(*before, "(struct Owner *) 0x10");
  // Forwards again: the same write, old and new the other way round, and
  // gdb shows the line after it.
  EXPECT_TRUE(
      Contains(t.Output(8), "Old value = " + *before + "\nNew value = (struct Owner *) 0x10\n"));
  EXPECT_TRUE(StoppedAt(t.Output(8), "heap_corrupt.c", write_line + 1, "CloseAccount"));
  EXPECT_TRUE(Printed(t.Output(9), "(struct Owner *) 0x10"));
}

// Reverse execution re-executes from checkpoints, the first of which is
// taken before the dynamic loader maps any library: a breakpoint in a
// library must still be found (and must not fail to plant there).
TEST_F(GdbReverseTest, ReverseContinueToABreakpointInASharedLibrary) {
  Recording rec = Record("diff_shared");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("diff_shared"),
                                   {"break DsMix", "continue", "continue", "print ds_calls",
                                    "reverse-continue", "print ds_calls", "reverse-continue"});
  SCOPED_TRACE(t.Describe());
  int line = SourceLine("tests/programs/shared/diffshared.c", "@mix-entry");
  // DsMix(1, 2) from main, then DsMix(0, 5) from the first callback.
  EXPECT_TRUE(Contains(t.Output(1), "Breakpoint 1, DsMix (acc=1, value=2)"));
  EXPECT_TRUE(Contains(t.Output(2), "Breakpoint 1, DsMix (acc=0, value=5)"));
  EXPECT_TRUE(Printed(t.Output(3), "1"));
  EXPECT_FALSE(Contains(t.Output(4), "rewind:"));
  EXPECT_TRUE(Contains(t.Output(4), "Breakpoint 1, DsMix (acc=1, value=2)"));
  EXPECT_TRUE(StoppedAt(t.Output(4), "diffshared.c", line, "DsMix"));
  EXPECT_TRUE(Printed(t.Output(5), "0"));
  // No earlier call: back to the start of history.
  EXPECT_FALSE(Contains(t.Output(6), "rewind:"));
  EXPECT_TRUE(Contains(t.Output(6), "No more reverse-execution history."));
}

// Single-stepping through the syscall instruction of getpid and back: each
// reverse-stepi returns to the previous instruction (getpid is `mov
// $39,%eax; syscall; ret`), whichever way the point was first reached.
// Traced syscalls: the syscall buffer routes getpid elsewhere
// (SyscallBufferGdbTest.ReverseStepiThroughAPatchedSyscallSite).
TEST_F(GdbReverseTest, ReverseStepiBackOverASyscallInstruction) {
  Recording rec = Record("long_loop", {}, SyscallBufferOff());
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> commands = {"break getpid", "continue", "delete", "p $pc"};
  constexpr int kSteps = 4;  // onto syscall, over it, ret, back in Step
  for (int i = 0; i < kSteps; ++i) {
    commands.push_back("stepi");
    commands.push_back("p $pc");
  }
  for (int i = 0; i < kSteps; ++i) {
    commands.push_back("reverse-stepi");
    commands.push_back("p $pc");
  }
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("long_loop"), commands);
  SCOPED_TRACE(t.Describe());
  std::vector<std::optional<std::string>> forward;  // pc before each stepi, and after the last
  for (int i = 0; i <= kSteps; ++i) forward.push_back(PrintedValue(t.Output(3 + 2 * i)));
  EXPECT_TRUE(forward[1] && Contains(*forward[1], "getpid")) << forward[1].value_or("none");
  EXPECT_TRUE(forward[kSteps] && Contains(*forward[kSteps], "<Step+"))
      << forward[kSteps].value_or("none");
  for (int i = 0; i < kSteps; ++i) {
    size_t at = 4 + 2 * kSteps + 1 + 2 * static_cast<size_t>(i);  // its p $pc
    SCOPED_TRACE("reverse-stepi " + std::to_string(i + 1));
    EXPECT_FALSE(Contains(t.Output(at - 1), "rewind:"));
    EXPECT_EQ(PrintedValue(t.Output(at)), forward[kSteps - 1 - i]);
  }
}

TEST_F(GdbReverseTest, FiftyRoundTripsShowIdenticalRegisters) {
  Recording rec = Record("heap_corrupt");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  // CloseAccount runs before a write(2) and 5000 rounds of Interest, the
  // first OwnerId after them: each round trip crosses events.
  std::vector<std::string> commands = {"break CloseAccount", "break OwnerId", "continue",
                                       "continue"};
  constexpr int kRoundTrips = 50;
  for (int i = 0; i < kRoundTrips; ++i) {
    for (const char* command : {"reverse-continue", "info registers", "monitor when", "continue",
                                "info registers", "monitor when"}) {
      commands.push_back(command);
    }
  }
  GdbOptions options;
  options.timeout = std::chrono::seconds(120);
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("heap_corrupt"), commands, options);
  SCOPED_TRACE(t.Describe().substr(0, 20000));
  ASSERT_EQ(t.commands.size(), commands.size());
  EXPECT_TRUE(Contains(t.Output(2), "Breakpoint 1, CloseAccount (number=2)"));
  EXPECT_TRUE(Contains(t.Output(3), "Breakpoint 2, OwnerId ("));

  std::string close_registers, owner_registers, close_when, owner_when;
  for (int i = 0; i < kRoundTrips; ++i) {
    size_t at = 4 + 6 * static_cast<size_t>(i);
    SCOPED_TRACE("round trip " + std::to_string(i));
    EXPECT_TRUE(Contains(t.Output(at), "Breakpoint 1, CloseAccount (number=2)"));
    EXPECT_TRUE(Contains(t.Output(at + 3), "Breakpoint 2, OwnerId ("));
    const std::string& close_now = t.Output(at + 1);
    const std::string& owner_now = t.Output(at + 4);
    ASSERT_GE(Registers(close_now).size(), 24u) << close_now;  // rax..gs, fs_base, gs_base
    if (i == 0) {
      close_registers = close_now;
      owner_registers = owner_now;
      close_when = t.Output(at + 2);
      owner_when = t.Output(at + 5);
      ASSERT_NE(close_registers, owner_registers);
      ASSERT_LT(CurrentEvent(close_when), CurrentEvent(owner_when));
      continue;
    }
    ASSERT_EQ(close_now, close_registers);
    ASSERT_EQ(owner_now, owner_registers);
    ASSERT_EQ(t.Output(at + 2), close_when);
    ASSERT_EQ(t.Output(at + 5), owner_when);
  }
}

// 20000 syscalls, each an event (the syscall buffer off): checkpoints are
// taken between events.
TEST_F(GdbReverseTest, CheckpointsAreUsedInALongRecording) {
  Recording rec = Record("long_loop", {}, SyscallBufferOff());
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  constexpr char kSource[] = "tests/programs/long_loop.c";
  // Automatic checkpoints every 10 ms of replay time: replaying a syscall
  // costs at least a few ptrace stops (~10 us), so even the last quarter of
  // the 20000-syscall run (~50 ms or more) gets several.
  GdbOptions options;
  options.replay_args = {"--checkpoint-interval", "10"};
  options.timeout = std::chrono::seconds(120);
  GdbTranscript t = RunGdbOnReplay(
      rec.trace, Program("long_loop"),
      {
          "break long_loop.c:" + std::to_string(SourceLine(kSource, "close(null_fd);")),  // 0
          "continue",                          // 1: after the loop
          "monitor when",                      // 2
          "break Step",                        // 3
          "reverse-continue",                  // 4: Step(19999)
          "reverse-continue",                  // 5: Step(19998)
          "monitor when",                      // 6
          "monitor stats",                     // 7
          "print i",                           // 8
          "print g_counter",                   // 9
          "print $pc",                         // 10
          "monitor checkpoint mine",           // 11
          "finish",                            // 12
          "print g_counter",                   // 13
          "monitor restart mine",              // 14
          "maintenance flush register-cache",  // 15
          "print $pc",                         // 16
          "print i",                           // 17
          "print g_counter",                   // 18
          "monitor checkpoints",               // 19
          "monitor goto 100",                  // 20
          "maintenance flush register-cache",  // 21
          "monitor when",                      // 22
          "continue",                          // 23
          "print i",                           // 24
      },
      options);
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(
      StoppedAt(t.Output(1), "long_loop.c", SourceLine(kSource, "close(null_fd);"), "main"));
  int64_t end_event = CurrentEvent(t.Output(2));
  EXPECT_GT(end_event, 20000);
  EXPECT_TRUE(Contains(t.Output(4), "Breakpoint 2, Step (i=19999, "));
  EXPECT_TRUE(Contains(t.Output(5), "Breakpoint 2, Step (i=19998, "));
  int64_t step_event = CurrentEvent(t.Output(6));
  EXPECT_GT(step_event, 0);
  EXPECT_LT(step_event, end_event);

  // The reverse-continues restored a checkpoint taken late in the run, not
  // (only) the one at the start of history (event 1).
  static const std::regex kStats(
      R"(restores: (\d+) \((\d+) from the start of history\), last from event (\d+))");
  std::smatch m;
  const std::string& stats = t.Output(7);
  ASSERT_TRUE(std::regex_search(stats, m, kStats)) << stats;
  int64_t restores = std::stoll(m[1].str());
  int64_t from_start = std::stoll(m[2].str());
  int64_t last_from = std::stoll(m[3].str());
  EXPECT_GE(restores, 2);
  EXPECT_LT(from_start, restores);
  EXPECT_GT(last_from, 1);
  EXPECT_LE(last_from, step_event);
  // Late enough to be useful: in the last quarter of the run.
  EXPECT_GT(last_from, end_event * 3 / 4);

  EXPECT_TRUE(Printed(t.Output(8), "19998"));
  std::optional<std::string> counter = PrintedValue(t.Output(9));
  std::optional<std::string> pc = PrintedValue(t.Output(10));
  ASSERT_TRUE(counter && pc);
  EXPECT_TRUE(AnyLineMatches(t.Output(11),
                             R"(^Checkpoint \d+ at event )" + std::to_string(step_event) + "$"));
  // Step(19998) adds at least 19998 % 7 = 6.
  std::optional<std::string> after = PrintedValue(t.Output(13));
  ASSERT_TRUE(after.has_value());
  EXPECT_GE(std::stoll(*after), std::stoll(*counter) + 6);
  EXPECT_EQ(CurrentEvent(t.Output(14)), step_event);
  EXPECT_EQ(PrintedValue(t.Output(16)), pc);
  EXPECT_TRUE(Printed(t.Output(17), "19998"));
  EXPECT_EQ(PrintedValue(t.Output(18)), counter);
  EXPECT_TRUE(
      AnyLineMatches(t.Output(19), "\tevent " + std::to_string(step_event) + "\texplicit\tmine$"));
  EXPECT_EQ(CurrentEvent(t.Output(20)), 100);
  EXPECT_EQ(CurrentEvent(t.Output(22)), 100);
  // Event 100 is early in the loop (one syscall per iteration after the
  // few dozen events of start-up): the next Step is an early iteration.
  EXPECT_TRUE(Contains(t.Output(23), "Breakpoint 2, Step (i="));
  std::optional<std::string> i = PrintedValue(t.Output(24));
  ASSERT_TRUE(i.has_value());
  EXPECT_GT(std::stoll(*i), 0);
  EXPECT_LT(std::stoll(*i), 100);
}

// Memory the program keeps from its forks (MADV_DONTFORK, as V8 does with
// its code range; MADV_WIPEONFORK) stays in replay's own forks, the
// checkpoints: a restored checkpoint once lacked it and faulted where the
// program did not ("saw SIGSEGV", which made reverse execution in node
// fail). The program's own fork still gets what the kernel gave it: no
// kept-back pages, a zeroed wiped one (the replay says so, or diverges).
TEST_F(GdbReverseTest, CheckpointsKeepMemoryTheProgramKeepsFromItsForks) {
  Recording rec = Record("fork_advice", {});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "child: keep absent, wipe 0\n")) << rec.out;
  ExpectReplaysIdentically(rec);
  constexpr char kSource[] = "tests/programs/fork_advice.c";
  GdbTranscript t = RunGdbOnReplay(
      rec.trace, Program("fork_advice"),
      {
          "break fork_advice.c:" + std::to_string(SourceLine(kSource, "@round-end")),  // 0
          "continue",                       // 1: round 0
          "continue",                       // 2: round 1
          "monitor checkpoint after-advice",  // 3: a fork of the program
          "continue",                       // 4: round 2
          "continue",                       // 5: round 3
          "monitor restart after-advice",   // 6
          "maintenance flush register-cache",  // 7
          "print round",                    // 8
          "print keep[400]",                // 9
          "print wipe[0]",                  // 10
          "delete",                         // 11
          "break fork_advice.c:" + std::to_string(SourceLine(kSource, "@round-end")),  // 12
          "continue",                       // 13: round 2, from the checkpoint
          "print keep[800]",                // 14
          "continue",                       // 15: round 3
          "reverse-continue",               // 16: round 2 again
          "print keep[800]",                // 17
          "print wipe[0]",                  // 18
          "delete",                         // 19
          "continue",                       // 20: to the end
      });
  SCOPED_TRACE(t.Describe());
  ASSERT_EQ(t.commands.size(), 21u);
  EXPECT_TRUE(Printed(t.Output(8), "1")) << t.Output(8);
  EXPECT_TRUE(Printed(t.Output(9), "1001")) << t.Output(9);
  EXPECT_TRUE(Printed(t.Output(10), "3")) << t.Output(10);
  EXPECT_TRUE(Printed(t.Output(14), "1002")) << t.Output(14);
  EXPECT_TRUE(Printed(t.Output(17), "1002")) << t.Output(17);
  EXPECT_TRUE(Printed(t.Output(18), "6")) << t.Output(18);
  EXPECT_TRUE(Contains(t.Output(20), "exited normally")) << t.Output(20);
  EXPECT_FALSE(Contains(t.run.out + t.run.err, "diverge")) << t.run.out << t.run.err;

  // The recorder's snapshots are forks too: it lends them that memory and
  // takes them after the advice as before it (snapshot_fork_advice_test
  // restores them). This program asks for one after its advice: the few
  // events after it can pass within any interval.
  const std::string snapped = NewPath("snapped");
  RunResult record = Rewind({"record", "--snapshot-interval", "0.001", "-o", snapped,
                             Program("fork_advice_snap")});
  ASSERT_EQ(record.exit_status, 0) << record.Describe();
  RunResult dump = Dump(snapped);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dump.out, m, std::regex(R"(#(\d+) tid \d+ syscall madvise\()")))
      << dump.out;
  const uint64_t advice_event = std::stoull(m[1].str());
  RunResult info = Rewind({"info", snapped});
  ASSERT_EQ(info.exit_status, 0) << info.Describe();
  static const std::regex kSnapshotRow(R"(\n\s+\d+\s+(\d+)\s+\d+\s+\d+\s+\d+\s)");
  int after_advice = 0;
  for (auto it = std::sregex_iterator(info.out.begin(), info.out.end(), kSnapshotRow);
       it != std::sregex_iterator(); ++it) {
    if (std::stoull((*it)[1].str()) > advice_event) ++after_advice;
  }
  EXPECT_GT(after_advice, 0) << info.out;
  RunResult replay = ReplayAutopilot(snapped);
  EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
  EXPECT_EQ(replay.out, record.out);
}

}  // namespace
}  // namespace rwd::e2e

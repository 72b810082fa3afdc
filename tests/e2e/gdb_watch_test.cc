// Watchpoints by page protection (replayer/page_watch.h), the replayer's
// own mechanism where the debug registers do not trigger (this project's
// VMs) or cannot hold the request. Every test forces it with
// --software-watchpoints, so it is exercised on machines whose debug
// registers work too: exact stops on a page shared with hot data, writes
// the replay makes for the program (an emulated read()), the program's own
// protection of a watched page and its own SIGSEGV there, read and access
// watchpoints, and reverse-continue through checkpoints taken every
// millisecond.
#include <gtest/gtest.h>

#include <regex>

#include "arch/arch.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

using GdbWatchTest = GdbTest;

GdbOptions Software(std::vector<std::string> more = {}) {
  GdbOptions options;
  options.timeout = std::chrono::seconds(240);
  options.replay_args = {"--software-watchpoints"};
  options.replay_args.insert(options.replay_args.end(), more.begin(), more.end());
  return options;
}

std::string Watched(int old_value, int new_value) {
  return "Old value = " + std::to_string(old_value) + "\nNew value = " + std::to_string(new_value) +
         "\n";
}

// "N page faults taken" from `monitor stats`; -1 if absent.
int64_t PageFaults(const std::string& output) {
  static const std::regex kFaults(R"(page protection, (\d+) page faults)");
  std::smatch m;
  if (!std::regex_search(output, m, kFaults)) return -1;
  return std::stoll(m[1].str());
}

constexpr char kHotSource[] = "tests/programs/watch_hot_page.c";

TEST_F(GdbWatchTest, WatchOnAPageSharedWithHotDataStopsExactlyAtEachWrite) {
  Recording rec = Record("watch_hot_page");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  int write_line = SourceLine(kHotSource, "@watched-write");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("watch_hot_page"),
                                   {
                                       "break Churn",           // 0
                                       "continue",              // 1
                                       "delete",                // 2
                                       "watch g_page.watched",  // 3
                                       "continue",              // 4
                                       "continue",              // 5
                                       "continue",              // 6
                                       "continue",              // 7
                                       "monitor stats",         // 8
                                       "continue",              // 9: to the end
                                   },
                                   Software());
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(3), "Hardware watchpoint 2: g_page.watched"));
  // Each round's write, in order, and nothing for the thousands of writes
  // to the rest of the page; gdb shows the line after the store.
  for (int round = 1; round <= 4; ++round) {
    const std::string& out = t.Output(3 + round);
    EXPECT_TRUE(Contains(out, Watched((round - 1) * 10, round * 10))) << "round " << round;
    EXPECT_TRUE(StoppedAt(out, "watch_hot_page.c", write_line + 1, "main")) << "round " << round;
  }
  // 400 writes of each of two arrays per round share the page: the watch
  // took them all as faults and let them through.
  EXPECT_GE(PageFaults(t.Output(8)), 4 * 2 * 400);
  EXPECT_TRUE(AnyLineMatches(t.Output(9), R"(^rewind: \[process \d+ exited normally\] here)"));
}

TEST_F(GdbWatchTest, WatchOfA64ByteArrayTheDebugRegistersCouldNotHold) {
  Recording rec = Record("watch_hot_page");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("watch_hot_page"),
                                   {
                                       "break Churn",             // 0
                                       "continue",                // 1
                                       "watch g_page.hot_after",  // 2
                                       "continue",                // 3
                                   },
                                   Software());
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(2), "Hardware watchpoint 2: g_page.hot_after"));
  // hot_after[0] ^= 0 changes nothing; hot_after[1] ^= 1 is the first change.
  EXPECT_TRUE(Contains(t.Output(3),
                       "Old value = {0, 0, 0, 0, 0, 0, 0, 0}\n"
                       "New value = {0, 1, 0, 0, 0, 0, 0, 0}\n"));
}

TEST_F(GdbWatchTest, WatchOnAStackVariable) {
  Recording rec = Record("watch_hot_page");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  int stack_line = SourceLine(kHotSource, "@stack-write");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("watch_hot_page"),
                                   {
                                       "break main",      // 0
                                       "continue",        // 1
                                       "watch on_stack",  // 2
                                       "continue",        // 3
                                       "continue",        // 4
                                       "continue",        // 5
                                   },
                                   Software());
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(3), Watched(0, 1)));
  EXPECT_TRUE(StoppedAt(t.Output(3), "watch_hot_page.c", stack_line - 4, "main"));
  EXPECT_TRUE(Contains(t.Output(4), Watched(1, 3)));
  EXPECT_TRUE(Contains(t.Output(5), Watched(3, 6)));
}

TEST_F(GdbWatchTest, ReadAndAccessWatchpoints) {
  Recording rec = Record("watch_hot_page");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  int read_line = SourceLine(kHotSource, "@watched-read");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("watch_hot_page"),
                                   {
                                       "break Churn",            // 0
                                       "continue",               // 1
                                       "delete",                 // 2
                                       "rwatch g_page.watched",  // 3
                                       "continue",               // 4: round 1's read
                                       "delete",                 // 5
                                       "awatch g_page.watched",  // 6
                                       "continue",               // 7: round 2's write
                                       "continue",               // 8: round 2's read
                                   },
                                   Software());
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(3), "Hardware read watchpoint 2: g_page.watched"));
  // The write of round 1 does not stop a read watchpoint; its read does.
  EXPECT_TRUE(Contains(t.Output(4), "Hardware read watchpoint 2: g_page.watched\n\nValue = 10\n"));
  EXPECT_TRUE(StoppedAt(t.Output(4), "watch_hot_page.c", read_line, "main"));
  EXPECT_TRUE(Contains(t.Output(6), "Hardware access (read/write) watchpoint 3: g_page.watched"));
  EXPECT_TRUE(Contains(t.Output(7), Watched(10, 20)));
  EXPECT_TRUE(StoppedAt(t.Output(7), "watch_hot_page.c", read_line, "main"));
  EXPECT_TRUE(Contains(t.Output(8), "Value = 20\n"));
  EXPECT_TRUE(StoppedAt(t.Output(8), "watch_hot_page.c", read_line, "main"));
}

// The program's getpid calls are events (the syscall buffer off), between
// which checkpoints are taken.
TEST_F(GdbWatchTest, ReverseContinueThroughCheckpointsEveryMillisecond) {
  Recording rec = Record("watch_hot_page", {}, SyscallBufferOff());
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  int write_line = SourceLine(kHotSource, "@watched-write");
  int print_line = SourceLine(kHotSource, "printf(\"watch_hot_page");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("watch_hot_page"),
                                   {
                                       "break " + std::to_string(print_line),  // 0
                                       "continue",                             // 1
                                       "monitor checkpoints",                  // 2
                                       "watch g_page.watched",                 // 3
                                       "reverse-continue",                     // 4: round 4
                                       "reverse-continue",                     // 5: round 3
                                       "reverse-continue",                     // 6: round 2
                                       "print round",                          // 7
                                       "continue",                             // 8: forwards
                                   },
                                   Software({"--checkpoint-interval", "1"}));
  SCOPED_TRACE(t.Describe());
  // Checkpoints in between the writes, so each reverse-continue re-executes
  // from one near it.
  EXPECT_GE(std::count(t.Output(2).begin(), t.Output(2).end(), '\n'), 4);
  // Backwards, each stop is on the writing line with the value it
  // overwrote as "New value".
  for (int i = 0; i < 3; ++i) {
    int round = 4 - i;
    const std::string& out = t.Output(4 + i);
    EXPECT_TRUE(Contains(out, Watched(round * 10, (round - 1) * 10))) << "round " << round;
    EXPECT_TRUE(StoppedAt(out, "watch_hot_page.c", write_line, "main")) << "round " << round;
  }
  EXPECT_TRUE(Printed(t.Output(7), "2"));
  EXPECT_TRUE(Contains(t.Output(8), Watched(10, 20)));
  EXPECT_TRUE(StoppedAt(t.Output(8), "watch_hot_page.c", write_line + 1, "main"));
}

// A signal placed by fingerprint inside a syscall-free loop, re-executed
// with a watched page protected: the fingerprint hashes the executable's
// data as the program sees it, not as the watchpoint protects it. (It left
// the protected page out, never found the recorded state, and the replay
// ran on or diverged: a ci artifact's `watch -l` + reverse-continue failed
// in 1 of 10 recordings.)
TEST_F(GdbWatchTest, ReverseContinueAcrossASignalPlacedByFingerprint) {
  Recording rec = Record("sig_loop_marker");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "sig_loop_marker: marker 42")) << rec.Describe();
  int marker_line = SourceLine("tests/programs/sig_loop_marker.c", "// MARKER");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("sig_loop_marker"),
                                   {"continue", "watch g_marker", "reverse-continue"},
                                   Software({"--checkpoint-interval", "1"}));
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(2), Watched(42, 0)));
  EXPECT_TRUE(StoppedAt(t.Output(2), "sig_loop_marker.c", marker_line, "main"));
  EXPECT_TRUE(NoMotionFailed(t));
}

// Back to a write in a signal handler: the handler's frame holds the
// kernel's record of the thread's last trap (x86-64: trapno, err, cr2),
// which was the replayer's own (a probe, a step, a watched page's fault),
// so the states inside the handler differed from one re-execution to the
// next and the write's position was never reached again ("its event
// passed"). Delivery into the handler now clears them.
TEST_F(GdbWatchTest, ReverseContinueToAWriteInASignalHandler) {
  Recording rec = Record("sig_loop_marker");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  int flag_line = SourceLine("tests/programs/sig_loop_marker.c", "g_flag = 1;");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("sig_loop_marker"),
                                   {"continue", "watch g_flag", "reverse-continue"},
                                   Software({"--checkpoint-interval", "1"}));
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(2), Watched(1, 0)));
  EXPECT_TRUE(StoppedAt(t.Output(2), "sig_loop_marker.c", flag_line, "OnAlarm"));
  EXPECT_TRUE(NoMotionFailed(t));
}

// With the syscall buffer, the whole loop of writes is one stretch between
// two events (its getpid calls are one syscall batch): the stop at the
// printf is inside that stretch, not at its start, and reverse-continue
// finds every write in it. (It once named the stop as the batch's
// boundary, re-executed nothing of the stretch and ran back to the start
// of history past all four writes.)
TEST_F(GdbWatchTest, ReverseContinueThroughABufferedStretch) {
  if (!arch::HostArch().HasSyscallBuffer())
    GTEST_SKIP() << "no syscall buffer on this architecture";
  Recording rec = Record("watch_hot_page", {}, RunOptions{.env = {"REWIND_SYSCALLBUF=1"}});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  RunResult dump = Dump(rec.trace);
  ASSERT_TRUE(AnyLineMatches(dump.out, R"(syscall-batch \d+ buffered syscalls \(getpid x16)"))
      << dump.out;
  int write_line = SourceLine(kHotSource, "@watched-write");
  int print_line = SourceLine(kHotSource, "printf(\"watch_hot_page");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("watch_hot_page"),
                                   {
                                       "break " + std::to_string(print_line),  // 0
                                       "continue",                             // 1
                                       "monitor when",                         // 2
                                       "watch g_page.watched",                 // 3
                                       "reverse-continue",                     // 4: round 4
                                       "reverse-continue",                     // 5: round 3
                                       "reverse-continue",                     // 6: round 2
                                       "reverse-continue",                     // 7: round 1
                                       "print round",                          // 8
                                       "continue",                             // 9: forwards
                                   },
                                   Software({"--checkpoint-interval", "1"}));
  SCOPED_TRACE(t.Describe());
  EXPECT_FALSE(Contains(t.Output(2), "at the event boundary"));
  for (int i = 0; i < 4; ++i) {
    int round = 4 - i;
    const std::string& out = t.Output(4 + i);
    EXPECT_TRUE(Contains(out, Watched(round * 10, (round - 1) * 10))) << "round " << round;
    EXPECT_TRUE(StoppedAt(out, "watch_hot_page.c", write_line, "main")) << "round " << round;
  }
  EXPECT_TRUE(Printed(t.Output(8), "1"));
  EXPECT_TRUE(Contains(t.Output(9), Watched(0, 10)));
  EXPECT_TRUE(StoppedAt(t.Output(9), "watch_hot_page.c", write_line + 1, "main"));
}

TEST_F(GdbWatchTest, WriteByAnEmulatedReadIntoAHeapObject) {
  Recording rec = Record("watch_syscall_write");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  constexpr char kSource[] = "tests/programs/watch_syscall_write.c";
  GdbTranscript t =
      RunGdbOnReplay(rec.trace, Program("watch_syscall_write"),
                     {
                         "break " + std::to_string(SourceLine(kSource, "@length-write")),  // 0
                         "continue",                                                       // 1
                         "watch -l *(int *)&m->text[4]",                                   // 2
                         "continue",                                                       // 3
                         "bt",                                                             // 4
                         "monitor when",                                                   // 5
                         "delete",                                                         // 6
                         "continue",                                                       // 7
                     },
                     Software());
  SCOPED_TRACE(t.Describe());
  // "fresh bytes": bytes 4..7 are "h by" = 0x79622068 as a little-endian int.
  EXPECT_TRUE(Contains(t.Output(3), Watched(0, 0x79622068)));
  // Reported at the read's event: inside the read() wrapper, called from
  // the line that reads.
  std::vector<Frame> frames = Backtrace(t.Output(4));
  ASSERT_GE(frames.size(), 2u) << t.Output(4);
  EXPECT_EQ(frames.back().function, "main");
  EXPECT_EQ(frames.back().line, SourceLine(kSource, "@read-call"));
  EXPECT_TRUE(Contains(t.Output(5), "at the event boundary"));
  EXPECT_TRUE(AnyLineMatches(t.Output(7), R"(^rewind: \[process \d+ exited normally\] here)"));
}

TEST_F(GdbWatchTest, TheProgramsOwnProtectionAndSigsegvOnAWatchedPage) {
  Recording rec = Record("watch_own_mprotect");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  constexpr char kSource[] = "tests/programs/watch_own_mprotect.c";
  GdbTranscript t =
      RunGdbOnReplay(rec.trace, Program("watch_own_mprotect"),
                     {
                         "break " + std::to_string(SourceLine(kSource, "@first-write")),  // 0
                         "continue",                                                      // 1
                         "watch -l *g_word",                                              // 2
                         "continue",                                                      // 3
                         "continue",                                                      // 4
                         "continue",                                                      // 5
                         "print g_faults",                                                // 6
                         "continue",                                                      // 7
                         "continue",                                                      // 8
                     },
                     Software());
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(3), Watched(0, 11)));
  EXPECT_TRUE(
      StoppedAt(t.Output(3), "watch_own_mprotect.c", SourceLine(kSource, "@protect"), "main"));
  // Reading the page it made read-only is fine; writing it is the
  // program's own SIGSEGV, reported as such at the write.
  EXPECT_TRUE(Contains(t.Output(4), "Program received signal SIGSEGV"));
  EXPECT_TRUE(StoppedAt(t.Output(4), "watch_own_mprotect.c", SourceLine(kSource, "@faulting-write"),
                        "main"));
  // Its handler makes the page writable; the write runs again and the
  // watch sees it.
  EXPECT_TRUE(Contains(t.Output(5), Watched(11, 22)));
  EXPECT_TRUE(
      StoppedAt(t.Output(5), "watch_own_mprotect.c", SourceLine(kSource, "@other-write"), "main"));
  EXPECT_TRUE(Printed(t.Output(6), "1"));
  // munmap of the watched page is a change too: gdb can no longer read it.
  EXPECT_TRUE(Contains(t.Output(7), "Old value = 22\nNew value = <unreadable>\n"));
  EXPECT_TRUE(AnyLineMatches(t.Output(8), R"(^rewind: \[process \d+ exited normally\] here)"));
}

}  // namespace
}  // namespace rwd::e2e

// gdb in and around the in-process syscall buffer's calls (issue 12 step 2):
// breakpoints on buffered calls, reverse steps across them, `catch syscall`
// at them, and the library's code, which is one syscall instruction to the
// debugger.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/syscallbuf_fixture.h"

namespace rwd::e2e {
namespace {

TEST_F(SyscallBufferGdbTest, BreakpointOnWriteHitsAndReverseStepCrossesABufferedRead) {
  Recording rec = Record("buffered_io", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  constexpr char kSource[] = "tests/programs/buffered_io.c";
  int read_line = SourceLine(kSource, "while ((n = ReadChunk(again)) > 0) {");
  int after_line = SourceLine(kSource, "    total += n;");
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("buffered_io"),
                                   {
                                       "break write",  // 0
                                       "continue",     // 1: the first write
                                       "print $rdi",   // 2: its fd
                                       "delete",       // 3
                                       "break buffered_io.c:" + std::to_string(after_line),  // 4
                                       "continue",          // 5: after a buffered read
                                       "print chunk[0]@8",  // 6
                                       "print n",           // 7
                                       "reverse-next",      // 8
                                       "reverse-next",      // 9: before the read
                                       "print total",       // 10
                                       "next",              // 11: the read again
                                       "next",              // 12
                                       "print chunk[0]@8",  // 13
                                       "print n",           // 14
                                   });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(1), "Breakpoint 1")) << t.Output(1);
  EXPECT_TRUE(Contains(t.Output(1), "write")) << t.Output(1);
  std::optional<std::string> fd = PrintedValue(t.Output(2));
  ASSERT_TRUE(fd.has_value());
  EXPECT_GE(std::stoi(*fd), 3);
  EXPECT_TRUE(StoppedAt(t.Output(5), "buffered_io.c", after_line, "main"));
  std::optional<std::string> bytes = PrintedValue(t.Output(6));
  ASSERT_TRUE(bytes.has_value());
  EXPECT_TRUE(Contains(*bytes, "line 00 ")) << *bytes;
  EXPECT_TRUE(Printed(t.Output(7), "512"));
  EXPECT_TRUE(StoppedAt(t.Output(9), "buffered_io.c", read_line)) << t.Output(9);
  EXPECT_TRUE(Printed(t.Output(10), "0")) << t.Output(10);  // the first pass
  EXPECT_TRUE(Printed(t.Output(13), *bytes));
  EXPECT_TRUE(Printed(t.Output(14), "512"));
}

// The library's code (the stub a patched libc site jumps to, and the
// library behind it) is one syscall instruction to the program, as in rr:
// stepi over the patched site lands after it, reverse-stepi comes back to
// it, and a stop inside the library (a breakpoint there) steps out of it
// either way. gdb never single-steps through code it has no frame
// information for: stepping back into the stub once made it reverse-
// continue to a breakpoint of its own near the start of the program.
TEST_F(SyscallBufferGdbTest, SteppingNeverStopsInsideTheLibrary) {
  Recording rec = Record("buffered_io", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  constexpr int kSteps = 8;  // through write's few instructions, into its caller
  std::vector<std::string> commands = {"break write", "continue", "print $pc"};  // 0..2
  for (int i = 0; i < kSteps; ++i) commands.push_back("stepi");                  // 3..10
  for (int i = 0; i < kSteps; ++i) commands.push_back("reverse-stepi");          // 11..18
  for (const char* command : {
           "print $pc",              // 19: write's entry again
           "delete",                 // 20
           "break rwd_sb_entry",     // 21: the library's entry, a buffered call's
           "continue",               // 22
           "reverse-stepi",          // 23: the patched site, in libc
           "print $pc",              // 24
           "stepi",                  // 25: over the whole call again
           "print $pc",              // 26
           "info symbol $pc",        // 27
       }) {
    commands.push_back(command);
  }
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("buffered_io"), commands);
  SCOPED_TRACE(t.Describe());
  ASSERT_EQ(t.commands.size(), commands.size());
  EXPECT_TRUE(Contains(t.Output(1), "Breakpoint 1")) << t.Output(1);
  std::optional<std::string> entry = PrintedValue(t.Output(2));
  ASSERT_TRUE(entry.has_value());
  bool left_write = false;
  for (size_t at = 3; at <= 18; ++at) {
    SCOPED_TRACE("[" + std::to_string(at) + "] " + t.commands[at].command);
    EXPECT_FALSE(Contains(t.Output(at), "rwd_sb")) << t.Output(at);
    EXPECT_FALSE(Contains(t.Output(at), "?? ()")) << t.Output(at);
    EXPECT_FALSE(Contains(t.Output(at), "rewind:")) << t.Output(at);
    EXPECT_FALSE(Contains(t.Output(at), "No more reverse-execution history")) << t.Output(at);
    if (at <= 10 && Contains(t.Output(at), " in main (")) left_write = true;
  }
  EXPECT_TRUE(left_write) << kSteps << " stepi did not return from write";
  EXPECT_EQ(PrintedValue(t.Output(19)), entry) << "reverse-stepi did not come back";
  EXPECT_TRUE(Contains(t.Output(22), "rwd_sb_entry")) << t.Output(22);
  EXPECT_FALSE(Contains(t.Output(23), "rwd_sb")) << t.Output(23);
  EXPECT_FALSE(Contains(t.Output(23), "?? ()")) << t.Output(23);
  std::optional<std::string> site = PrintedValue(t.Output(24));
  std::optional<std::string> after = PrintedValue(t.Output(26));
  ASSERT_TRUE(site && after);
  EXPECT_NE(site, after);
  EXPECT_FALSE(Contains(t.Output(25), "rwd_sb")) << t.Output(25);
  EXPECT_FALSE(Contains(t.Output(25), "?? ()")) << t.Output(25);
  // Back in libc, right after the patched site.
  EXPECT_TRUE(Contains(t.Output(27), "libc")) << t.Output(27);
}

// `catch syscall` stops at buffered syscalls too, forward and back: while
// it is on, the library leaves every call to the replayer, which replays
// the batch's records at their stops (no silent gap where calls were
// buffered).
TEST_F(SyscallBufferGdbTest, CatchSyscallStopsAtABufferedCall) {
  Recording rec = Record("buffered_io", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const int lseek_nr = arch::HostArch().syscalls().FindByName("lseek")->nr;
  size_t buffered_lseeks = 0;
  for (const trace::Event& ev : ReadEvents(rec.trace)) {
    if (auto* sc = std::get_if<trace::SyscallEvent>(&ev.body)) {
      ASSERT_NE(sc->nr, lseek_nr) << "lseek was not buffered";
    }
    if (auto* batch = std::get_if<trace::SyscallBatchEvent>(&ev.body)) {
      for (const trace::SyscallEvent& call : CallsOf(*batch)) buffered_lseeks += call.nr == lseek_nr;
    }
  }
  ASSERT_EQ(buffered_lseeks, 1u);
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("buffered_io"),
                                   {
                                       "catch syscall lseek",  // 0
                                       "continue",             // 1: its entry
                                       "print $rsi",           // 2
                                       "continue",             // 3: its return
                                       "print $rax",           // 4
                                       "reverse-continue",     // 5: its entry again
                                       "print $rsi",           // 6
                                       "continue",             // 7: its return again
                                       "next",                 // 8
                                       "delete",               // 9
                                       "continue",             // 10
                                   });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(1), "Catchpoint 1 (call to syscall lseek)")) << t.Output(1);
  EXPECT_TRUE(Printed(t.Output(2), "100"));
  EXPECT_TRUE(Contains(t.Output(3), "Catchpoint 1 (returned from syscall lseek)")) << t.Output(3);
  EXPECT_TRUE(Printed(t.Output(4), "100"));
  EXPECT_TRUE(Contains(t.Output(5), "Catchpoint 1 (call to syscall lseek)")) << t.Output(5);
  EXPECT_TRUE(Printed(t.Output(6), "100"));
  EXPECT_TRUE(Contains(t.Output(7), "Catchpoint 1 (returned from syscall lseek)")) << t.Output(7);
  EXPECT_FALSE(Contains(t.Output(8), "rewind:")) << t.Output(8);
  EXPECT_TRUE(Contains(t.Output(10), "exited normally")) << t.Output(10);
  EXPECT_FALSE(Contains(t.Output(10), "Catchpoint")) << t.Output(10);
}

// `catch syscall` deleted in the middle of a batch: the library left the
// batch's calls up to the caught one to the replayer and replays the rest
// itself, and the states after the change (their stack bytes differ from a
// run that took either path throughout) are reached again for reverse
// execution, from where the catchpoint went, not by re-executing the
// event from its start ("could not reach the position ... its event
// passed"). Steps from the breakpoint inside the library leave it: its
// code is one syscall instruction to the program.
TEST_F(SyscallBufferGdbTest, CatchpointDeletedInABatchLeavesReverseStepsOnTheLibrarysPath) {
  Recording rec = Record("buffered_io", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  // Where the library hands a buffered call its recorded result.
  int replayed_line = SourceLine("preload/syscallbuf.c", "  h->consumed += 1;");
  GdbOptions options;
  options.replay_args = {"--checkpoint-interval", "100000"};  // none in the batch
  GdbTranscript t = RunGdbOnReplay(
      rec.trace, Program("buffered_io"),
      {
          "catch syscall lseek",                                  // 0
          "continue",                                             // 1: its entry
          "continue",                                             // 2: its return
          "delete",                                               // 3: the library replays
          "break syscallbuf.c:" + std::to_string(replayed_line),  // 4
          "continue",                                             // 5: the read after lseek
          "p $pc",                                                // 6
          "stepi",                                                // 7: out, after the site
          "p $pc",                                                // 8
          "reverse-stepi",                                        // 9: the patched site
          "p $pc",                                                // 10
          "reverse-stepi",                                        // 11
          "stepi",                                                // 12: the site again
          "p $pc",                                                // 13
          "reverse-continue",                                     // 14: the breakpoint
          "p $pc",                                                // 15
      },
      options);
  SCOPED_TRACE(t.Describe());
  ASSERT_TRUE(Contains(t.Output(2), "returned from syscall lseek")) << t.Output(2);
  ASSERT_TRUE(Contains(t.Output(5), "Breakpoint 2")) << t.Output(5);
  std::optional<std::string> at = PrintedValue(t.Output(6));
  ASSERT_TRUE(at.has_value()) << t.Output(6);
  std::optional<std::string> after = PrintedValue(t.Output(8));
  ASSERT_TRUE(after.has_value()) << t.Output(8);
  EXPECT_TRUE(Contains(*after, "read")) << *after;
  std::optional<std::string> site = PrintedValue(t.Output(10));
  ASSERT_TRUE(site.has_value()) << t.Output(10);
  EXPECT_TRUE(Contains(*site, "read")) << *site;
  EXPECT_NE(site, after);
  EXPECT_FALSE(Contains(t.Output(9), "rewind:")) << t.Output(9);
  EXPECT_FALSE(Contains(t.Output(11), "rewind:")) << t.Output(11);
  EXPECT_FALSE(Contains(t.Output(12), "rewind:")) << t.Output(12);
  EXPECT_EQ(PrintedValue(t.Output(13)), site);
  EXPECT_TRUE(Contains(t.Output(14), "Breakpoint 2")) << t.Output(14);
  EXPECT_EQ(PrintedValue(t.Output(15)), at);
  EXPECT_FALSE(Contains(t.run.out + t.run.err, "could not reach")) << t.run.out;
}

// A breakpoint set before libc is loaded, on a function whose syscall site
// the library patches (getpid: `mov $39,%eax; syscall` becomes a jump to a
// stub): the library must find the same sites as when recording, not the
// breakpoint's int3. Stepping over the patched site is one instruction,
// the stub and the library behind it included, and reverse-stepi comes
// back over it the same way, without a divergence.
TEST_F(SyscallBufferGdbTest, ReverseStepiThroughAPatchedSyscallSite) {
  Recording rec = Record("long_loop", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> commands = {"break getpid", "continue", "delete", "p $pc"};
  constexpr int kSteps = 3;  // the jump (the whole call), getpid's ret, into its caller
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
  EXPECT_FALSE(Contains(t.run.out, "rewind:"));
  std::vector<std::optional<std::string>> forward;  // pc before each stepi, and after the last
  for (int i = 0; i <= kSteps; ++i) forward.push_back(PrintedValue(t.Output(3 + 2 * i)));
  EXPECT_TRUE(forward[0] && Contains(*forward[0], "getpid")) << forward[0].value_or("none");
  EXPECT_TRUE(forward[1] && Contains(*forward[1], "getpid")) << forward[1].value_or("none");
  for (const std::optional<std::string>& pc : forward) {
    EXPECT_TRUE(pc && !Contains(*pc, "rwd_sb")) << pc.value_or("none");
  }
  for (int i = 0; i < kSteps; ++i) {
    size_t at = 4 + 2 * kSteps + 1 + 2 * static_cast<size_t>(i);  // its p $pc
    SCOPED_TRACE("reverse-stepi " + std::to_string(i + 1));
    EXPECT_EQ(PrintedValue(t.Output(at)), forward[kSteps - 1 - i]);
  }
}

// A stop inside the library (here a watchpoint hit by a read the library
// leaves to the tracer: its traced syscall in rwd_sb_entry) shows the
// program's frames behind it, as at an unpatched syscall: the unwind
// information of rwd_sb_entry skips the site's stub.
TEST_F(SyscallBufferGdbTest, BacktraceFromInsideTheLibraryReachesTheProgram) {
  Recording rec = Record("watch_syscall_write", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  constexpr char kSource[] = "tests/programs/watch_syscall_write.c";
  GdbOptions options;
  options.replay_args = {"--software-watchpoints"};
  GdbTranscript t =
      RunGdbOnReplay(rec.trace, Program("watch_syscall_write"),
                     {
                         "break " + std::to_string(SourceLine(kSource, "@length-write")),  // 0
                         "continue",                                                       // 1
                         "watch -l *(int *)&m->text[4]",                                   // 2
                         "continue",                                                       // 3
                         "bt",                                                             // 4
                     },
                     options);
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(3), "New value = 2036473960"));  // "h by"
  std::vector<Frame> frames = Backtrace(t.Output(4));
  ASSERT_GE(frames.size(), 3u) << t.Output(4);
  EXPECT_EQ(frames.front().function, "rwd_sb_entry");
  EXPECT_TRUE(Contains(frames[1].function, "read")) << t.Output(4);
  EXPECT_EQ(frames.back().function, "main");
  EXPECT_EQ(frames.back().line, SourceLine(kSource, "@read-call"));
}

}  // namespace
}  // namespace rwd::e2e

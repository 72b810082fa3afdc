// gdb follows the debugged process across an exec, in both directions, as it
// does natively: the server reports the exec (stop reason exec), so gdb
// loads the new program's symbols and sets breakpoints by name in it; going
// back before the exec reports it again with the old program. `catch exec`
// and `catch syscall execve` stop at it both ways. The exec'd program comes
// from the trace's copy even when it is gone from disk.
//
// tests/programs/exec_into.c prints "exec_into: PROGRAM" and execs it;
// tests/programs/debug_target.c bumps a counter in four rounds.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

using GdbExecTest = GdbTest;

TEST_F(GdbExecTest, BreakpointsByNameFollowTheProgramBothWays) {
  Recording rec = Record("exec_into", {Program("debug_target")});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  GdbOptions options;
  options.setup = {"set breakpoint pending on"};
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("exec_into"),
                                   {"break main",        // 0
                                    "continue",          // 1
                                    "continue",          // 2
                                    "break bump",        // 3
                                    "continue",          // 4
                                    "print counter",     // 5
                                    "reverse-continue",  // 6
                                    "reverse-continue",  // 7
                                    "enable 2",          // 8
                                    "continue",          // 9
                                    "continue",          // 10
                                    "print counter",     // 11
                                    "monitor goto 1",    // 12
                                    "delete",            // 13
                                    "continue"},         // 14
                                   options);
  SCOPED_TRACE(t.Describe());
  std::optional<SourceLocation> at = StopLocation(t.Output(1));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->FileName(), "exec_into.c");
  // The exec: gdb is told, and `main` is now the new program's.
  EXPECT_TRUE(Contains(t.Output(2), "is executing new program: ")) << t.Output(2);
  EXPECT_TRUE(Contains(t.Output(2), "/debug_target")) << t.Output(2);
  at = StopLocation(t.Output(2));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->FileName(), "debug_target.c");
  EXPECT_EQ(at->function, "main");
  // A function only the new program has.
  EXPECT_TRUE(Contains(t.Output(3), "Breakpoint 2 at 0x")) << t.Output(3);
  at = StopLocation(t.Output(4));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->function, "bump");
  EXPECT_TRUE(Printed(t.Output(5), "0"));
  // Back: the new program's main, then across the exec, where gdb is told
  // of the old program and its `main` is hit.
  at = StopLocation(t.Output(6));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->FileName(), "debug_target.c");
  EXPECT_FALSE(Contains(t.Output(6), "is executing new program: ")) << t.Output(6);
  EXPECT_TRUE(Contains(t.Output(7), "is executing new program: ")) << t.Output(7);
  EXPECT_TRUE(Contains(t.Output(7), "/exec_into")) << t.Output(7);
  at = StopLocation(t.Output(7));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->FileName(), "exec_into.c");
  // gdb disabled `bump`, which the old program lacks; enabled, it waits.
  EXPECT_TRUE(Contains(t.Output(7), "Error in re-setting breakpoint 2")) << t.Output(7);
  // And forward again into the new program.
  EXPECT_TRUE(Contains(t.Output(9), "is executing new program: ")) << t.Output(9);
  at = StopLocation(t.Output(9));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->FileName(), "debug_target.c");
  EXPECT_EQ(at->function, "main");
  at = StopLocation(t.Output(10));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->function, "bump");
  EXPECT_TRUE(Printed(t.Output(11), "0"));
  // goto cannot tell gdb; it says so.
  EXPECT_TRUE(AnyLineMatches(t.Output(12), R"(^The process runs .*/exec_into here, not the)"))
      << t.Output(12);
  // The breakpoints of one program were never left in the other's code:
  // the program computes what it did when recorded.
  EXPECT_TRUE(Contains(t.Output(14), "is executing new program: ")) << t.Output(14);
  EXPECT_TRUE(Contains(t.Output(14), "round 4: counter 10\ntotal 40\n")) << t.Output(14);
  EXPECT_TRUE(NoMotionFailed(t));
}

TEST_F(GdbExecTest, CatchExecAndCatchSyscallExecveBothWays) {
  Recording rec = Record("exec_into", {Program("debug_target")});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("exec_into"),
                                   {"catch exec",            // 0
                                    "catch syscall execve",  // 1
                                    "continue",              // 2
                                    "continue",              // 3
                                    "continue",              // 4
                                    "reverse-continue",      // 5
                                    "reverse-continue",      // 6
                                    "reverse-continue",      // 7
                                    "delete",                // 8
                                    "continue"});            // 9
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(2), "Catchpoint 2 (call to syscall execve)")) << t.Output(2);
  // As natively: the exec event first, then the syscall's return.
  EXPECT_TRUE(AnyLineMatches(t.Output(3), R"(Catchpoint 1 \(exec'd .*/debug_target\))"))
      << t.Output(3);
  EXPECT_TRUE(Contains(t.Output(4), "Catchpoint 2 (returned from syscall execve)")) << t.Output(4);
  // Backwards from the return, in the mirror order: the exec, then the entry.
  EXPECT_TRUE(AnyLineMatches(t.Output(5), R"(Catchpoint 1 \(exec'd .*/exec_into\))"))
      << t.Output(5);
  EXPECT_TRUE(Contains(t.Output(6), "Catchpoint 2 (call to syscall execve)")) << t.Output(6);
  EXPECT_TRUE(Contains(t.Output(7), "No more reverse-execution history")) << t.Output(7);
  // Without catchpoints gdb follows the exec without stopping.
  EXPECT_TRUE(Contains(t.Output(9), "is executing new program: ")) << t.Output(9);
  EXPECT_TRUE(Contains(t.Output(9), "exited normally")) << t.Output(9);
  EXPECT_TRUE(NoMotionFailed(t));
}

TEST_F(GdbExecTest, GoingBackNeverPlantsTheNewProgramsBreakpointsInTheOldOne) {
  // Without automatic checkpoints, every search backwards re-executes from
  // the start, through the old program, with a trap at the position it
  // searches up to: a pc of the new program. At the same address the old
  // program has other code (with these two programs, the middle of an
  // instruction of exec_into's), which the trap must never be written into.
  Recording rec = Record("exec_into", {Program("debug_target")});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  GdbOptions options;
  options.setup = {"set breakpoint pending on"};
  options.replay_args = {"--max-checkpoints", "0"};
  const std::string call_bump =
      "debug_target.c:" + std::to_string(SourceLine("tests/programs/debug_target.c", "@call-bump"));
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("exec_into"),
                                   {"break " + call_bump,  // 0
                                    "continue",            // 1
                                    "continue",            // 2
                                    "print i",             // 3
                                    "reverse-continue",    // 4
                                    "print i",             // 5
                                    "reverse-continue",    // 6
                                    "delete",              // 7
                                    "continue"},           // 8
                                   options);
  SCOPED_TRACE(t.Describe());
  const int line = SourceLine("tests/programs/debug_target.c", "@call-bump");
  EXPECT_TRUE(StoppedAt(t.Output(1), "debug_target.c", line, "main"));
  EXPECT_TRUE(StoppedAt(t.Output(2), "debug_target.c", line));
  EXPECT_TRUE(Printed(t.Output(3), "2"));
  EXPECT_TRUE(StoppedAt(t.Output(4), "debug_target.c", line));
  EXPECT_TRUE(Printed(t.Output(5), "1"));
  // Back across the exec to the start of the recording.
  EXPECT_TRUE(Contains(t.Output(6), "No more reverse-execution history")) << t.Output(6);
  EXPECT_TRUE(Contains(t.Output(8), "round 4: counter 10\ntotal 40\n")) << t.Output(8);
  EXPECT_TRUE(NoMotionFailed(t));
}

TEST_F(GdbExecTest, ExecdProgramGoneFromDiskComesFromTheTrace) {
  // The exec'd program is copied, recorded, then deleted: gdb can only get
  // it, and its symbols, through the protocol from the trace's copy.
  std::string work = NewPath("work");
  fs::create_directories(work);
  std::string target = work + "/target_copy";
  fs::copy_file(Program("debug_target"), target);
  Recording rec = Record("exec_into", {target});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  fs::remove_all(work);
  GdbOptions options;
  options.remote_files = true;
  options.setup = {"set breakpoint pending on"};
  GdbTranscript t =
      RunGdbOnReplay(rec.trace, "", {"break bump", "continue", "print counter"}, options);
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(1), "is executing new program: " + target)) << t.Output(1);
  std::optional<SourceLocation> at = StopLocation(t.Output(1));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->function, "bump");
  EXPECT_TRUE(Printed(t.Output(2), "0"));
  EXPECT_TRUE(NoMotionFailed(t));
}

}  // namespace
}  // namespace rwd::e2e

// Forward debugging with a real gdb against `rewind replay --stdio` (issue
// #3): breakpoints of every kind, stepping commands, values, backtraces
// through our code and through libc, shared libraries, watchpoints, the end
// of the program (exit, crash, truncated trace) and refused writes.
//
// The target is tests/programs/gdb_forward.cc, a dynamically linked C++
// program; expected lines come from its "// @name" markers and expected
// values from the arithmetic its header comment spells out.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

constexpr char kSource[] = "tests/programs/gdb_forward.cc";
constexpr char kFile[] = "gdb_forward.cc";

int Line(const std::string& marker) { return SourceLine(kSource, marker); }
std::string At(const std::string& marker) {
  return std::string(kFile) + ":" + std::to_string(Line(marker));
}

class GdbForwardTest : public GdbTest {
 protected:
  // Records gdb_forward (which exits with status 3).
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    rec_ = Record("gdb_forward");
    ASSERT_EQ(rec_.exit_status, 3) << rec_.Describe();
  }

  GdbTranscript Gdb(const std::vector<std::string>& commands, const GdbOptions& options = {}) {
    return RunGdbOnReplay(rec_.trace, Program("gdb_forward"), commands, options);
  }

  Recording rec_;
};

TEST_F(GdbForwardTest, BreakpointsAtFileLineFunctionAddressAndTemporary) {
  GdbTranscript t = Gdb({
      "break " + At("@call-top"),  // 0
      "break Leaf",                // 1
      "break *Middle",             // 2: the function's first instruction
      "tbreak Top",                // 3
      "continue",                  // 4
      "continue",                  // 5
      "continue",                  // 6
      "info symbol $pc",           // 7
      "continue",                  // 8
      "info breakpoints",          // 9
      "continue",                  // 10
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(StoppedAt(t.Output(4), kFile, Line("@call-top"), "main"));
  EXPECT_TRUE(Contains(t.Output(4), "Breakpoint 1, main ()"));
  EXPECT_TRUE(StoppedAt(t.Output(5), kFile, Line("@top-call"), "Top"));
  EXPECT_TRUE(Contains(t.Output(5), "Temporary breakpoint 4, Top (depth=1)"));
  // A breakpoint on the entry address stops before the prologue, on the
  // line of the function's opening brace, exactly at the symbol.
  EXPECT_TRUE(StoppedAt(t.Output(6), kFile, Line("@middle-open"), "Middle"));
  EXPECT_TRUE(Contains(t.Output(6), "Breakpoint 3, "));
  EXPECT_TRUE(AnyLineMatches(t.Output(7), R"(^Middle\(int\) in section \.text)"));
  EXPECT_TRUE(StoppedAt(t.Output(8), kFile, Line("@leaf-body"), "Leaf"));
  EXPECT_TRUE(Contains(t.Output(8), "Breakpoint 2, Leaf (depth=3)"));
  // The temporary breakpoint is gone; the others were hit once each.
  EXPECT_FALSE(Contains(t.Output(9), "Top")) << t.Output(9);
  EXPECT_TRUE(AnyLineMatches(t.Output(9), R"(^1\s+breakpoint\s+keep y.* at .*gdb_forward\.cc:)" +
                                              std::to_string(Line("@call-top")) + "$"));
  EXPECT_TRUE(AnyLineMatches(
      t.Output(9),
      R"(^3\s+breakpoint\s+keep y\s+0x[0-9a-f]+ in Middle\(int\) at .*gdb_forward\.cc:)" +
          std::to_string(Line("@middle-open")) + "$"));
  EXPECT_TRUE(AnyLineMatches(t.Output(10), R"(^rewind: \[process \d+ exited with code 03\] here)"));
}

TEST_F(GdbForwardTest, StepNextFinishUntilAdvanceLandOnTheExpectedLines) {
  GdbTranscript t = Gdb({
      "tbreak " + At("@loop-body"),   // 0
      "continue",                     // 1
      "print values",                 // 2: sorted by qsort
      "next",                         // 3: the loop's increment, on the for line
      "until",                        // 4: leaves the loop
      "print sum",                    // 5
      "until " + At("@call-top"),     // 6
      "step",                         // 7
      "step",                         // 8
      "step",                         // 9
      "print depth",                  // 10
      "next",                         // 11
      "print doubled",                // 12
      "finish",                       // 13
      "next",                         // 14
      "print from_leaf",              // 15
      "finish",                       // 16
      "advance " + At("@after-add"),  // 17: stops when Top returns first
      "advance " + At("@after-add"),  // 18
      "print result",                 // 19
      "print g_counter",              // 20
      "print *box",                   // 21
      "print g_label",                // 22
      "info locals",                  // 23
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(StoppedAt(t.Output(1), kFile, Line("@loop-body"), "main"));
  EXPECT_TRUE(Printed(t.Output(2), "{3, 7, 15, 19, 42, 88}"));
  EXPECT_TRUE(StoppedAt(t.Output(3), kFile, Line("@loop-head")));
  EXPECT_TRUE(StoppedAt(t.Output(4), kFile, Line("@new-box")));
  EXPECT_TRUE(Printed(t.Output(5), "44"));  // 3 + 7 + 15 + 19
  EXPECT_TRUE(StoppedAt(t.Output(6), kFile, Line("@call-top"), "main"));
  EXPECT_TRUE(StoppedAt(t.Output(7), kFile, Line("@top-call"), "Top"));
  EXPECT_TRUE(StoppedAt(t.Output(8), kFile, Line("@middle-call"), "Middle"));
  EXPECT_TRUE(StoppedAt(t.Output(9), kFile, Line("@leaf-body"), "Leaf"));
  EXPECT_TRUE(Printed(t.Output(10), "3"));
  EXPECT_TRUE(StoppedAt(t.Output(11), kFile, Line("@leaf-return")));
  EXPECT_TRUE(Printed(t.Output(12), "6"));
  EXPECT_TRUE(StoppedAt(t.Output(13), kFile, Line("@middle-call"), "Middle"));
  EXPECT_EQ(ReturnedValue(t.Output(13)).value_or("none"), "7");
  EXPECT_TRUE(StoppedAt(t.Output(14), kFile, Line("@middle-after")));
  EXPECT_TRUE(Printed(t.Output(15), "7"));
  EXPECT_TRUE(StoppedAt(t.Output(16), kFile, Line("@top-call"), "Top"));
  EXPECT_EQ(ReturnedValue(t.Output(16)).value_or("none"), "17");
  // advance also stops when the current frame returns: in main, mid-line,
  // before the result is stored.
  EXPECT_TRUE(StoppedAt(t.Output(17), kFile, Line("@call-top"), "main"));
  EXPECT_TRUE(AnyLineMatches(t.Output(17), R"(^0x[0-9a-f]+ in main \(\) at )"));
  EXPECT_TRUE(StoppedAt(t.Output(18), kFile, Line("@after-add"), "main"));
  EXPECT_TRUE(Printed(t.Output(19), "51"));
  EXPECT_TRUE(Printed(t.Output(20), "56"));
  EXPECT_TRUE(Printed(t.Output(21), "{weight = 70, volume = 2}"));
  EXPECT_TRUE(AnyLineMatches(t.Output(22), R"(^\$\d+ = 0x[0-9a-f]+ "forward"$)"));
  EXPECT_TRUE(AnyLineMatches(t.Output(23), "^result = 51$"));
  EXPECT_TRUE(AnyLineMatches(t.Output(23), "^sum = 44$"));
}

TEST_F(GdbForwardTest, BacktraceThroughTheCallChain) {
  GdbTranscript t =
      Gdb({"break Leaf", "continue", "bt", "frame 2", "print depth", "up", "print from_middle"});
  SCOPED_TRACE(t.Describe());
  std::vector<Frame> frames = Backtrace(t.Output(2));
  ASSERT_EQ(frames.size(), 4u) << t.Output(2);
  std::vector<std::pair<std::string, std::string>> expected = {{"Leaf", "@leaf-body"},
                                                               {"Middle", "@middle-call"},
                                                               {"Top", "@top-call"},
                                                               {"main", "@call-top"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(frames[i].index, static_cast<int>(i));
    EXPECT_EQ(frames[i].function, expected[i].first);
    EXPECT_EQ(std::filesystem::path(frames[i].file).filename(), kFile);
    EXPECT_EQ(frames[i].line, Line(expected[i].second)) << frames[i].function;
  }
  EXPECT_EQ(frames[0].args, "depth=3");
  EXPECT_EQ(frames[1].args, "depth=2");
  EXPECT_EQ(frames[2].args, "depth=1");
  EXPECT_TRUE(StoppedAt(t.Output(3), kFile, Line("@top-call"), "Top"));
  EXPECT_TRUE(Printed(t.Output(4), "1"));
  EXPECT_TRUE(StoppedAt(t.Output(5), kFile, Line("@call-top"), "main"));
  // main's local is not assigned until Top returns; Top's frame is in
  // scope only from frame 2.
  EXPECT_TRUE(Contains(t.Output(6), "No symbol \"from_middle\" in current context."));
}

TEST_F(GdbForwardTest, BacktraceThroughLibcFromAQsortComparator) {
  GdbTranscript t = Gdb({"break CompareInts", "continue", "bt", "frame 1", "info symbol $pc"});
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(StoppedAt(t.Output(1), kFile, Line("@compare-body"), "CompareInts"));
  std::vector<Frame> frames = Backtrace(t.Output(2));
  ASSERT_GE(frames.size(), 3u) << t.Output(2);
  EXPECT_EQ(frames.front().function, "CompareInts");
  EXPECT_EQ(frames.back().function, "main");
  EXPECT_EQ(frames.back().line, Line("@qsort"));
  // Between them, qsort's frames inside libc (named with or without libc's
  // debug information).
  for (size_t i = 1; i + 1 < frames.size(); ++i) {
    EXPECT_NE(frames[i].function.find("sort"), std::string::npos)
        << "frame " << i << ": " << frames[i].function;
  }
  EXPECT_TRUE(AnyLineMatches(t.Output(4), R"(sort.* in section \.text of .*/libc\.so\.6$)"));
}

TEST_F(GdbForwardTest, InfoSharedLibraryListsLibcAndLibstdcxxWithSymbols) {
  // Libraries come through the protocol (vFile), as for a user without a
  // sysroot setting.
  GdbOptions options;
  options.remote_files = true;
  GdbTranscript t = Gdb({"break main", "continue", "info sharedlibrary"}, options);
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(StoppedAt(t.Output(1), kFile, Line("@main-first"), "main"));
  for (const char* library :
       {R"(libc\.so\.6)", R"(libstdc\+\+\.so\.6)", R"(ld-linux-x86-64\.so\.2)"}) {
    EXPECT_TRUE(AnyLineMatches(
        t.Output(2),
        std::string(R"(^0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes( \(\*\))?\s+\S+/)") + library + "$"));
  }
}

TEST_F(GdbForwardTest, WatchpointsOnAGlobalAndAHeapObjectShowOldAndNewValues) {
  GdbTranscript t = Gdb({
      "tbreak " + At("@global-write"),  // 0
      "continue",                       // 1
      "watch g_counter",                // 2
      "watch -l box->weight",           // 3
      "continue",                       // 4
      "continue",                       // 5
      "continue",                       // 6
      "delete",                         // 7
      "continue",                       // 8
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(StoppedAt(t.Output(1), kFile, Line("@global-write"), "main"));
  EXPECT_TRUE(Contains(t.Output(2), "Hardware watchpoint 2: g_counter"));
  EXPECT_TRUE(Contains(t.Output(3), "Hardware watchpoint 3: -location box->weight"));
  // A write watchpoint reports after the writing instruction: each store
  // below is its statement's last instruction, so gdb shows the next line.
  EXPECT_TRUE(
      Contains(t.Output(4), "Hardware watchpoint 2: g_counter\n\nOld value = 0\nNew value = 5\n"));
  EXPECT_TRUE(StoppedAt(t.Output(4), kFile, Line("@heap-write"), "main"));
  EXPECT_TRUE(
      Contains(t.Output(5),
               "Hardware watchpoint 3: -location box->weight\n\nOld value = 1\nNew value = 70\n"));
  EXPECT_TRUE(StoppedAt(t.Output(5), kFile, Line("@call-top"), "main"));
  EXPECT_TRUE(
      Contains(t.Output(6), "Hardware watchpoint 2: g_counter\n\nOld value = 5\nNew value = 56\n"));
  EXPECT_TRUE(StoppedAt(t.Output(6), kFile, Line("@after-add"), "main"));
  EXPECT_TRUE(AnyLineMatches(t.Output(8), R"(^rewind: \[process \d+ exited with code 03\] here)"));
}

// gdb's inferior calls and `set var` change registers and memory, which a
// replay cannot: they go to a copy of the process, and the replay goes on
// as recorded once execution moves.
TEST_F(GdbForwardTest, CallsAndChangesRunInACopyAndTheReplayGoesOnAsRecorded) {
  GdbTranscript t = Gdb({
      "break Leaf",                             // 0
      "continue",                               // 1
      "disable 1",                              // 2
      "print Leaf(10)",                         // 3
      "print Middle(1)",                        // 4
      "print (unsigned long) strlen(g_label)",  // 5: an ifunc gdb resolves by calling
      "call (int) puts(\"called from gdb\")",   // 6
      "call (int) fflush(0)",                   // 7
      "print g_counter = 99",                   // 8
      "print g_counter",                        // 9
      "set var depth = 1",                      // 10
      "print depth",                            // 11
      "next",                                   // 12
      "print depth",                            // 13
      "print doubled",                          // 14
      "print g_counter",                        // 15
      "set $rax = 1",                           // 16
      "print $rax",                             // 17
      "stepi",                                  // 18
      "reverse-stepi",                          // 19
      "print depth",                            // 20
      "enable 1",                               // 21
      "print Leaf(2)",                          // 22
      "bt",                                     // 23
      "finish",                                 // 24
      "bt",                                     // 25
      "delete",                                 // 26
      "continue",                               // 27
  });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(StoppedAt(t.Output(1), kFile, Line("@leaf-body"), "Leaf"));
  EXPECT_TRUE(Printed(t.Output(3), "21"));
  EXPECT_TRUE(Printed(t.Output(4), "15"));
  EXPECT_TRUE(Printed(t.Output(5), "7"));
  // What the called code writes to stdout is shown (not written).
  EXPECT_TRUE(Contains(t.Output(7), "called from gdb\n")) << t.Output(7);
  EXPECT_TRUE(Printed(t.Output(8), "99"));
  EXPECT_TRUE(Printed(t.Output(9), "99"));
  EXPECT_TRUE(Printed(t.Output(11), "1"));
  // Moving drops the changes that no call used, and says so.
  EXPECT_TRUE(Contains(t.Output(12), "rewind: the changes you made to registers or memory were "
                                     "dropped"))
      << t.Output(12);
  EXPECT_TRUE(StoppedAt(t.Output(12), kFile, Line("@leaf-return")));
  EXPECT_TRUE(Printed(t.Output(13), "3"));
  EXPECT_TRUE(Printed(t.Output(14), "6"));
  EXPECT_TRUE(Printed(t.Output(15), "5"));
  EXPECT_TRUE(Printed(t.Output(17), "1"));
  // A forward step with a changed register runs off the recording, said so;
  // going back is the recording again.
  EXPECT_TRUE(Contains(t.Output(18), "rewind: running a copy of the process with the registers "
                                     "you changed"))
      << t.Output(18);
  EXPECT_TRUE(Contains(t.Output(19), "were dropped")) << t.Output(19);
  EXPECT_TRUE(Printed(t.Output(20), "3"));
  // A breakpoint inside a called function stops it, as natively; finish
  // returns to where the call was made.
  EXPECT_TRUE(Contains(t.Output(22), "The program being debugged stopped while in a function "
                                     "called from GDB"))
      << t.Output(22);
  EXPECT_TRUE(Contains(t.Output(23), "<function called from gdb>")) << t.Output(23);
  EXPECT_TRUE(Contains(t.Output(24), "Value returned is $")) << t.Output(24);
  EXPECT_TRUE(Contains(t.Output(24), " = 5")) << t.Output(24);
  EXPECT_FALSE(Contains(t.Output(25), "<function called from gdb>")) << t.Output(25);
  // The replay ends as recorded, with nothing dropped: gdb restored what it
  // changed.
  EXPECT_FALSE(Contains(t.Output(27), "dropped")) << t.Output(27);
  EXPECT_TRUE(AnyLineMatches(t.Output(27), R"(^rewind: \[process \d+ exited with code 03\] here)"))
      << t.Output(27);
  // (NoMotionFailed would count the notes above as failures.)
  EXPECT_FALSE(Contains(t.run.out, "diverge"));
}

TEST_F(GdbForwardTest, RegistersVectorRegistersAndDisassembly) {
  GdbTranscript t = Gdb({"break Leaf", "continue", "info registers rip", "p $xmm0", "x/4i $pc",
                         "p $rdi", "info registers", "info registers fs_base", "p $rsp == $rbp"});
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(
      AnyLineMatches(t.Output(2), R"(^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <Leaf\(int\)\+\d+>$)"));
  EXPECT_TRUE(AnyLineMatches(t.Output(3), R"(^\$\d+ = \{.*v4_float = \{.*uint128 = )"));
  // Four instructions of Leaf (mangled: x/i does not demangle), the first
  // at rip; it is the program's own instruction, not the breakpoint's int3.
  std::vector<std::string> lines = Lines(t.Output(4));
  ASSERT_EQ(lines.size(), 4u) << t.Output(4);
  std::string rip = Registers(t.Output(2)).at(0).second;
  EXPECT_TRUE(AnyLineMatches(lines[0], "^=> " + rip + R"( <_Z4Leafi\+\d+>:\t\S)"));
  EXPECT_FALSE(Contains(lines[0], "int3"));
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_TRUE(AnyLineMatches(lines[i], R"(^   0x[0-9a-f]+ <_Z4Leafi\+\d+>:\t\S)"));
  }
  // The System V ABI passes the first argument in rdi: Leaf(3).
  EXPECT_TRUE(Printed(t.Output(5), "3"));
  std::vector<std::pair<std::string, std::string>> registers = Registers(t.Output(6));
  std::vector<std::string> names;
  names.reserve(registers.size());
  for (const auto& [name, value] : registers) names.push_back(name);
  for (const char* name : {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r15",
                           "rip", "eflags", "cs", "ss"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  // Not in the general group (as natively), but there: glibc's thread
  // pointer, somewhere in the mappings near the libraries.
  EXPECT_TRUE(AnyLineMatches(t.Output(7), R"(^fs_base\s+0x7f[0-9a-f]+\s+\d+$)"));
  // Leaf is a leaf function at -O0: no stack frame below rbp.
  EXPECT_TRUE(Printed(t.Output(8), "true"));
}

TEST_F(GdbForwardTest, ContinueToTheEndReportsTheExitCode) {
  GdbTranscript t = Gdb({"continue", "info inferiors"});
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(AnyLineMatches(t.Output(0), R"(^rewind: \[process \d+ exited with code 03\] here)"));
  // The process stays, stopped at its exit.
  EXPECT_TRUE(Contains(t.Output(0), "No more reverse-execution history."));
  EXPECT_TRUE(AnyLineMatches(t.Output(1), R"(^\* 1\s+process \d+)"));
}

// The end of the recording is not the end of the session (as in rr): the
// process stays at its exit, gdb is told there is no more history, and
// reverse execution goes on from there.
TEST_F(GdbForwardTest, ReverseExecutionGoesOnFromTheExit) {
  GdbTranscript t = Gdb({"continue",          // 0
                         "info inferiors",    // 1
                         "break Leaf",        // 2
                         "reverse-continue",  // 3
                         "reverse-step",      // 4
                         "print depth",       // 5
                         "delete",            // 6
                         "continue",          // 7
                         "monitor when"});    // 8
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(0), "No more reverse-execution history."));
  EXPECT_TRUE(AnyLineMatches(t.Output(0), R"(^rewind: \[process \d+ exited with code 03\] here)"));
  EXPECT_TRUE(AnyLineMatches(t.Output(1), R"(^\* 1\s+process \d+)")) << t.Output(1);
  EXPECT_TRUE(StoppedAt(t.Output(3), kFile, Line("@leaf-body"), "Leaf"));
  EXPECT_TRUE(Contains(t.Output(3), "Breakpoint 1, Leaf (depth=3)"));
  EXPECT_FALSE(Contains(t.Output(4), "rewind:")) << t.Output(4);
  EXPECT_TRUE(StoppedAt(t.Output(4), kFile, Line("@middle-call"), "Middle"));
  EXPECT_TRUE(Printed(t.Output(5), "2"));
  // Forward again to the same end, which is reported the same way.
  EXPECT_TRUE(Contains(t.Output(7), "No more reverse-execution history."));
  EXPECT_TRUE(AnyLineMatches(t.Output(7), R"(^rewind: \[process \d+ exited with code 03\] here)"));
  EXPECT_TRUE(AnyLineMatches(t.Output(8), R"(^Current event: (\d+) \(of \d+\))"));
}

// Other programs: a crash and a recording cut short.
using GdbEndOfHistoryTest = GdbTest;

TEST_F(GdbEndOfHistoryTest, CrashStopsWithSigsegvAtTheFaultingLine) {
  Recording rec = Record("segfault");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("segfault"), {"continue", "bt", "continue"});
  SCOPED_TRACE(t.Describe());
  int line = SourceLine("tests/programs/segfault.c", "*(volatile int*)0x1234 = 1;");
  EXPECT_TRUE(Contains(t.Output(0), "Program received signal SIGSEGV, Segmentation fault."));
  EXPECT_TRUE(StoppedAt(t.Output(0), "segfault.c", line, "Crash"));
  std::vector<Frame> frames = Backtrace(t.Output(1));
  ASSERT_EQ(frames.size(), 2u) << t.Output(1);
  EXPECT_EQ(frames[0].function, "Crash");
  EXPECT_EQ(frames[1].function, "main");
  EXPECT_EQ(frames[1].line, SourceLine("tests/programs/segfault.c", "  Crash();"));
  EXPECT_TRUE(Contains(t.Output(2), "Program terminated with signal SIGSEGV, Segmentation fault."));
}

// Cuts the last chunk of a trace's `events` in half, as a recorder killed
// while writing it would leave it, and removes the `complete` marker. The
// chunk frames are those trace/chunk.h describes: 32 bytes, the payload's
// compressed size a little-endian u32 at offset 4.
::testing::AssertionResult TruncateLastChunk(const std::string& trace) {
  std::filesystem::path events = std::filesystem::path(trace) / "events";
  std::ifstream in(events, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<size_t> chunk_starts;
  for (size_t at = 0; at + 32 <= bytes.size();) {
    chunk_starts.push_back(at);
    uint32_t compressed = 0;
    std::memcpy(&compressed, bytes.data() + at + 4, sizeof compressed);
    at += 32 + compressed;
  }
  if (chunk_starts.size() < 2) {
    return ::testing::AssertionFailure() << trace << " has " << chunk_starts.size()
                                         << " chunk(s); cutting the last would leave nothing";
  }
  size_t last = chunk_starts.back();
  std::filesystem::resize_file(events, last + (bytes.size() - last) / 2);
  std::filesystem::remove(std::filesystem::path(trace) / "complete");
  return ::testing::AssertionSuccess();
}

constexpr char kTwoPhases[] = "tests/programs/gdb_two_phases.c";

TEST_F(GdbEndOfHistoryTest, EndOfATruncatedTraceIsReportedAndContinueDoesNotHang) {
  Recording rec = Record("gdb_two_phases");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(TruncateLastChunk(rec.trace));
  GdbTranscript t =
      RunGdbOnReplay(rec.trace, Program("gdb_two_phases"),
                     {"continue", "monitor when", "continue", "monitor when", "frame function Tick",
                      "print i", "frame function main", "print phase", "print g_counter > 2000"});
  SCOPED_TRACE(t.Describe());
  EXPECT_FALSE(t.run.timed_out);
  EXPECT_TRUE(Contains(t.Output(0), "No more reverse-execution history."));
  EXPECT_TRUE(AnyLineMatches(t.Output(1), R"(^Current event: (\d+) \(of \1\))"));
  // Again: the same answer at once, no hang.
  EXPECT_TRUE(Contains(t.Output(2), "No more reverse-execution history."));
  EXPECT_EQ(t.Output(3), t.Output(1));
  // The trace ends after the pause: at the first getpid of phase 2.
  EXPECT_TRUE(
      StoppedAt(t.Output(4), "gdb_two_phases.c", SourceLine(kTwoPhases, "@tick-getpid"), "Tick"));
  EXPECT_TRUE(Printed(t.Output(5), "0"));
  EXPECT_TRUE(
      StoppedAt(t.Output(6), "gdb_two_phases.c", SourceLine(kTwoPhases, "@second-loop"), "main"));
  EXPECT_TRUE(Printed(t.Output(7), "2"));
  EXPECT_TRUE(Printed(t.Output(8), "1"));  // phase 1 added at least i % 7 + 1 per call
}

// Reverse execution from the end of a truncated trace, where the program
// stopped at a syscall the trace no longer holds. Recorded without the
// syscall buffer: with it that syscall is the library's (its batch was cut
// off), and reverse-finish out of rwd_sb_entry lands in the site's stub,
// which gdb cannot unwind (no unwind information for the stubs yet; it
// goes back to the start of history instead).
TEST_F(GdbEndOfHistoryTest, ReverseStepFromTheEndOfATruncatedTrace) {
  Recording rec = Record("gdb_two_phases", {}, SyscallBufferOff());
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(TruncateLastChunk(rec.trace));
  GdbTranscript t =
      RunGdbOnReplay(rec.trace, Program("gdb_two_phases"),
                     {"continue", "p $pc", "reverse-stepi", "p $pc", "reverse-finish", "print i",
                      "reverse-next", "reverse-next", "reverse-next", "print phase"});
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(0), "No more reverse-execution history."));
  EXPECT_FALSE(Contains(t.Output(2), "rewind:"));
  EXPECT_NE(PrintedValue(t.Output(3)), PrintedValue(t.Output(1))) << "reverse-stepi did not move";
  // Back out of getpid to its call in Tick(0) of phase 2, back into main
  // and over the pause (an event) to before phase 2 began.
  EXPECT_FALSE(Contains(t.Output(4), "rewind:"));
  EXPECT_TRUE(
      StoppedAt(t.Output(4), "gdb_two_phases.c", SourceLine(kTwoPhases, "@tick-getpid"), "Tick"));
  EXPECT_TRUE(Printed(t.Output(5), "0"));
  EXPECT_TRUE(
      StoppedAt(t.Output(6), "gdb_two_phases.c", SourceLine(kTwoPhases, "@second-loop"), "main"));
  EXPECT_TRUE(StoppedAt(t.Output(7), "gdb_two_phases.c", SourceLine(kTwoPhases, "@phase-two")));
  EXPECT_TRUE(StoppedAt(t.Output(8), "gdb_two_phases.c", SourceLine(kTwoPhases, "@pause")));
  for (size_t i = 6; i <= 8; ++i) EXPECT_FALSE(Contains(t.Output(i), "rewind:"));
  EXPECT_TRUE(Printed(t.Output(9), "1"));
}

}  // namespace
}  // namespace rwd::e2e

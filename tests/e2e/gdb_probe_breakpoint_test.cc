// A debugger's breakpoints next to the in-process probes that place
// recorded signals inside syscall-free loops (issue 13). A breakpoint on the
// line after such a loop lies within the 16 bytes from the probe's site, or
// inside the instructions its patch displaces; replay used to give up the
// probe for a breakpoint that trapped on every pass, and after 100000
// passes said it "cannot place the recorded SIGALRM". Now a breakpoint in
// displaced bytes sits on their copy in the trampoline and is reported at
// its own address, and the debugger never sees the probe's bytes or a
// trampoline's address.
#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

using GdbProbeBreakpointTest = GdbTest;

constexpr char kSource[] = "tests/programs/probe_breakpoint_loop.c";
constexpr int kRounds = 4;
constexpr int kSteps = 8;

// The spin count of each round in the program's output.
std::vector<std::string> SpinsPerRound(const std::string& out) {
  std::vector<std::string> spins;
  static const std::regex kRound(R"(round (\d+): (\d+) spins)");
  for (std::sregex_iterator it(out.begin(), out.end(), kRound), end; it != end; ++it) {
    spins.push_back((*it)[2].str());
  }
  return spins;
}

TEST_F(GdbProbeBreakpointTest, BreakpointAfterASignalledLoopHitsEveryRoundForwardAndBack) {
  Recording rec = Record("probe_breakpoint_loop");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const std::vector<std::string> recorded = SpinsPerRound(rec.out);
  ASSERT_EQ(recorded.size(), static_cast<size_t>(kRounds)) << rec.out;

  const std::string loop =
      "probe_breakpoint_loop.c:" + std::to_string(SourceLine(kSource, "@loop"));
  const int after_line = SourceLine(kSource, "@after-loop");
  const std::string after = "probe_breakpoint_loop.c:" + std::to_string(after_line);
  // The loop's code as the executable has it, read by a native gdb.
  constexpr char kLoopBytes[] = "output/x *(unsigned char (*)[48])$pc";
  GdbOptions native_options;
  native_options.setup = {"break " + loop, "run"};
  GdbTranscript native =
      RunGdbNative(Program("probe_breakpoint_loop"), {kLoopBytes}, native_options);
  ASSERT_TRUE(Contains(native.Output(0), "{0x")) << native.Describe();

  std::vector<std::string> commands = {"break " + loop, "break " + after,
                                       "continue",  // 2: the loop's line, round 0
                                       kLoopBytes};
  const size_t first_step = commands.size();
  for (int i = 0; i < kSteps; ++i) {
    commands.push_back("stepi");
    commands.push_back("print $pc");
  }
  const size_t rounds_at = commands.size();
  // Round 0's breakpoint after the loop, then each further round's two.
  commands.push_back("continue");
  commands.push_back("print spins");
  for (int round = 1; round < kRounds; ++round) {
    commands.push_back("continue");
    commands.push_back("continue");
    commands.push_back("print spins");
  }
  const size_t back_at = commands.size();
  commands.insert(commands.end(), {
                                      "reverse-continue",  // the loop's line, last round
                                      "print round",
                                      "reverse-continue",  // after the loop, round before
                                      "print spins",
                                      "continue",  // the loop's line again
                                      "continue",  // after the loop, last round
                                      "print spins",
                                      "delete",
                                      "continue",
                                  });
  GdbOptions options;
  options.timeout = std::chrono::seconds(240);
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("probe_breakpoint_loop"), commands, options);
  SCOPED_TRACE(t.Describe());
  ASSERT_TRUE(NoMotionFailed(t));

  // With the probe for round 0's signal in the loop, memory reads see the
  // program's bytes.
  ASSERT_TRUE(StoppedAt(t.Output(2), "probe_breakpoint_loop.c", after_line - 1, "main"));
  EXPECT_EQ(t.Output(3), native.Output(0));
  // Single steps through the loop report its own addresses.
  for (int i = 0; i < kSteps; ++i) {
    EXPECT_TRUE(Contains(t.Output(first_step + 2 * i + 1), "<main+")) << "stepi " << i + 1;
  }

  size_t at = rounds_at;
  for (int round = 0; round < kRounds; ++round) {
    if (round > 0) {
      EXPECT_TRUE(StoppedAt(t.Output(at), "probe_breakpoint_loop.c", after_line - 1));
      ++at;
    }
    EXPECT_TRUE(StoppedAt(t.Output(at), "probe_breakpoint_loop.c", after_line))
        << "round " << round;
    EXPECT_TRUE(Printed(t.Output(at + 1), recorded[round])) << "round " << round;
    at += 2;
  }
  ASSERT_EQ(at, back_at);
  EXPECT_TRUE(StoppedAt(t.Output(back_at), "probe_breakpoint_loop.c", after_line - 1));
  EXPECT_TRUE(Printed(t.Output(back_at + 1), std::to_string(kRounds - 1)));
  EXPECT_TRUE(StoppedAt(t.Output(back_at + 2), "probe_breakpoint_loop.c", after_line));
  EXPECT_TRUE(Printed(t.Output(back_at + 3), recorded[kRounds - 2]));
  EXPECT_TRUE(StoppedAt(t.Output(back_at + 4), "probe_breakpoint_loop.c", after_line - 1));
  EXPECT_TRUE(StoppedAt(t.Output(back_at + 5), "probe_breakpoint_loop.c", after_line));
  EXPECT_TRUE(Printed(t.Output(back_at + 6), recorded[kRounds - 1]));
  // The program's output, as recorded.
  EXPECT_TRUE(Contains(t.Output(back_at + 8), rec.out));
  EXPECT_TRUE(Contains(t.Output(back_at + 8), "exited normally"));

  // And without a debugger, the replay prints what the recording did.
  ExpectReplaysIdentically(rec, 1);
}

// A breakpoint on the very instruction the probe displaces, inserted while
// the probe waits there: it goes on the instruction's copy in the
// trampoline, and every pass of the loop stops at the instruction's own
// address, with the program's registers; steps and reverse steps from
// there report the loop's addresses, and the signal still comes where it
// was recorded.
TEST_F(GdbProbeBreakpointTest, BreakpointOnTheProbedInstructionStopsOnEveryPass) {
  Recording rec = Record("probe_breakpoint_loop");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const std::vector<std::string> recorded = SpinsPerRound(rec.out);
  ASSERT_EQ(recorded.size(), static_cast<size_t>(kRounds)) << rec.out;
  RunResult dump = Dump(rec.trace);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dump.out, m, std::regex(R"(SIGALRM at pc (0x[0-9a-f]+))")))
      << dump.out;
  const std::string site = m[1].str();

  const std::string loop =
      "probe_breakpoint_loop.c:" + std::to_string(SourceLine(kSource, "@loop"));
  const int after_line = SourceLine(kSource, "@after-loop");
  const std::string after = "probe_breakpoint_loop.c:" + std::to_string(after_line);
  GdbOptions options;
  options.timeout = std::chrono::seconds(240);
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("probe_breakpoint_loop"),
                                   {
                                       "break " + loop,   // 0
                                       "continue",        // 1: round 0, its probe armed
                                       "break *" + site,  // 2
                                       "continue",        // 3: the first pass
                                       "print spins",     // 4
                                       "print $pc",       // 5
                                       "continue",        // 6: the second pass
                                       "print spins",     // 7
                                       "stepi",           // 8
                                       "print $pc",       // 9
                                       "stepi",           // 10
                                       "print $pc",       // 11
                                       "continue",        // 12: the third pass
                                       "print spins",     // 13
                                       "delete",          // 14
                                       "break " + after,  // 15
                                       "continue",        // 16: round 0 ends
                                       "print spins",     // 17
                                       "reverse-stepi",   // 18
                                       "print $pc",       // 19
                                       "reverse-stepi",   // 20
                                       "print $pc",       // 21
                                       "continue",        // 22: round 0 ends again
                                       "print spins",     // 23
                                       "continue",        // 24: round 1 ends
                                       "print spins",     // 25
                                       "delete",          // 26
                                       "continue",        // 27
                                   },
                                   options);
  SCOPED_TRACE(t.Describe());
  ASSERT_TRUE(NoMotionFailed(t));
  ASSERT_TRUE(Contains(t.Output(3), "Breakpoint 2, "));
  EXPECT_TRUE(Printed(t.Output(4), "0"));
  EXPECT_TRUE(Contains(t.Output(5), site + " <main+"));
  ASSERT_TRUE(Contains(t.Output(6), "Breakpoint 2, "));
  EXPECT_TRUE(Printed(t.Output(7), "1"));
  for (size_t at : {9, 11, 19, 21}) EXPECT_TRUE(Contains(t.Output(at), "<main+")) << at;
  ASSERT_TRUE(Contains(t.Output(12), "Breakpoint 2, "));
  EXPECT_TRUE(Printed(t.Output(13), "2"));
  EXPECT_TRUE(StoppedAt(t.Output(16), "probe_breakpoint_loop.c", after_line));
  EXPECT_TRUE(Printed(t.Output(17), recorded[0]));
  EXPECT_TRUE(StoppedAt(t.Output(22), "probe_breakpoint_loop.c", after_line));
  EXPECT_TRUE(Printed(t.Output(23), recorded[0]));
  EXPECT_TRUE(StoppedAt(t.Output(24), "probe_breakpoint_loop.c", after_line));
  EXPECT_TRUE(Printed(t.Output(25), recorded[1]));
  // The program's output, as recorded.
  EXPECT_TRUE(Contains(t.Output(27), rec.out));
  EXPECT_TRUE(Contains(t.Output(27), "exited normally"));
}

// Interrupting a replay whose thread runs a long loop with a probe waiting
// for its signal: the loop spends most of its time in the probe's
// trampoline, where the interrupt stopped it, and gdb was shown the
// trampoline's address ("0x55555553a019 in ?? ()") and its scratch rcx (0
// instead of the program's). Now the stop is reported in the loop, with
// the program's registers, and continuing ends as recorded.
TEST_F(GdbProbeBreakpointTest, InterruptInsideAProbedLoopStopsInTheProgramsCode) {
  Recording rec = Record("sig_cpu_timer_loop", {"3000"});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  RunResult dump = Dump(rec.trace);
  ASSERT_TRUE(Contains(dump.out, "SIGVTALRM at pc")) << dump.out;
  ASSERT_TRUE(Contains(dump.out, "placed by register fingerprint")) << dump.out;
  // The loop runs as long as it took to record (3 s of CPU time) or
  // longer: six interrupts 0.25 s apart all land in it. Without the fix, at
  // least one of them stopped in the trampoline in most runs.
  constexpr int kInterrupts = 6;
  const std::string interrupt =
      "python threading.Timer(0.25, os.kill, (os.getpid(), signal.SIGINT)).start()";
  std::vector<std::string> commands = {"python import os, signal, threading",  // 0
                                       "break LoopStarts",                      // 1
                                       "continue",                              // 2
                                       "finish",                                // 3
                                       "print $rcx"};                           // 4
  const size_t first = commands.size();
  for (int i = 0; i < kInterrupts; ++i) {
    commands.insert(commands.end(), {interrupt, "continue", "print $pc", "print $rcx", "stepi",
                                     "print $pc"});
  }
  commands.push_back("continue");
  GdbOptions options;
  options.timeout = std::chrono::seconds(240);
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("sig_cpu_timer_loop"), commands, options);
  SCOPED_TRACE(t.Describe());
  ASSERT_TRUE(NoMotionFailed(t));
  ASSERT_TRUE(Contains(t.Output(2), "Breakpoint 1, LoopStarts"));
  // The loop leaves rcx alone: it keeps its value from before the loop.
  const std::optional<std::string> rcx = PrintedValue(t.Output(4));
  ASSERT_TRUE(rcx.has_value()) << t.Output(4);
  for (int i = 0; i < kInterrupts; ++i) {
    const size_t at = first + 6 * i;
    ASSERT_TRUE(Contains(t.Output(at + 1), "SIGINT")) << "interrupt " << i + 1 << " missed the loop";
    EXPECT_TRUE(Contains(t.Output(at + 1), "in main (") || Contains(t.Output(at + 1), "\nmain ("))
        << t.Output(at + 1);
    EXPECT_TRUE(Contains(t.Output(at + 2), "<main+")) << t.Output(at + 2);
    EXPECT_EQ(PrintedValue(t.Output(at + 3)), rcx) << "interrupt " << i + 1;
    EXPECT_TRUE(Contains(t.Output(at + 5), "<main+")) << "stepi after interrupt " << i + 1;
  }
  EXPECT_TRUE(Contains(t.Output(first + 6 * kInterrupts), rec.out));
  EXPECT_TRUE(Contains(t.Output(first + 6 * kInterrupts), "exited normally"));
}

}  // namespace
}  // namespace rwd::e2e

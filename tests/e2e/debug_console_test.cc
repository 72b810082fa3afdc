// `rewind debug`, the time-travel console, driven through stdin on real
// recordings: breakpoints, backtraces with file:line, reverse execution,
// globals, watchpoints with old and new values in forward order,
// disassembly, time travel, source-line stepping both ways, threads, and
// the command line's refusals. The interactive run through a pty (history,
// Ctrl-C during a long continue) is debug_console_pty.py.
#include <csignal>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "e2e_fixture.h"
#include "gdb_driver.h"

namespace rwd::e2e {
namespace {

class DebugConsoleTest : public E2ETest {
 protected:
  // Runs `rewind debug TRACE` with `commands` on stdin (then quit) and
  // returns each command's output, in order. The console echoes every
  // command after its prompt when stdin is not a terminal.
  std::vector<std::string> Session(const std::string& trace,
                                   const std::vector<std::string>& commands,
                                   RunResult* result = nullptr,
                                   const std::vector<std::string>& options_before = {}) {
    std::string input;
    for (const std::string& c : commands) input += c + "\n";
    RunOptions options;
    options.stdin_data = input + "quit\n";
    options.timeout = std::chrono::seconds(240);
    std::vector<std::string> args{"debug"};
    args.insert(args.end(), options_before.begin(), options_before.end());
    args.push_back(trace);
    RunResult r = Rewind(args, options);
    EXPECT_EQ(r.exit_status, 0) << r.Describe() << "\n" << r.out;
    EXPECT_FALSE(r.Crashed()) << r.Describe();
    std::vector<std::string> outputs;
    size_t at = r.out.find("(rewind) ");
    while (at != std::string::npos) {
      size_t line_end = r.out.find('\n', at);
      size_t next = r.out.find("(rewind) ", line_end);
      outputs.push_back(r.out.substr(
          line_end + 1, next == std::string::npos ? std::string::npos : next - line_end - 1));
      at = next;
    }
    EXPECT_EQ(outputs.size(), commands.size() + 1) << r.out;
    outputs.resize(commands.size() + 1);
    if (result) *result = r;
    return outputs;
  }

  // "[Breakpoint 1, ]thread 4242: bump (0x...) at .../debug_target.c:19, event 5"
  static ::testing::AssertionResult At(const std::string& output, const std::string& function,
                                       int line) {
    return AnyLineMatches(output, "^(Breakpoint [0-9]+, )?thread [0-9]+: " + function +
                                      " \\(0x[0-9a-f]+\\) at /.*/debug_target\\.c:" +
                                      std::to_string(line) + ", event [0-9]+$");
  }
};

TEST_F(DebugConsoleTest, BreakBacktracePrintWatchAndTimeTravel) {
  Recording rec = Record("debug_target");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const int body = SourceLine("tests/programs/debug_target.c", "@bump-body");
  const int call = SourceLine("tests/programs/debug_target.c", "@call-bump");
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break bump",          // 0
                                                        "continue",            // 1
                                                        "bt",                  // 2
                                                        "print counter",       // 3
                                                        "c",                   // 4
                                                        "print counter",       // 5
                                                        "reverse-continue",    // 6
                                                        "p counter",           // 7
                                                        "print tag",           // 8
                                                        "print $pc",           // 9
                                                        "print counter + 1",   // 10
                                                        "delete",              // 11
                                                        "watch counter",       // 12
                                                        "continue",            // 13
                                                        "continue",            // 14
                                                        "rc",                  // 15
                                                        "disas",               // 16
                                                        "when",                // 17
                                                        "checkpoint before1",  // 18
                                                        "continue",            // 19
                                                        "restart before1",     // 20
                                                        "print counter",       // 21
                                                        "goto 1",              // 22
                                                        "print counter",       // 23
                                                        "events 4",            // 24
                                                        "info registers",      // 25
                                                        "x/2xw &counter",      // 26
                                                        "x/2dw counter",       // 27
                                                        "info proc mappings",  // 28
                                                        "frobnicate",          // 29
                                                    });
  EXPECT_TRUE(Contains(out[0], "Breakpoint 1 at 0x")) << out[0];
  EXPECT_TRUE(Contains(out[1], "Breakpoint 1, ")) << out[1];
  EXPECT_TRUE(At(out[1], "bump", body)) << out[1];
  EXPECT_TRUE(AnyLineMatches(out[2], "^#0  0x[0-9a-f]+ in bump \\(\\) at /.*debug_target\\.c:" +
                                         std::to_string(body) + "$"))
      << out[2];
  EXPECT_TRUE(AnyLineMatches(out[2], "^#1  0x[0-9a-f]+ in main \\(\\) at /.*debug_target\\.c:" +
                                         std::to_string(call) + "$"))
      << out[2];
  EXPECT_EQ(out[3], "counter = 0\n");
  EXPECT_EQ(out[5], "counter = 1\n");
  EXPECT_TRUE(Contains(out[6], "Breakpoint 1, ")) << out[6];
  EXPECT_TRUE(At(out[6], "bump", body)) << out[6];
  EXPECT_EQ(out[7], "counter = 0\n");
  EXPECT_EQ(out[8], "tag = {0x72, 0x77, 0x64, 0x34, 0x32, 0x00}\n");
  EXPECT_TRUE(AnyLineMatches(out[9], "^\\$pc = [0-9]+ \\(0x[0-9a-f]+\\)$")) << out[9];
  EXPECT_TRUE(Contains(out[10], "gdb's job")) << out[10];
  EXPECT_TRUE(Contains(out[12], "Watchpoint 2: counter (0x")) << out[12];
  // Forward: each write in turn.
  EXPECT_TRUE(Contains(out[13], "Watchpoint 2: counter\nOld value = 0\nNew value = 1\n"))
      << out[13];
  EXPECT_TRUE(At(out[13], "bump", body + 1) || At(out[13], "bump", body)) << out[13];
  EXPECT_TRUE(Contains(out[14], "Old value = 1\nNew value = 3\n")) << out[14];
  // Backwards from the second write: the first, on its writing
  // instruction, old and new still in forward order.
  EXPECT_TRUE(Contains(out[15], "Watchpoint 2: counter\nOld value = 0\nNew value = 1\n"))
      << out[15];
  EXPECT_TRUE(At(out[15], "bump", body)) << out[15];
  EXPECT_TRUE(AnyLineMatches(out[16], "^=> 0x[0-9a-f]+ <bump\\+[0-9]+>:\t")) << out[16];
  EXPECT_TRUE(AnyLineMatches(out[17], "^Current event: [0-9]+ \\(of [0-9]+\\), pc 0x[0-9a-f]+"))
      << out[17];
  EXPECT_TRUE(AnyLineMatches(out[18], "^Checkpoint [0-9]+ at event [0-9]+$")) << out[18];
  // From the writing instruction, forward: that write.
  EXPECT_TRUE(Contains(out[19], "Old value = 0\nNew value = 1\n")) << out[19];
  EXPECT_TRUE(Contains(out[20], "Current event: ")) << out[20];
  EXPECT_TRUE(At(out[20], "bump", body)) << out[20];
  EXPECT_EQ(out[21], "counter = 0\n");
  EXPECT_TRUE(AnyLineMatches(out[22], "^Current event: 1 \\(of [0-9]+\\)")) << out[22];
  EXPECT_EQ(out[23], "counter = 0\n");
  EXPECT_TRUE(AnyLineMatches(out[24], "^=> #1 tid [0-9]+ ")) << out[24];
  EXPECT_TRUE(AnyLineMatches(out[25], "^(rip|pc) +0x[0-9a-f]+ +[0-9-]+$")) << out[25];
  EXPECT_TRUE(AnyLineMatches(out[26], "^0x[0-9a-f]+ <counter>:\t0x00000000\t0x00000000$"))
      << out[26];
  EXPECT_TRUE(AnyLineMatches(out[27], "^0x[0-9a-f]+ <counter>:\t0\t0$")) << out[27];
  EXPECT_TRUE(AnyLineMatches(out[28], "debug_target$")) << out[28];
  EXPECT_FALSE(Contains(out[28], ".cache/rewind")) << out[28];
  EXPECT_TRUE(Contains(out[29], "error: unknown command 'frobnicate'")) << out[29];
}

TEST_F(DebugConsoleTest, SourceLineSteppingBothWays) {
  Recording rec = Record("debug_target");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const int body = SourceLine("tests/programs/debug_target.c", "@bump-body");
  const int call = SourceLine("tests/programs/debug_target.c", "@call-bump");
  const int print = SourceLine("tests/programs/debug_target.c", "@print-round");
  std::vector<std::string> out =
      Session(rec.trace, {
                             "break debug_target.c:" + std::to_string(call),  // 0
                             "continue",                                      // 1
                             "step",                                          // 2
                             "finish",                                        // 3
                             "next",                                          // 4
                             "reverse-step",                                  // 5
                             "reverse-finish",                                // 6
                             "next",                                          // 7
                             "stepi",                                         // 8
                             "reverse-stepi",                                 // 9
                             "reverse-next",                                  // 10
                             "n",                                             // 11
                             "n",                                             // 12
                         });
  EXPECT_TRUE(At(out[1], "main", call)) << out[1];
  EXPECT_TRUE(At(out[2], "bump", body)) << out[2];
  EXPECT_TRUE(Contains(out[3], "Run till exit")) << out[3];
  EXPECT_TRUE(At(out[3], "main", call)) << out[3];
  EXPECT_TRUE(At(out[4], "main", print)) << out[4];
  // Back from the line after the call into the function it called: at the
  // start of its last line (the closing brace at -O0).
  EXPECT_TRUE(At(out[5], "bump", body + 2) || At(out[5], "bump", body + 1)) << out[5];
  EXPECT_TRUE(At(out[6], "main", call)) << out[6];
  EXPECT_TRUE(At(out[7], "main", print)) << out[7];
  EXPECT_TRUE(At(out[8], "main", print)) << out[8];
  EXPECT_TRUE(At(out[9], "main", print)) << out[9];
  EXPECT_NE(out[8], out[9]);
  EXPECT_EQ(out[9], out[7]) << "reverse-stepi undoes stepi";
  EXPECT_TRUE(At(out[10], "main", call)) << out[10];
  EXPECT_TRUE(At(out[11], "main", print)) << out[11];
  EXPECT_TRUE(At(out[12], "main", print + 1)) << out[12];
}

TEST_F(DebugConsoleTest, ThreadsOfAMultithreadedTrace) {
  Recording rec = Record("mt_worker_bp");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break worker_step",  // 0
                                                        "continue",           // 1
                                                        "info threads",       // 2
                                                        "thread 1",           // 3
                                                        "bt",                 // 4
                                                        "thread 99999",       // 5
                                                        "continue",           // 6
                                                        "info threads",       // 7
                                                    });
  EXPECT_TRUE(Contains(out[1], "Breakpoint 1, ")) << out[1];
  std::vector<std::string> threads;
  for (const std::string& line : Lines(out[2])) {
    if (std::regex_search(line, std::regex("^[* ] [0-9]+ +thread [0-9]+ ")))
      threads.push_back(line);
  }
  ASSERT_EQ(threads.size(), 3u) << out[2];
  EXPECT_TRUE(Contains(out[2], "\"worker-1\"")) << out[2];
  EXPECT_TRUE(Contains(out[2], "\"worker-2\"")) << out[2];
  EXPECT_TRUE(
      AnyLineMatches(out[2], "^\\* [0-9]+ +thread [0-9]+ \"worker-1\" 0x[0-9a-f]+ in worker_step"))
      << out[2];
  EXPECT_TRUE(AnyLineMatches(out[3], "^thread [0-9]+: ")) << out[3];
  EXPECT_TRUE(AnyLineMatches(out[4], "^#0 ")) << out[4];
  EXPECT_TRUE(Contains(out[5], "error: no thread 99999")) << out[5];
  EXPECT_TRUE(
      AnyLineMatches(out[7], "^\\* [0-9]+ +thread [0-9]+ \"worker-2\" 0x[0-9a-f]+ in worker_step"))
      << out[7];
}

TEST_F(DebugConsoleTest, ScriptsRunFirstAndEndOfInputEnds) {
  Recording rec = Record("debug_target");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::string script = NewPath("commands");
  {
    FILE* f = fopen(script.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs("break bump\ncontinue\nprint counter\n", f);
    fclose(f);
  }
  RunOptions options;
  options.stdin_data = "continue\nprint counter\n";
  RunResult r = Rewind({"debug", "-x", script, rec.trace}, options);
  EXPECT_EQ(r.exit_status, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "(rewind) print counter\ncounter = 0\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "(rewind) print counter\ncounter = 1\n")) << r.out;
}

TEST_F(DebugConsoleTest, CommandLineErrorsExit2) {
  Recording rec = Record("debug_target");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  RunResult missing_script = Rewind({"debug", "-x", temp_dir() + "/no-such-file", rec.trace});
  EXPECT_EQ(missing_script.exit_status, 2) << missing_script.Describe();
  EXPECT_TRUE(Contains(missing_script.err, "rewind debug: ")) << missing_script.err;
  RunResult unknown = Rewind({"debug", "--frobnicate", rec.trace});
  EXPECT_EQ(unknown.exit_status, 2) << unknown.Describe();
  RunResult extra = Rewind({"debug", rec.trace, "extra"});
  EXPECT_EQ(extra.exit_status, 2) << extra.Describe();
  RunResult no_trace = Rewind({"debug", temp_dir() + "/no-such-trace"});
  EXPECT_NE(no_trace.exit_status, 0);
  EXPECT_NE(no_trace.exit_status, 2) << "a trace that does not exist is not a usage error";
}

// The first "event N" / "Current event: N" / "=> #N" number in `text`.
std::optional<uint64_t> EventIn(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return std::nullopt;
  return std::stoull(m[1].str());
}

// `break write` stops before the syscall, at the entry of libc's wrapper
// (as gdb places it: the wrapper's first line holds the whole syscall), and
// the event a stop shows is the next one to run, the write, as gdb's
// `monitor when` says at the same breakpoint.
TEST_F(DebugConsoleTest, BreakOnASyscallWrapperStopsBeforeItsEvent) {
  Recording rec = Record("syscall_rounds");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break main",   // 0
                                                        "continue",     // 1
                                                        "break write",  // 2
                                                        "continue",     // 3
                                                        "when",         // 4
                                                        "events 3",     // 5
                                                        "continue",     // 6
                                                    });
  EXPECT_TRUE(Contains(out[3], "Breakpoint 2, ")) << out[3];
  EXPECT_FALSE(Contains(out[3], "one\n")) << "the write ran before the stop:\n" << out[3];
  std::optional<uint64_t> stop = EventIn(out[3], "event ([0-9]+)\n");
  ASSERT_TRUE(stop.has_value()) << out[3];
  EXPECT_EQ(EventIn(out[4], "Current event: ([0-9]+) "), stop) << out[4];
  EXPECT_TRUE(AnyLineMatches(
      out[5], "^=> #" + std::to_string(*stop) + " tid [0-9]+ syscall write\\(1, 0x[0-9a-f]+, 4\\)"))
      << out[5];
  EXPECT_TRUE(Contains(out[6], "one\n")) << out[6];
  GdbTranscript t =
      RunGdbOnReplay(rec.trace, Program("syscall_rounds"),
                     {"break main", "continue", "break write", "continue", "monitor when"});
  EXPECT_EQ(EventIn(t.Output(4), "Current event: ([0-9]+) "), stop) << t.Describe();
}

// The program's exit is the end of history, as in gdb: reverse-continue
// goes back from it, and continue comes back to it.
TEST_F(DebugConsoleTest, ReverseContinueFromTheExit) {
  Recording rec = Record("syscall_rounds");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break main",        // 0
                                                        "continue",          // 1
                                                        "continue",          // 2
                                                        "break write",       // 3
                                                        "reverse-continue",  // 4
                                                        "when",              // 5
                                                        "delete",            // 6
                                                        "continue",          // 7
                                                    });
  EXPECT_TRUE(Contains(out[2], "The program exited with code 0 (the end of its history")) << out[2];
  EXPECT_TRUE(Contains(out[4], "Breakpoint 2, ")) << out[4];
  EXPECT_FALSE(Contains(out[4], "error")) << out[4];
  std::optional<uint64_t> end = EventIn(out[2], "event ([0-9]+)\n");
  std::optional<uint64_t> back = EventIn(out[5], "Current event: ([0-9]+) ");
  ASSERT_TRUE(end.has_value()) << out[2];
  ASSERT_TRUE(back.has_value()) << out[5];
  EXPECT_LT(*back, *end);
  // Forward again from there: to the exit once more.
  EXPECT_TRUE(Contains(out[7], "The program exited with code 0")) << out[7];
}

// --crash and -g choose where the console starts, as for `rewind replay`
// (debugger/start_point.h): at the crashed process's fatal signal, with
// the history before it to go back into; at an event.
TEST_F(DebugConsoleTest, StartsAtTheCrashOrAnEvent) {
  Recording rec = Record("segfault");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  const int crash_line = SourceLine("tests/programs/segfault.c", "*(volatile int*)0x1234 = 1;");
  RunResult crash;
  std::vector<std::string> out = Session(rec.trace,
                                         {
                                             "bt",          // 0
                                             "break main",  // 1
                                             "rc",          // 2
                                             "when",        // 3
                                         },
                                         &crash, {"--crash"});
  EXPECT_TRUE(Contains(crash.err, "receives its fatal SIGSEGV, event ")) << crash.err;
  EXPECT_TRUE(AnyLineMatches(out[0], "^#0  0x[0-9a-f]+ in Crash \\(\\) at /.*segfault\\.c:" +
                                         std::to_string(crash_line) + "$"))
      << out[0];
  EXPECT_TRUE(Contains(out[2], "Breakpoint 1, ")) << out[2];
  std::optional<uint64_t> at_main = EventIn(out[3], "Current event: ([0-9]+) ");
  ASSERT_TRUE(at_main.has_value()) << out[3];

  RunResult go;
  out = Session(rec.trace, {"when"}, &go, {"-g", "2"});
  EXPECT_EQ(EventIn(out[0], "Current event: ([0-9]+) "), std::optional<uint64_t>(2)) << out[0];
  RunResult refused = Rewind({"debug", "--crash", "-p", "1", rec.trace});
  EXPECT_EQ(refused.exit_status, 2) << refused.Describe();
}

// gdb's pending breakpoints: `break cos` before libm is loaded (the
// program dlopens it) waits for the load; cos, an indirect function, stops
// in the implementation its resolver chose, before the call has run, and
// both ways in time.
TEST_F(DebugConsoleTest, PendingBreakpointTakesEffectWhenItsLibraryLoads) {
  Recording rec = Record("dlopen_cos");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break cos",         // 0
                                                        "info breakpoints",  // 1
                                                        "continue",          // 2
                                                        "bt",                // 3
                                                        "continue",          // 4
                                                        "continue",          // 5
                                                        "reverse-continue",  // 6
                                                        "reverse-continue",  // 7
                                                        "reverse-continue",  // 8
                                                        "delete 1",          // 9
                                                        "info breakpoints",  // 10
                                                    });
  EXPECT_TRUE(Contains(out[0], "Breakpoint 1 (cos) pending")) << out[0];
  EXPECT_TRUE(AnyLineMatches(out[1], "^1\tbreakpoint\t<PENDING> cos$")) << out[1];
  // Its code, called from main; not its resolver, called by the loader.
  EXPECT_TRUE(AnyLineMatches(out[2], "^Breakpoint 1, thread [0-9]+: __cos[a-z0-9_]* ")) << out[2];
  EXPECT_TRUE(
      AnyLineMatches(out[3], "^#1 +0x[0-9a-f]+ in main \\(\\) at /.*/dlopen_cos\\.c:[0-9]+$"))
      << out[3];
  // The second call. (The program's output is a pipe's: it all comes at
  // the exit.)
  EXPECT_TRUE(AnyLineMatches(out[4], "^Breakpoint 1, thread [0-9]+: __cos")) << out[4];
  EXPECT_TRUE(Contains(out[5], "cos(0) = 1.0\ncos(0) again = 1.0\n")) << out[5];
  EXPECT_TRUE(Contains(out[5], "The program exited with code 0")) << out[5];
  // Back: the two calls, then nothing else (not the resolver's run).
  EXPECT_TRUE(AnyLineMatches(out[6], "^Breakpoint 1, thread [0-9]+: __cos")) << out[6];
  EXPECT_TRUE(AnyLineMatches(out[7], "^Breakpoint 1, thread [0-9]+: __cos")) << out[7];
  EXPECT_TRUE(Contains(out[8], "No more reverse-execution history")) << out[8];
  EXPECT_TRUE(Contains(out[10], "No breakpoints or watchpoints.")) << out[10];
}

// A pending breakpoint takes effect during next and finish too, not only
// continue: `next` over the line that dlopens libm, over the dlsym that
// runs cos's resolver, and over the line that calls cos stops in cos.
TEST_F(DebugConsoleTest, PendingBreakpointTakesEffectDuringNextAndFinish) {
  Recording rec = Record("dlopen_cos");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const std::string source = "tests/programs/dlopen_cos.c";
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break main",  // 0
                                                        "continue",    // 1
                                                        "break cos",   // 2
                                                        "next",        // 3: dlopen
                                                        "next",        // 4: if (!libm)
                                                        "next",        // 5: dlsym
                                                        "next",        // 6: cos(0)
                                                        "next",        // 7
                                                        "bt 2",        // 8
                                                        "finish",      // 9
                                                        "next",        // 10
                                                        "next",        // 11
                                                    });
  const int first = SourceLine(source, "@first-cos");
  const int second = SourceLine(source, "@second-cos");
  auto in_main = [](const std::string& output, int line) {
    return AnyLineMatches(output, "^thread [0-9]+: main \\(0x[0-9a-f]+\\) at /.*/dlopen_cos\\.c:" +
                                      std::to_string(line) + ", ");
  };
  EXPECT_TRUE(Contains(out[2], "Breakpoint 2 (cos) pending")) << out[2];
  EXPECT_TRUE(in_main(out[6], first)) << out[6];
  // Over the first call: into cos, its breakpoint set on the way.
  EXPECT_TRUE(AnyLineMatches(out[7], "^Breakpoint 2, thread [0-9]+: __cos[a-z0-9_]* ")) << out[7];
  EXPECT_TRUE(
      AnyLineMatches(out[8], "^#1 +0x[0-9a-f]+ in main \\(\\) at /.*/dlopen_cos\\.c:[0-9]+$"))
      << out[8];
  EXPECT_TRUE(Contains(out[9], "Run till exit")) << out[9];
  EXPECT_TRUE(in_main(out[9], first)) << out[9];
  // Over the second call: cos again.
  EXPECT_TRUE(in_main(out[10], second)) << out[10];
  EXPECT_TRUE(AnyLineMatches(out[11], "^Breakpoint 2, thread [0-9]+: __cos[a-z0-9_]* ")) << out[11];
}

// A pending breakpoint on a function of the program an exec runs: set
// before the exec, it stops in the new program, with its frames.
TEST_F(DebugConsoleTest, PendingBreakpointTakesEffectAcrossExec) {
  Recording rec = Record("exec_into", {Program("debug_target")});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const int body = SourceLine("tests/programs/debug_target.c", "@bump-body");
  const int call = SourceLine("tests/programs/debug_target.c", "@call-bump");
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break bump",     // 0
                                                        "continue",       // 1
                                                        "bt",             // 2
                                                        "print counter",  // 3
                                                        "continue",       // 4
                                                        "print counter",  // 5
                                                    });
  EXPECT_TRUE(Contains(out[0], "Breakpoint 1 (bump) pending")) << out[0];
  EXPECT_TRUE(Contains(out[1], "exec_into: ")) << out[1];
  EXPECT_TRUE(Contains(out[1], "Breakpoint 1, ")) << out[1];
  EXPECT_TRUE(At(out[1], "bump", body)) << out[1];
  EXPECT_TRUE(AnyLineMatches(out[2], "^#1  0x[0-9a-f]+ in main \\(\\) at /.*debug_target\\.c:" +
                                         std::to_string(call) + "$"))
      << out[2];
  EXPECT_EQ(out[3], "counter = 0\n");
  EXPECT_TRUE(At(out[4], "bump", body)) << out[4];
  EXPECT_EQ(out[5], "counter = 1\n");
}

// A breakpoint set by name moves to the program an exec runs, as in gdb:
// `break main` stops in both programs' main. Left at the first program's
// address, its breakpoint instruction landed inside an instruction of the
// second and changed what it computed (total 10, not 40).
TEST_F(DebugConsoleTest, BreakpointsByNameMoveToTheProgramAnExecRuns) {
  Recording rec = Record("exec_into", {Program("debug_target")});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break main",        // 0
                                                        "continue",          // 1
                                                        "continue",          // 2
                                                        "bt 1",              // 3
                                                        "info breakpoints",  // 4
                                                        "continue",          // 5
                                                    });
  EXPECT_TRUE(AnyLineMatches(out[1], "^Breakpoint 1, thread [0-9]+: main .*/exec_into\\.c:"))
      << out[1];
  EXPECT_TRUE(Contains(out[2], "exec_into: ")) << out[2];
  EXPECT_TRUE(AnyLineMatches(out[2], "^Breakpoint 1, thread [0-9]+: main .*/debug_target\\.c:"))
      << out[2];
  EXPECT_TRUE(AnyLineMatches(out[4], "^1\tbreakpoint\t0x[0-9a-f]+ <main\\+[0-9]+>$")) << out[4];
  EXPECT_TRUE(Contains(out[5], "round 4: counter 10\ntotal 40\n")) << out[5];
  EXPECT_TRUE(Contains(out[5], "The program exited with code 0")) << out[5];
}

// `break strlen` once libc is loaded but before the program's first call:
// the executable's GOT slot is not bound yet (lazy binding), so the
// breakpoint waits for the resolver's choice and stops at the first call,
// in the code chosen, called from main. Recorded without the syscall
// buffer: with it, the slot is bound by the time main runs.
TEST_F(DebugConsoleTest, BreakOnAnIndirectFunctionStopsInTheCodeItChose) {
  RunOptions lazy;
  lazy.env = {"REWIND_SYSCALLBUF=0"};
  Recording rec = Record("dlopen_cos", {}, lazy);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break main",    // 0
                                                        "continue",      // 1
                                                        "break strlen",  // 2
                                                        "continue",      // 3
                                                        "bt 2",          // 4
                                                        "finish",        // 5
                                                    });
  EXPECT_TRUE(Contains(out[2], "indirect function")) << out[2];
  EXPECT_TRUE(AnyLineMatches(out[3], "^Breakpoint 2, thread [0-9]+: __strlen[a-z0-9_]* "))
      << out[3];
  EXPECT_TRUE(
      AnyLineMatches(out[4], "^#1 +0x[0-9a-f]+ in main \\(\\) at /.*/dlopen_cos\\.c:[0-9]+$"))
      << out[4];
  // Out of it: the call returned to main.
  EXPECT_TRUE(AnyLineMatches(out[5], "^thread [0-9]+: main ")) << out[5];
}

// `bt` through the C library, recorded with the syscall buffer (the
// default): its patches split libc's text into several mappings, and
// libunwind's own lookup then found no unwind table in most of them and
// skipped the caller (#1 __libc_start_call_main from strlen). From a libc
// leaf called by main, from the program called back by qsort, from libc
// called two program frames up, from write in a second thread and from
// that write's syscall inside the buffer's code: every frame, with the
// program's file:line.
TEST_F(DebugConsoleTest, BacktraceThroughTheCLibraryWithTheSyscallBuffer) {
  Recording rec = Record("mt_libc_frames");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const std::string source = "tests/programs/mt_libc_frames.c";
  const int call_strlen = SourceLine(source, "@call-strlen");
  const int call_qsort = SourceLine(source, "@call-qsort");
  const int compare = SourceLine(source, "@compare");
  const int write_line = SourceLine(source, "@worker-write");
  std::vector<std::string> out = Session(rec.trace, {
                                                        "break main",           // 0
                                                        "continue",             // 1
                                                        "info proc mappings",   // 2
                                                        "break strlen",         // 3
                                                        "continue",             // 4
                                                        "bt",                   // 5
                                                        "break by_name",        // 6
                                                        "continue",             // 7
                                                        "bt",                   // 8
                                                        "break strcmp",         // 9
                                                        "continue",             // 10
                                                        "bt",                   // 11
                                                        "delete",               // 12
                                                        "break worker",         // 13
                                                        "continue",             // 14
                                                        "break write",          // 15
                                                        "continue",             // 16
                                                        "bt",                   // 17
                                                        "catch syscall write",  // 18
                                                        "continue",             // 19
                                                        "bt",                   // 20
                                                    });
  auto frame = [&](int n, const std::string& function, int line) {
    return "^#" + std::to_string(n) + " +0x[0-9a-f]+ in " + function +
           " \\(\\) at /.*/mt_libc_frames\\.c:" + std::to_string(line) + "$";
  };
  auto main_frame = [&](int line) {
    return "^#[0-9]+ +0x[0-9a-f]+ in main \\(\\) at /.*/mt_libc_frames\\.c:" +
           std::to_string(line) + "$";
  };
  // The case this test is for: libc's code in more than one mapping.
  int libc_text = 0;
  for (const std::string& line : Lines(out[2])) {
    libc_text += std::regex_search(line, std::regex(" r-xp .*/libc\\.so\\.6$")) ? 1 : 0;
  }
  EXPECT_GT(libc_text, 1) << "the syscall buffer no longer splits libc's text:\n" << out[2];
  // main -> strlen.
  EXPECT_TRUE(AnyLineMatches(out[4], "^Breakpoint 2, thread [0-9]+: __strlen")) << out[4];
  EXPECT_TRUE(AnyLineMatches(out[5], "^#0 +0x[0-9a-f]+ in __strlen")) << out[5];
  EXPECT_TRUE(AnyLineMatches(out[5], frame(1, "main", call_strlen))) << out[5];
  // main -> qsort (libc) -> by_name.
  EXPECT_TRUE(AnyLineMatches(out[7],
                             "^Breakpoint 3, thread [0-9]+: by_name \\(0x[0-9a-f]+\\) at "
                             "/.*/mt_libc_frames\\.c:" +
                                 std::to_string(compare) + ", event [0-9]+$"))
      << out[7];
  EXPECT_TRUE(AnyLineMatches(out[8], frame(0, "by_name", compare))) << out[8];
  EXPECT_TRUE(AnyLineMatches(out[8], "^#1 +0x[0-9a-f]+ in [a-z_]*(msort|qsort)")) << out[8];
  EXPECT_TRUE(AnyLineMatches(out[8], main_frame(call_qsort))) << out[8];
  // main -> qsort -> by_name -> strcmp.
  EXPECT_TRUE(AnyLineMatches(out[10], "^Breakpoint 4, thread [0-9]+: __strcmp")) << out[10];
  EXPECT_TRUE(AnyLineMatches(out[11], frame(1, "by_name", compare))) << out[11];
  EXPECT_TRUE(AnyLineMatches(out[11], "^#2 +0x[0-9a-f]+ in [a-z_]*(msort|qsort)")) << out[11];
  EXPECT_TRUE(AnyLineMatches(out[11], main_frame(call_qsort))) << out[11];
  // The worker thread: write, then its syscall inside the buffer's code.
  EXPECT_TRUE(AnyLineMatches(out[16], "^Breakpoint 6, thread [0-9]+: (__)?write ")) << out[16];
  EXPECT_TRUE(AnyLineMatches(out[17], frame(1, "worker", write_line))) << out[17];
  EXPECT_TRUE(AnyLineMatches(out[17], "^#2 +0x[0-9a-f]+ in start_thread ")) << out[17];
  EXPECT_TRUE(Contains(out[19], "Catchpoint 7 (call to syscall write), ")) << out[19];
  EXPECT_TRUE(AnyLineMatches(out[20], "^#1 +0x[0-9a-f]+ in (__)?write ")) << out[20];
  EXPECT_TRUE(AnyLineMatches(out[20], frame(2, "worker", write_line))) << out[20];
  EXPECT_FALSE(Contains(out[20], " in main ")) << out[20];
}

// `catch syscall` on the DebuggerSession gdb's QCatchSyscalls uses.
TEST_F(DebugConsoleTest, CatchSyscallStopsAtEntryAndReturnBothWays) {
  Recording rec = Record("syscall_rounds");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const std::string write_nr = std::to_string(arch::HostArch().syscalls().FindByName("write")->nr);
  std::vector<std::string> out = Session(rec.trace, {
                                                        "catch syscall write",   // 0
                                                        "continue",              // 1
                                                        "events 3",              // 2
                                                        "continue",              // 3
                                                        "continue",              // 4
                                                        "reverse-continue",      // 5
                                                        "info breakpoints",      // 6
                                                        "catch syscall nosuch",  // 7
                                                        "delete 1",              // 8
                                                        "continue",              // 9
                                                    });
  EXPECT_TRUE(Contains(out[0], "Catchpoint 1 (syscall 'write' [" + write_nr + "])")) << out[0];
  EXPECT_TRUE(Contains(out[1], "Catchpoint 1 (call to syscall write), thread ")) << out[1];
  EXPECT_FALSE(Contains(out[1], "one\n")) << out[1];
  // At the entry the write is the next event.
  std::optional<uint64_t> entry = EventIn(out[1], "event ([0-9]+)\n");
  ASSERT_TRUE(entry.has_value()) << out[1];
  EXPECT_TRUE(AnyLineMatches(out[2], "^=> #" + std::to_string(*entry) +
                                         " tid [0-9]+ syscall write\\(1, 0x[0-9a-f]+, 4\\)"))
      << out[2];
  EXPECT_TRUE(Contains(out[3], "Catchpoint 1 (returned from syscall write), thread ")) << out[3];
  EXPECT_TRUE(Contains(out[3], "one\n")) << out[3];
  EXPECT_EQ(EventIn(out[3], "event ([0-9]+)\n"), *entry + 1) << out[3];
  EXPECT_TRUE(Contains(out[4], "Catchpoint 1 (call to syscall write), ")) << out[4];
  // Back from the second write's entry: the first one's return.
  EXPECT_TRUE(Contains(out[5], "Catchpoint 1 (returned from syscall write), ")) << out[5];
  EXPECT_EQ(EventIn(out[5], "event ([0-9]+)\n"), *entry + 1) << out[5];
  EXPECT_TRUE(AnyLineMatches(out[6], "^1\tcatchpoint\tsyscall 'write' \\[" + write_nr + "\\]$"))
      << out[6];
  EXPECT_TRUE(Contains(out[7], "error: unknown syscall 'nosuch'")) << out[7];
  EXPECT_FALSE(Contains(out[9], "Catchpoint")) << out[9];
  EXPECT_TRUE(Contains(out[9], "The program exited with code 0")) << out[9];
}

// The pty half: readline history across sessions and Ctrl-C during a long
// continue (tests/e2e/debug_console_pty.py, with python3-pexpect).
TEST_F(DebugConsoleTest, InteractiveHistoryAndInterrupt) {
  RunResult probe = RunCommand({"python3", "-c", "import pexpect"});
  if (probe.exit_status != 0) {
    GTEST_SKIP() << "python3-pexpect is not installed (scripts/common.sh installs it)";
  }
  RunOptions slow;
  slow.timeout = std::chrono::seconds(120);
  // 8 * 10^9 iterations: about 4 s of loop even on an idle machine, so the
  // Ctrl-C lands inside the continue. No snapshots: the goto across the
  // loop must re-execute it for the Ctrl-C to land inside it, where one
  // near its end would get there at once.
  Recording rec;
  rec.trace = NewPath("trace-hot_loop");
  static_cast<RunResult&>(rec) = Rewind(
      {"record", "--snapshot-interval", "0", "-o", rec.trace, Program("hot_loop"), "8000000000"},
      slow);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  RunOptions options;
  options.timeout = std::chrono::seconds(240);
  RunResult r =
      RunCommand({"python3", std::string(REWIND_SOURCE_DIR) + "/tests/e2e/debug_console_pty.py",
                  REWIND_BINARY, rec.trace, data_home()},
                 options);
  EXPECT_EQ(r.exit_status, 0) << r.Describe() << "\n" << r.out;
}

// A checkpoint keeps what a shared file mapping held when it was taken:
// replay maps its own copy of such a file, which the program changes later
// (here with write), so each checkpoint gets copies of its own. Without
// them, going back showed the file as the program had changed it since.
TEST_F(DebugConsoleTest, CheckpointKeepsWhatASharedFileMappingHeld) {
  Recording rec = Record("mapped_file_writes");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> first = Session(rec.trace, {"break Check", "continue", "print map"});
  std::smatch map;
  ASSERT_TRUE(std::regex_search(first[2], map, std::regex("\\(0x([0-9a-f]+)\\)"))) << first[2];
  // The second page: random bytes at first, then a write across its start.
  char page[32];
  snprintf(page, sizeof(page), "0x%llx", std::stoull(map[1].str(), nullptr, 16) + 4096);
  RunResult result;
  std::vector<std::string> out =
      Session(rec.trace,
              {"break Check", "continue", std::string("x /2wx ") + page, "checkpoint before",
               "delete", "continue", std::string("x /2wx ") + page, "restart before",
               std::string("x /2wx ") + page, "continue"},
              &result);
  ASSERT_TRUE(Contains(out[2], page)) << out[2];
  EXPECT_NE(out[6], out[2]) << "the writes after the checkpoint did not show";
  EXPECT_EQ(out[8], out[2]) << result.out;
  EXPECT_FALSE(Contains(result.out, "diverged")) << result.out;
}

}  // namespace
}  // namespace rwd::e2e

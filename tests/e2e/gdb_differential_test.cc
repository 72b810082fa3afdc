// Differential tests (issue #4): the same script of forward and reverse
// commands, run by the same gdb once against gdb's own `record full` on the
// program running natively (the oracle) and once against `rewind replay`,
// must stop at the same places and show the same values after every command.
//
// `record full` is a sound oracle only for code that calls no libc on these
// machines (DESIGN.md, "Measured facts"), so each program brackets a
// libc-free region with MarkerBegin() and MarkerEnd(). The oracle records
// that whole region first (run to MarkerBegin, `record full`, continue to
// MarkerEnd, finish) and goes back to its beginning (`record goto begin`);
// the script then runs entirely inside the recorded history, where forward
// and reverse execution are both replay, as they are for rewind. Scripts
// never leave the region: a reverse command past MarkerBegin would hit the
// oracle's start of history but rewind's breakpoint 1.
//
// After each script command the probes print the frame and the program's
// global state; every output is compared with addresses masked (stack
// addresses differ between the native run and the recording, because the
// environment does).
#include <gtest/gtest.h>

#include <set>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

struct DiffProgram {
  std::string name;    // in tests/programs
  std::string source;  // relative to the source tree
  // Run after every script command.
  std::vector<std::string> probes;
};

// "break FILE:LINE"-style location of a marker in the program's source.
class Locator {
 public:
  explicit Locator(const DiffProgram& program) : program_(program) {}
  std::string At(const std::string& marker) const {
    return program_.source.substr(program_.source.rfind('/') + 1) + ":" +
           std::to_string(SourceLine(program_.source, marker));
  }

 private:
  const DiffProgram& program_;
};

class GdbDifferentialTest : public GdbTest {
 protected:
  // Runs `script` under both debuggers and compares every output.
  void ExpectSameAsRecordFull(const DiffProgram& program, const std::vector<std::string>& script) {
    Recording rec = Record(program.name);
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();

    std::vector<std::string> commands;
    for (const std::string& command : script) {
      commands.push_back(command);
      commands.insert(commands.end(), program.probes.begin(), program.probes.end());
    }

    GdbOptions oracle_options;
    oracle_options.setup = {"break MarkerBegin", "run",    "record full",      "break MarkerEnd",
                            "continue",          "finish", "record goto begin"};
    GdbTranscript oracle = RunGdbNative(Program(program.name), commands, oracle_options);
    // The oracle recorded the region and is back at its start.
    ASSERT_TRUE(Contains(oracle.preamble, "Breakpoint 2, MarkerEnd ()")) << oracle.Describe();
    ASSERT_FALSE(Contains(oracle.preamble, "Process record")) << oracle.Describe();
    ASSERT_EQ(oracle.commands.size(), commands.size()) << oracle.Describe();

    GdbOptions rewind_options;
    rewind_options.setup = {"break MarkerBegin", "continue", "break MarkerEnd"};
    GdbTranscript rewind =
        RunGdbOnReplay(rec.trace, Program(program.name), commands, rewind_options);
    ASSERT_TRUE(Contains(rewind.preamble, "Breakpoint 1, MarkerBegin ()")) << rewind.Describe();
    ASSERT_EQ(rewind.commands.size(), commands.size()) << rewind.Describe();

    int reverse_moves = 0;
    std::set<std::string> places;
    for (size_t i = 0; i < commands.size(); ++i) {
      const std::string& expected = oracle.commands[i].output;
      // The oracle must not fail or leave its recorded region: that would
      // make the comparison meaningless (a broken script, not a rewind bug).
      ASSERT_FALSE(Contains(expected, "Process record")) << Window(oracle, i);
      ASSERT_FALSE(Contains(expected, "No more reverse-execution history")) << Window(oracle, i);
      if (commands[i] == "frame") {
        std::optional<SourceLocation> at = StopLocation(expected);
        ASSERT_TRUE(at && !at->file.empty()) << Window(oracle, i);
        places.insert(at->ToString());
        if (commands[i - 1].rfind("reverse-", 0) == 0) ++reverse_moves;
      }
    }
    // The script really moves around, forwards and backwards.
    EXPECT_GE(places.size(), 8u);
    EXPECT_GE(reverse_moves, 6);

    // The first difference, with the commands leading to it from both.
    for (size_t i = 0; i < commands.size(); ++i) {
      if (WithoutAddresses(WithoutProgressNotes(oracle.commands[i].output)) !=
          WithoutAddresses(WithoutProgressNotes(rewind.commands[i].output))) {
        ADD_FAILURE() << "rewind differs from record full after [" << i << "] (gdb) " << commands[i]
                      << "\n=== record full ===\n"
                      << Window(oracle, i) << "=== rewind ===\n"
                      << Window(rewind, i);
        break;
      }
    }
  }

  // rewind's own lines in the output ("rewind: reverse-continue is
  // re-executing events ...", printed when a search runs for seconds, as it
  // does on a loaded machine): gdb's record full has no such thing.
  static std::string WithoutProgressNotes(const std::string& text) {
    std::string kept;
    for (const std::string& line : Lines(text)) {
      if (line.rfind("rewind: ", 0) != 0) kept += line + "\n";
    }
    return kept;
  }

  // Commands up to `index` (a few before it) and their outputs.
  static std::string Window(const GdbTranscript& t, size_t index) {
    std::string text;
    for (size_t i = index >= 12 ? index - 12 : 0; i <= index && i < t.commands.size(); ++i) {
      text += "[" + std::to_string(i) + "] (gdb) " + t.commands[i].command + "\n" +
              t.commands[i].output + "\n";
    }
    return text;
  }
};

TEST_F(GdbDifferentialTest, RecursionMatchesRecordFull) {
  DiffProgram program{
      "diff_recursion",
      "tests/programs/diff_recursion.c",
      {"frame", R"(printf "calls=%ld last=%ld depth=%d max=%d\n", g_calls, g_last, )"
                R"(g_depth, g_max_depth)"}};
  Locator l(program);
  ExpectSameAsRecordFull(program, {
                                      "next",                           // main: Factorial(6)
                                      "step",                           // Factorial(6)
                                      "next",                           //
                                      "next",                           // the recursive call
                                      "step",                           // Factorial(5)
                                      "break " + l.At("@fact-result"),  // 3
                                      "continue",                       // Factorial(2)
                                      "reverse-step",                   // into Factorial(1)
                                      "reverse-finish",                 // its call in Factorial(2)
                                      "reverse-next",                   //
                                      "continue",                       // Factorial(2) again
                                      "continue",                       // Factorial(3)
                                      "finish",                         // into Factorial(4)
                                      "reverse-continue",               // Factorial(3)
                                      "reverse-continue",               // Factorial(2)
                                      "delete 3",                       //
                                      "break Fibonacci if n == 1",      // 4
                                      "continue",                       //
                                      "bt",                             //
                                      "continue",                       //
                                      "reverse-continue",               //
                                      "reverse-step",                   // the caller
                                      "step",                           // and in again
                                      "next",                           //
                                      "next",                           //
                                      "next",                           //
                                      "finish",                         //
                                      "reverse-next",                   //
                                      "delete 4",                       //
                                      "tbreak " + l.At("@main-sum"),    //
                                      "continue",                       //
                                      "reverse-step",                   // into Fibonacci(7)
                                      "reverse-finish",                 // its call in main
                                      "reverse-next",                   // Factorial(6)'s line
                                      "next",                           //
                                      "next",                           //
                                  });
}

// A conditional breakpoint in recursive code, reached backwards after
// reverse-finish (issue #10): gdb re-asks for the previous hit each time the
// condition is false, and each must be the latest hit before the current
// point, as in record full.
TEST_F(GdbDifferentialTest, ConditionalReverseContinueInRecursion) {
  DiffProgram program{
      "diff_recursion",
      "tests/programs/diff_recursion.c",
      {"frame", R"(printf "calls=%ld last=%ld depth=%d max=%d\n", g_calls, g_last, )"
                R"(g_depth, g_max_depth)"}};
  Locator l(program);
  ExpectSameAsRecordFull(program, {
                                      "break Fibonacci if n == 1",  // 3
                                      "continue",                   // Fibonacci(1), 1st
                                      "continue",                   //
                                      "continue",                   //
                                      "continue",                   //
                                      "continue",                   //
                                      "reverse-finish",             // its call
                                      "reverse-continue",           // 4th
                                      "reverse-continue",           // 3rd
                                      "continue",                   // 4th
                                      "reverse-finish",             //
                                      "reverse-continue",           // 3rd
                                      "reverse-finish",             //
                                      "reverse-continue",           // 2nd
                                      "reverse-continue",           // 1st
                                      "next",                       //
                                      "next",                       //
                                      "next",                       //
                                      "next",                       // the base case
                                      "reverse-next",               //
                                      "continue",                   // 2nd
                                      "finish",                     // its caller
                                      "next",                       //
                                      "reverse-continue",           // 2nd
                                      "reverse-finish",             //
                                      "reverse-next",               //
                                      "reverse-continue",           // 1st
                                  });
}

TEST_F(GdbDifferentialTest, LoopsMatchRecordFull) {
  DiffProgram program{"diff_loops",
                      "tests/programs/diff_loops.c",
                      {"frame",
                       R"(printf "row=%d col=%d pass=%d index=%d swaps=%d checksum=%ld\n", g_row, )"
                       R"(g_col, g_pass, g_index, g_swaps, g_checksum)",
                       "print g_sorted"}};
  Locator l(program);
  ExpectSameAsRecordFull(program,
                         {
                             "next",  // main: FillGrid
                             "step",  // FillGrid
                             "next",  //
                             "next",  //
                             "next",  //
                             "break " + l.At("@fill-store") + " if g_row == 2 && g_col == 1",  // 3
                             "continue",                                                       //
                             "reverse-next",                                                   //
                             "reverse-next",                                                   //
                             "reverse-step",                                                   //
                             "delete 3",                                                       //
                             "finish",                              // to main
                             "step",                                // BubbleSort
                             "break Swap",                          // 4
                             "continue",                            //
                             "continue",                            //
                             "continue",                            //
                             "reverse-continue",                    //
                             "reverse-finish",                      // BubbleSort
                             "reverse-next",                        //
                             "reverse-next",                        //
                             "next",                                //
                             "step",                                //
                             "delete 4",                            //
                             "tbreak " + l.At("@checksum-return"),  //
                             "continue",                            //
                             "reverse-step",                        //
                             "reverse-next",                        //
                             "reverse-next",                        //
                             "next",                                //
                             "next",                                //
                             "finish",                              // to main
                             "next",                                //
                             "reverse-next",                        //
                             "reverse-step",                        // into Checksum
                             "next",                                //
                         });
}

TEST_F(GdbDifferentialTest, CallsIntoASharedLibraryMatchRecordFull) {
  DiffProgram program{"diff_shared",
                      "tests/programs/diff_shared.c",
                      {"frame", R"(printf "acc=%d combines=%d ds_calls=%d\n", g_acc, g_combines, )"
                                R"(ds_calls)"}};
  Locator l(program);
  ExpectSameAsRecordFull(program, {
                                      "next",                           // main: DsMix(1, 2)
                                      "step",                           // DsMix, in the library
                                      "next",                           //
                                      "next",                           //
                                      "reverse-next",                   //
                                      "reverse-step",                   //
                                      "finish",                         // to main
                                      "next",                           // DsFold
                                      "step",                           // DsFold, in the library
                                      "break Combine",                  // 3
                                      "continue",                       // called back
                                      "step",                           //
                                      "step",                           // DsMix again
                                      "bt",                             //
                                      "finish",                         // to Combine
                                      "continue",                       // second callback
                                      "reverse-continue",               // the first
                                      "reverse-finish",                 // DsFold's call
                                      "reverse-next",                   //
                                      "reverse-step",                   //
                                      "continue",                       //
                                      "continue",                       //
                                      "delete 3",                       //
                                      "break DsMix if acc > 1000",      // 4
                                      "continue",                       //
                                      "reverse-finish",                 // to Combine
                                      "reverse-finish",                 // to DsFold
                                      "next",                           //
                                      "delete 4",                       //
                                      "tbreak " + l.At("@main-calls"),  //
                                      "continue",                       //
                                      "reverse-step",                   // into DsFold
                                      "reverse-finish",                 // its call in main
                                      "next",                           //
                                  });
}

}  // namespace
}  // namespace rwd::e2e

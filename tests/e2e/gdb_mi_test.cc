// gdb/MI, as VS Code (cpptools) and CLion drive gdb (issue 15): a gdb with
// --interpreter=mi connects to `rewind replay -s PORT` over TCP, as the
// README's launch.json makes it, and steps and continues backwards with
// -exec-continue --reverse and -exec-next --reverse. The assertions are on
// the *stopped records a front end reads.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"
#include "tests/e2e/served_replay.h"

namespace rwd::e2e {
namespace {

using GdbMiTest = GdbTest;

struct StoppedRecord {
  std::string reason;
  std::string func;
  int line = 0;
  std::string text;  // the whole record, for messages
};

std::string Field(const std::string& record, const std::string& name) {
  std::smatch m;
  std::regex field("[,{]" + name + "=\"([^\"]*)\"");
  return std::regex_search(record, m, field) ? m[1].str() : "";
}

// The *stopped async records, in order.
std::vector<StoppedRecord> StoppedRecords(const std::string& mi_output) {
  std::vector<StoppedRecord> stops;
  for (const std::string& line : Lines(mi_output)) {
    if (line.rfind("*stopped", 0) != 0) continue;
    StoppedRecord stop;
    stop.text = line;
    stop.reason = Field(line, "reason");
    stop.func = Field(line, "func");
    std::string number = Field(line, "line");
    stop.line = number.empty() ? 0 : std::stoi(number);
    stops.push_back(stop);
  }
  return stops;
}

TEST_F(GdbMiTest, ReverseContinueAndReverseNextThroughMi) {
  Recording rec = Record("gdb_forward");
  ASSERT_EQ(rec.exit_status, 3) << rec.Describe();
  ServedReplay server(rec.trace, {});
  int port = server.Port();
  ASSERT_GT(port, 0) << server.printed();
  int call = SourceLine("tests/programs/gdb_forward.cc", "// @middle-call");
  int after = SourceLine("tests/programs/gdb_forward.cc", "// @middle-after");
  // What a front end sends, one command at a time: gdb reads the next only
  // after the target stopped (MI is synchronous on a pipe).
  std::string commands =
      "-gdb-set pagination off\n"
      "-target-select extended-remote 127.0.0.1:" +
      std::to_string(port) +
      "\n"
      "-list-target-features\n"
      "-break-insert Leaf\n"
      "-exec-continue\n"
      "-exec-finish\n"
      "-exec-next\n"
      // Going back over the call to Leaf would stop at its breakpoint.
      "-break-delete 1\n"
      "-exec-next --reverse\n"
      "-break-insert CompareInts\n"
      "-exec-continue --reverse\n"
      "-break-delete 2\n"
      "-exec-continue --reverse\n"
      "-gdb-exit\n";
  RunOptions options;
  options.stdin_data = commands;
  RunResult mi =
      RunCommand({"gdb", "--interpreter=mi", "-nx", "-q", Program("gdb_forward")}, options);
  SCOPED_TRACE(mi.Describe() + "\n" + mi.out);
  ASSERT_FALSE(mi.timed_out);
  EXPECT_TRUE(Contains(mi.out, "^connected")) << mi.out;
  // What makes a front end offer its reverse buttons (cpptools asks this).
  EXPECT_TRUE(AnyLineMatches(mi.out, R"(^\^done,features=\[.*"reverse".*\])")) << mi.out;
  std::vector<StoppedRecord> stops = StoppedRecords(mi.out);
  // The first is where gdb finds the program when it connects.
  ASSERT_EQ(stops.size(), 7u) << mi.out;
  EXPECT_EQ(stops[1].reason, "breakpoint-hit") << stops[1].text;
  EXPECT_EQ(stops[1].func, "Leaf") << stops[1].text;
  EXPECT_EQ(stops[2].reason, "function-finished") << stops[2].text;
  EXPECT_EQ(stops[2].func, "Middle") << stops[2].text;
  EXPECT_EQ(stops[3].reason, "end-stepping-range") << stops[3].text;
  EXPECT_EQ(stops[3].line, after) << stops[3].text;
  // -exec-next --reverse: back to the line that called Leaf.
  EXPECT_EQ(stops[4].reason, "end-stepping-range") << stops[4].text;
  EXPECT_EQ(stops[4].func, "Middle") << stops[4].text;
  EXPECT_EQ(stops[4].line, call) << stops[4].text;
  // -exec-continue --reverse: the last call of the qsort comparator before.
  EXPECT_EQ(stops[5].reason, "breakpoint-hit") << stops[5].text;
  EXPECT_EQ(stops[5].func, "CompareInts") << stops[5].text;
  // ... and then the start of the recording. gdb 13 gives this stop no
  // reason in MI, as with its own `record full`; the console says why.
  EXPECT_EQ(stops[6].reason, "") << stops[6].text;
  EXPECT_EQ(stops[6].func, "_start") << stops[6].text;
  EXPECT_TRUE(Contains(mi.out, "No more reverse-execution history")) << mi.out;
}

}  // namespace
}  // namespace rwd::e2e

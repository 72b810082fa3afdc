// `rewind ps`: the processes of a real recording, one line each under a
// "PID PPID EXIT CMD" header, as `rr ps` prints them:
//   PID     PPID    EXIT    CMD
//   12345   --      0       /bin/sh -c echo a | cat
//   12346   12345   0       cat
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

// Short limits: a recorder that hangs on a fork fails the test, not the suite.
RunOptions Quick() {
  RunOptions options;
  options.timeout = std::chrono::seconds(30);
  return options;
}

struct PsRow {
  std::string pid, ppid, exit, command;
};

class PsTest : public E2ETest {
 protected:
  // Runs `rewind ps TRACE` and parses its table.
  std::vector<PsRow> Ps(const std::string& trace) {
    RunResult ps = Rewind({"ps", trace}, Quick());
    EXPECT_EQ(ps.exit_status, 0) << ps.Describe();
    std::vector<std::string> lines = Lines(ps.out);
    EXPECT_FALSE(lines.empty());
    if (lines.empty()) return {};
    EXPECT_EQ(lines[0], "PID     PPID    EXIT    CMD");
    const std::regex row("^([0-9]+) +(--|[0-9]+) +([0-9]+|SIG[A-Z0-9+-]+|-) +(.*)$");
    std::vector<PsRow> rows;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::smatch m;
      EXPECT_TRUE(std::regex_match(lines[i], m, row)) << lines[i];
      if (!m.empty()) rows.push_back({m[1], m[2], m[3], m[4]});
    }
    return rows;
  }
};

TEST_F(PsTest, SingleProcessWithItsExitCodeOrSignal) {
  Recording rec = Record("exit_status", {"3"}, Quick());
  ASSERT_EQ(rec.exit_status, 3) << rec.Describe();
  std::vector<PsRow> rows = Ps(rec.trace);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].ppid, "--");
  EXPECT_EQ(rows[0].exit, "3");
  EXPECT_EQ(rows[0].command, Program("exit_status") + " 3");

  Recording crash = Record("segfault", {}, Quick());
  ASSERT_EQ(crash.exit_status, 128 + 11) << crash.Describe();
  rows = Ps(crash.trace);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].exit, "SIGSEGV");
}

// Needs a recorder that follows fork: the shell forks one child per side of
// the pipe, and the right side execs cat.
TEST_F(PsTest, ShellPipelineListsEveryProcess) {
  Recording rec = Record("/bin/sh", {"-c", "echo a | cat"}, Quick());
  ASSERT_FALSE(rec.timed_out) << rec.Describe();
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, "a\n");

  std::vector<PsRow> rows = Ps(rec.trace);
  ASSERT_GE(rows.size(), 3u);
  EXPECT_EQ(rows[0].ppid, "--");
  EXPECT_EQ(rows[0].command, "/bin/sh -c echo a | cat");
  bool cat = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE("process " + rows[i].pid + " " + rows[i].command);
    EXPECT_EQ(rows[i].exit, "0");
    if (i > 0) {
      EXPECT_EQ(rows[i].ppid, rows[0].pid);
    }
    cat = cat || rows[i].command == "cat";
  }
  EXPECT_TRUE(cat) << "no process exec'd cat";
}

}  // namespace
}  // namespace rwd::e2e

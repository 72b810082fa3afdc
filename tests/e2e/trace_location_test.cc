// Where traces go without -o: $XDG_DATA_HOME/rewind/traces/ (the fixture
// points XDG_DATA_HOME into the test's temporary directory), with a
// `latest` symlink that replay and dump use when given no trace.
#include <filesystem>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

class TraceLocationTest : public E2ETest {};

TEST_F(TraceLocationTest, DefaultLocationAndLatestLink) {
  RunResult first = Rewind({"record", Program("random_bytes")});
  ASSERT_EQ(first.exit_status, 0) << first.Describe();
  const fs::path traces = fs::path(data_home()) / "rewind" / "traces";
  const fs::path latest = traces / "latest";
  ASSERT_TRUE(fs::is_symlink(latest)) << latest << " is not a symlink";
  const fs::path first_trace = fs::canonical(latest);
  EXPECT_TRUE(fs::is_directory(first_trace));
  EXPECT_EQ(first_trace.parent_path(), fs::canonical(traces));

  RunResult replay = ReplayAutopilot();
  EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
  EXPECT_TRUE(SameBytes(first.out, replay.out));

  // A second recording gets its own directory and becomes `latest`.
  RunResult second = Rewind({"record", Program("random_bytes")});
  ASSERT_EQ(second.exit_status, 0) << second.Describe();
  const fs::path second_trace = fs::canonical(latest);
  EXPECT_NE(second_trace, first_trace);
  EXPECT_TRUE(fs::is_directory(first_trace)) << "older traces are kept";

  replay = ReplayAutopilot();
  EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
  EXPECT_TRUE(SameBytes(second.out, replay.out));
  replay = ReplayAutopilot(first_trace.string());
  EXPECT_TRUE(SameBytes(first.out, replay.out));

  RunResult dump = Dump();
  EXPECT_EQ(dump.exit_status, 0) << dump.Describe();
  EXPECT_TRUE(AnyLineMatches(dump.out, " syscall getrandom\\("));
}

}  // namespace
}  // namespace rwd::e2e

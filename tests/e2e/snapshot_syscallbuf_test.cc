// Persistent snapshots of a program using the syscall buffer (issue 16):
// the recorder snapshots it with its buffer on, and a replay restored from
// such a snapshot (`rewind replay -g`, `monitor goto`) shows the values
// re-execution shows, replays the buffered calls after it, and goes back
// from there to a buffered write with reverse-continue.
#include <regex>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "tests/e2e/gdb_driver.h"
#include "trace/snapshot_codec.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

const std::vector<std::string> kValues = {
    "p rounds_done", "p digest", "p records_written", "p last_record", "p read_back",
};

std::string AllOutput(const GdbTranscript& t) { return t.run.out + t.run.err; }

class SnapshotSyscallBufferTest : public GdbTest {
 protected:
  // snap_buffered: 300 rounds of ~1,500 buffered calls each, a snapshot
  // every 0.2 s, the buffer on whatever REWIND_SYSCALLBUF the suite has.
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped()) return;
    if (!arch::HostArch().HasSyscallBuffer()) {
      GTEST_SKIP() << "no syscall buffer on " << arch::HostArch().name();
    }
    trace_ = NewPath("trace");
    rec_ = Rewind({"record", "--syscallbuf", "--snapshot-interval", "0.2", "-o", trace_,
                   Program("snap_buffered"), "300", NewPath("scratch")});
    ASSERT_EQ(rec_.exit_status, 0) << rec_.Describe();
    RunResult info = Rewind({"info", trace_});
    ASSERT_EQ(info.exit_status, 0) << info.Describe();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(info.out, m, std::regex("events +([0-9]+)"))) << info.out;
    events_ = std::stoull(m[1]);
    target_ = events_ - 2;
    auto listed = trace::ListSnapshots(trace_);
    ASSERT_TRUE(listed.ok()) << listed.status().message();
    size_t usable = 0;
    uint32_t last_version = 0;
    for (const trace::SnapshotListing& l : *listed) {
      ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
      // The format version of snapshots with a syscall buffer: the buffer
      // was on when they were taken (but for one a loaded machine took
      // before the library registered it).
      if (l.header->event <= target_) ++usable;
      last_version = l.header->version;
    }
    EXPECT_EQ(last_version, 3u);  // version 4 only adds fork advice
    ASSERT_GE(usable, 2u) << "the recording took too little time for snapshots\n" << info.out;
  }

  GdbTranscript Replay(const std::vector<std::string>& commands,
                       const std::vector<std::string>& replay_args) {
    GdbOptions options;
    options.replay_args = replay_args;
    options.timeout = std::chrono::seconds(180);
    return RunGdbOnReplay(trace_, Program("snap_buffered"), commands, options);
  }

  std::string trace_;
  RunResult rec_;
  uint64_t events_ = 0;
  uint64_t target_ = 0;
};

TEST_F(SnapshotSyscallBufferTest, ReplayGoStartsAtASnapshotWithTheRecordedValues) {
  std::vector<std::string> commands = kValues;
  commands.push_back("monitor stats");
  std::string go = std::to_string(target_);
  GdbTranscript reexecuted = Replay(commands, {"--no-snapshots", "-g", go});
  GdbTranscript restored = Replay(commands, {"-g", go});
  ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
  EXPECT_FALSE(Contains(AllOutput(restored), "is not used")) << restored.Describe();
  EXPECT_FALSE(Contains(AllOutput(restored), "diverge", true)) << restored.Describe();
  EXPECT_TRUE(Contains(restored.Output(5), "snapshots of the trace restored: 1"))
      << restored.Output(5);
  EXPECT_TRUE(Contains(reexecuted.Output(5), "snapshots of the trace restored: 0"))
      << reexecuted.Output(5);
  for (size_t i = 0; i < kValues.size(); ++i) {
    EXPECT_EQ(restored.Output(i), reexecuted.Output(i)) << kValues[i];
  }
  // Near the end: the last rounds ran, each writing its 400 records.
  EXPECT_TRUE(AnyLineMatches(restored.Output(0), "^\\$1 = 29[0-9]$")) << restored.Output(0);
}

TEST_F(SnapshotSyscallBufferTest, GotoThenReverseContinueToABufferedWrite) {
  std::vector<std::string> commands = {"monitor goto " + std::to_string(target_)};
  commands.insert(commands.end(), kValues.begin(), kValues.end());
  GdbTranscript reexecuted = Replay(commands, {"--no-snapshots"});
  commands.insert(commands.end(), {"monitor stats", "break log_record", "reverse-continue",
                                   "p records_written", "p line", "delete", "continue"});
  GdbTranscript restored = Replay(commands, {});
  ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
  EXPECT_FALSE(Contains(AllOutput(restored), "diverge", true)) << restored.Describe();
  for (size_t i = 1; i <= kValues.size(); ++i) {
    EXPECT_EQ(restored.Output(i), reexecuted.Output(i)) << commands[i];
  }
  EXPECT_TRUE(Contains(restored.Output(6), "snapshots of the trace restored: 1"))
      << restored.Output(6);
  // Back to the call that wrote the last record before the target: the
  // record it is about to write is the one last written there, and the
  // count is one less.
  std::optional<std::string> written = PrintedValue(restored.Output(3));
  std::optional<std::string> last = PrintedValue(restored.Output(4));
  ASSERT_TRUE(written && last) << restored.Describe();
  std::optional<SourceLocation> at = StopLocation(restored.Output(8));
  ASSERT_TRUE(at) << restored.Output(8);
  EXPECT_EQ(at->function, "log_record") << restored.Output(8);
  EXPECT_EQ(PrintedValue(restored.Output(9)), std::to_string(std::stoll(*written) - 1))
      << restored.Output(9);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*last, m, std::regex("round [0-9]+ record [0-9]+"))) << *last;
  EXPECT_TRUE(Contains(restored.Output(10), m[0])) << restored.Output(10);
  // Continued to the end from there, the buffered calls replay as recorded.
  EXPECT_TRUE(Contains(restored.Output(12), "exited normally")) << restored.Output(12);
  std::vector<std::string> lines = Lines(rec_.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(Contains(AllOutput(restored), lines.back())) << restored.Describe();
}

}  // namespace
}  // namespace rwd::e2e

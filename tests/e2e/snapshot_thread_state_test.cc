// Thread state a snapshot must carry that the kernel keeps and replay runs
// for real (issue 16): the alternate signal stack. A handler with
// SA_ONSTACK that runs after a restore runs on it, as recorded.
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/gdb_driver.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

class SnapshotThreadStateTest : public GdbTest {};

// The first event `dump` shows as a call of `syscall`; 0 if none.
uint64_t FirstEventOf(const std::string& dump, const std::string& syscall) {
  std::smatch m;
  std::regex line("#([0-9]+) tid [0-9]+ syscall " + syscall + "\\(");
  return std::regex_search(dump, m, line) ? std::stoull(m[1]) : 0;
}

TEST_F(SnapshotThreadStateTest, AHandlerOnTheAlternateStackRunsThereAfterARestore) {
  std::string trace = NewPath("trace");
  RunResult r = Rewind({"record", "--snapshot-interval", "0.05", "-o", trace,
                        Program("snap_altstack"), "60"});
  ASSERT_EQ(r.exit_status, 0) << r.Describe();
  ASSERT_TRUE(Contains(r.out, "handler on the alternate stack: 1")) << r.Describe();
  RunResult dump = Rewind({"dump", trace});
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  uint64_t set_at = FirstEventOf(dump.out, "sigaltstack");
  uint64_t raise_at = FirstEventOf(dump.out, "tgkill");
  ASSERT_GT(set_at, 0u) << dump.out;
  ASSERT_GT(raise_at, set_at) << dump.out;
  // A snapshot between the two, which the goto restores.
  auto listed = trace::ListSnapshots(trace);
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  bool usable = false;
  for (const trace::SnapshotListing& l : *listed) {
    ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
    usable = usable || (l.header->event > set_at && l.header->event <= raise_at);
  }
  ASSERT_TRUE(usable) << "the recording took too little time for a snapshot after sigaltstack";

  std::vector<std::string> commands = {"monitor goto " + std::to_string(raise_at),
                                       "handle SIGUSR1 nostop noprint pass", "break report",
                                       "continue", "p on_alt_stack", "p rounds_done",
                                       "monitor stats"};
  GdbOptions reexecute;
  reexecute.replay_args = {"--no-snapshots"};
  GdbTranscript expected = RunGdbOnReplay(trace, Program("snap_altstack"), commands, reexecute);
  GdbTranscript t = RunGdbOnReplay(trace, Program("snap_altstack"), commands);
  ASSERT_EQ(expected.run.exit_status, 0) << expected.Describe();
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_TRUE(Contains(t.Output(6), "snapshots of the trace restored: 1")) << t.Output(6);
  EXPECT_EQ(PrintedValue(expected.Output(4)), std::optional<std::string>("1"))
      << expected.Describe();
  EXPECT_EQ(PrintedValue(t.Output(4)), std::optional<std::string>("1")) << t.Describe();
  EXPECT_EQ(PrintedValue(t.Output(5)), std::optional<std::string>("60")) << t.Output(5);
  EXPECT_FALSE(Contains(t.run.out + t.run.err, "diverge", true)) << t.Describe();
}

}  // namespace
}  // namespace rwd::e2e

// Snapshot points in a program whose syscalls are all buffered (issue 16):
// such a program stops for no syscall, so without help the recorder would
// reach no event boundary, and take no snapshot, for as long as it runs.
// When a snapshot is due the recorder asks the syscall buffer library for
// one (rwd_sb_header::boundary_wanted): the snapshots come about every
// interval, and a replay started from one shows the recorded values.
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "tests/e2e/gdb_driver.h"
#include "tests/e2e/snap_heap_goto.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

class SnapshotBoundaryTest : public GdbTest {
 protected:
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped()) return;
    if (!arch::HostArch().HasSyscallBuffer()) {
      GTEST_SKIP() << "no syscall buffer on " << arch::HostArch().name();
    }
  }

  // Records snap_heap with its lines going to /dev/null: 10 rounds of fixed
  // work (4000 blocks, ~0.1 s each on an idle machine), whose only call is
  // the buffered write of their line. A snapshot every 0.2 s.
  void RecordAllBuffered() {
    trace_ = NewPath("trace");
    RunResult r = Rewind({"record", "--syscallbuf", "--snapshot-interval", "0.2", "-o", trace_,
                          Program("snap_heap"), "10", "0", "4000", "/dev/null"});
    ASSERT_EQ(r.exit_status, 0) << r.Describe();
    EXPECT_EQ(r.out, "");  // its lines went to /dev/null
    RunResult info = Rewind({"info", trace_});
    ASSERT_EQ(info.exit_status, 0) << info.Describe();
    info_ = info.out;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(info_, m, std::regex("events +([0-9]+)"))) << info_;
    events_ = std::stoull(m[1]);
    ASSERT_TRUE(std::regex_search(info_, m, std::regex("snapshots +([0-9]+)"))) << info_;
    shown_count_ = std::stoull(m[1]);
    auto listed = trace::ListSnapshots(trace_);
    ASSERT_TRUE(listed.ok()) << listed.status().message();
    for (const trace::SnapshotListing& l : *listed) {
      ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
      snapshot_events_.push_back(l.header->event);
    }
  }

  std::string trace_;
  std::string info_;
  uint64_t events_ = 0;
  uint64_t shown_count_ = 0;
  std::vector<uint64_t> snapshot_events_;
};

TEST_F(SnapshotBoundaryTest, AProgramWhoseCallsAreAllBufferedIsSnapshotEveryInterval) {
  RecordAllBuffered();
  if (HasFatalFailure()) return;
  // One per round at most (its write is the boundary), 10; a loaded
  // machine makes rounds longer, and writing the one before slower.
  // Without a boundary asked for, none at all.
  EXPECT_GE(snapshot_events_.size(), 4u) << info_;
  EXPECT_EQ(shown_count_, snapshot_events_.size()) << info_;
  // Each at an event boundary of its own, spread over the recording.
  std::set<uint64_t> distinct(snapshot_events_.begin(), snapshot_events_.end());
  EXPECT_EQ(distinct.size(), snapshot_events_.size()) << info_;
  ASSERT_FALSE(snapshot_events_.empty());
  EXPECT_GT(*distinct.rbegin(), events_ / 2) << info_;
}

TEST_F(SnapshotBoundaryTest, ReplayGoStartsAtASnapshotOfTheBufferedProgram) {
  RecordAllBuffered();
  if (HasFatalFailure()) return;
  ASSERT_GE(snapshot_events_.size(), 2u) << info_;
  uint64_t target = events_ - 2;
  GdbTranscript restored =
      ExpectGoFromASnapshotShowsTheReExecutedValues(trace_, Program("snap_heap"), target);
  // Near the end: the last rounds ran (the last boundaries are their
  // writes, before round_end).
  EXPECT_TRUE(AnyLineMatches(restored.Output(0), "^\\$1 = ([7-9]|10)$")) << restored.Output(0);
}

}  // namespace
}  // namespace rwd::e2e

// Persistent snapshots written while recording (issue 16): taken at the
// interval asked for, incremental (the second snapshot of a process that
// changed 1% of its pages stores about 1% of them), shown by `rewind info`,
// and without effect on what the recording replays.
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

constexpr uint32_t kHeapPages = 64 * 256;  // snap_heap's 64 MiB
constexpr uint32_t kChangedPerRound = kHeapPages / 100;

class SnapshotRecordTest : public E2ETest {
 protected:
  // snap_heap: `rounds` rounds of 400 ms, each changing 1% of the heap;
  // a snapshot every 0.3 s.
  Recording RecordHeap(int rounds, const std::string& interval = "0.3") {
    Recording rec;
    rec.trace = NewPath("trace");
    RunResult r = Rewind({"record", "--snapshot-interval", interval, "-o", rec.trace,
                          Program("snap_heap"), std::to_string(rounds), "400"});
    static_cast<RunResult&>(rec) = r;
    return rec;
  }
};

TEST_F(SnapshotRecordTest, SecondSnapshotStoresOnlyTheChangedPages) {
  Recording rec = RecordHeap(6);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  auto listed = trace::ListSnapshots(rec.trace);
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_GE(listed->size(), 3u) << "a 2.4 s recording with a 0.3 s interval";
  std::vector<trace::SnapshotHeader> snaps;
  for (const trace::SnapshotListing& l : *listed) {
    ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
    snaps.push_back(*l.header);
  }
  // The first snapshot after the heap was filled holds all of it. (Under
  // load the program may still be starting when the first one is due: that
  // one holds a few pages.)
  size_t full = 0;
  while (full < snaps.size() && snaps[full].stored_pages < kHeapPages) ++full;
  ASSERT_LT(full + 1, snaps.size()) << "no snapshot holds the heap, or none follows it";
  // Later ones: at most the rounds that ran in between (1% each) and a few
  // pages of stack and libc; at least one covers exactly one round.
  bool one_round = false;
  for (size_t i = 1; i < snaps.size(); ++i) {
    EXPECT_GT(snaps[i].event, snaps[i - 1].event);
    if (i <= full) continue;
    EXPECT_LT(snaps[i].stored_pages, kHeapPages / 20) << "snapshot " << i;
    one_round |=
        snaps[i].stored_pages >= kChangedPerRound && snaps[i].stored_pages <= kChangedPerRound + 32;
  }
  EXPECT_TRUE(one_round) << "no snapshot stored about 1% of the heap";
  // Compressed, the incremental ones are small.
  EXPECT_LT((*listed)[full + 1].bytes, 1u << 20);

  RunResult info = Rewind({"info", rec.trace});
  ASSERT_EQ(info.exit_status, 0) << info.Describe();
  EXPECT_TRUE(AnyLineMatches(info.out, "^snapshots +" + std::to_string(snaps.size()) + ", "))
      << info.out;
  EXPECT_TRUE(AnyLineMatches(
      info.out, "^  0 +" + std::to_string(snaps[0].event) + " +[0-9]+ +1 +[0-9]+ +" +
                    std::to_string(snaps[0].stored_pages) + " +[0-9.]+ ms +[0-9.]+ ms$"))
      << info.out;

  // The snapshots' forks left no trace in what replays.
  ExpectReplaysIdentically(rec, 1);
}

TEST_F(SnapshotRecordTest, IntervalZeroTakesNone) {
  Recording rec = RecordHeap(2, "0");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  auto listed = trace::ListSnapshots(rec.trace);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  RunResult info = Rewind({"info", rec.trace});
  EXPECT_EQ(info.exit_status, 0) << info.Describe();
  EXPECT_TRUE(AnyLineMatches(info.out, "^snapshots +0, 0 bytes$")) << info.out;
}

// Only 0 means none: an interval shorter than the recorder's millisecond
// clock is its shortest, not none.
TEST_F(SnapshotRecordTest, IntervalsBelowAMillisecondTakeSnapshots) {
  Recording rec = RecordHeap(2, "0.0001");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  auto listed = trace::ListSnapshots(rec.trace);
  ASSERT_TRUE(listed.ok());
  EXPECT_GE(listed->size(), 2u);
}

TEST_F(SnapshotRecordTest, BadIntervalsAreRefused) {
  for (const char* bad : {"abc", "-1", "1e3", "", "100000"}) {
    RunResult r = Rewind(
        {"record", "--snapshot-interval", bad, "-o", NewPath("trace"), Program("exit_status")});
    EXPECT_EQ(r.exit_status, 2) << bad << ": " << r.Describe();
    EXPECT_TRUE(Contains(r.err, "--snapshot-interval")) << r.err;
  }
}

}  // namespace
}  // namespace rwd::e2e

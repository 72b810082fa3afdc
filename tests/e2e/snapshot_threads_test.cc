// Snapshots of a multithreaded process (issue 16): the recorder snapshots
// mt_snap_workers while its four workers hand work through a mutex and
// condition variables and a fifth thread waits in read() on a pipe, and a
// replay restored from such a snapshot (`monitor goto`, `rewind replay -g`)
// has every thread, as re-execution has them: the same values, the same
// `info threads`, reverse-continue from there, the waiting threads' futex
// and pipe syscalls finishing as recorded, and the recorded output to the
// end. With the syscall buffer on and off.
#include <regex>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "tests/e2e/gdb_driver.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

constexpr uint32_t kThreads = 6;  // main, reader, four workers

const std::vector<std::string> kValues = {
    "p rounds_done",
    "p heap_sum",
    "p tasks_done_total",
    "p *(unsigned long*)(heap + 4096 * 1200 + 8)",
};

std::string AllOutput(const GdbTranscript& t) { return t.run.out + t.run.err; }

// What gdb showed, without rewind's progress notes (how long re-executing
// takes decides whether they appear).
std::string GdbLines(const std::string& output) {
  std::string kept;
  for (const std::string& line : Lines(output)) {
    if (line.rfind("rewind: ", 0) != 0) kept += line + "\n";
  }
  return kept;
}

class SnapshotThreadsTest : public GdbTest, public ::testing::WithParamInterface<bool> {
 protected:
  // 12 rounds of 16 tasks of fixed work, a snapshot every 0.2 s.
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped()) return;
    bool buffered = GetParam();
    if (buffered && !arch::HostArch().HasSyscallBuffer()) {
      GTEST_SKIP() << "no syscall buffer on " << arch::HostArch().name();
    }
    trace_ = NewPath("trace");
    rec_ = Rewind({"record", buffered ? "--syscallbuf" : "--no-syscallbuf",
                   "--snapshot-interval", "0.2", "-o", trace_, Program("mt_snap_workers"), "12",
                   "2000"});
    ASSERT_EQ(rec_.exit_status, 0) << rec_.Describe();
    ASSERT_TRUE(Contains(rec_.out, "reader got: DONE\n")) << rec_.Describe();
    info_ = Rewind({"info", trace_});
    ASSERT_EQ(info_.exit_status, 0) << info_.Describe();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(info_.out, m, std::regex("events +([0-9]+)"))) << info_.out;
    uint64_t events = std::stoull(m[1]);
    auto listed = trace::ListSnapshots(trace_);
    ASSERT_TRUE(listed.ok()) << listed.status().message();
    // The last snapshot with every thread alive, before the workers end.
    for (const trace::SnapshotListing& l : *listed) {
      ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
      if (l.threads == kThreads) snapshot_event_ = l.header->event;
    }
    ASSERT_GT(snapshot_event_, 0u)
        << "no snapshot while all " << kThreads << " threads ran\n" << info_.out;
    ASSERT_LT(snapshot_event_ + 8, events) << info_.out;
    target_ = snapshot_event_ + 8;
  }

  GdbTranscript Replay(const std::vector<std::string>& commands,
                       const std::vector<std::string>& replay_args) {
    GdbOptions options;
    options.replay_args = replay_args;
    return RunGdbOnReplay(trace_, Program("mt_snap_workers"), commands, options);
  }

  // Restored from the snapshot at snapshot_event_, never re-executed.
  void ExpectRestoredFromTheSnapshot(const std::string& stats) {
    EXPECT_TRUE(Contains(stats, "snapshots of the trace restored: 1")) << stats;
    EXPECT_TRUE(Contains(stats, "(0 from the start of history)")) << stats;
    EXPECT_TRUE(Contains(stats, "last from event " + std::to_string(snapshot_event_) + "\n"))
        << stats;
  }

  static void ExpectNoDivergence(const GdbTranscript& t) {
    EXPECT_FALSE(Contains(AllOutput(t), "is not used")) << t.Describe();
    EXPECT_FALSE(Contains(AllOutput(t), "diverge", true)) << t.Describe();
  }

  // `shown` has every line the recording printed from round `first` on
  // (gdb's own lines come in between).
  void ExpectRecordedOutputFrom(int first, const std::string& shown) const {
    size_t at = rec_.out.find("round " + std::to_string(first) + " ");
    if (at == std::string::npos) at = rec_.out.find("reader got: ");
    ASSERT_NE(at, std::string::npos) << rec_.out;
    std::string rest = rec_.out.substr(at);
    for (size_t end; (end = rest.find('\n')) != std::string::npos; rest.erase(0, end + 1)) {
      EXPECT_TRUE(Contains(shown, rest.substr(0, end + 1))) << rest.substr(0, end) << "\n" << shown;
    }
  }

  std::string trace_;
  RunResult rec_;
  RunResult info_;
  uint64_t snapshot_event_ = 0;
  uint64_t target_ = 0;
};

TEST_P(SnapshotThreadsTest, InfoShowsSnapshotsOfEveryThread) {
  // seq, event, process, threads.
  EXPECT_TRUE(AnyLineMatches(info_.out, "^  [0-9]+ +" + std::to_string(snapshot_event_) +
                                            " +[0-9]+ +" + std::to_string(kThreads) + " "))
      << info_.out;
}

TEST_P(SnapshotThreadsTest, GotoRestoresEveryThreadAsReExecutionHasThem) {
  std::vector<std::string> commands = {"monitor goto " + std::to_string(target_)};
  commands.insert(commands.end(), kValues.begin(), kValues.end());
  commands.insert(commands.end(), {"info threads", "monitor stats", "break round_end",
                                   "reverse-continue", "p round", "p rounds_done", "p heap_sum",
                                   "delete", "continue"});
  GdbTranscript reexecuted = Replay(commands, {"--no-snapshots"});
  GdbTranscript restored = Replay(commands, {});
  ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
  ExpectNoDivergence(restored);
  ExpectRestoredFromTheSnapshot(restored.Output(6));
  EXPECT_TRUE(Contains(reexecuted.Output(6), "snapshots of the trace restored: 0"))
      << reexecuted.Output(6);
  for (size_t i = 1; i < commands.size(); ++i) {
    if (commands[i] == "monitor stats") continue;
    EXPECT_EQ(GdbLines(restored.Output(i)), GdbLines(reexecuted.Output(i))) << commands[i];
  }
  // Every thread, the waiting ones included.
  for (uint32_t id = 1; id <= kThreads; ++id) {
    EXPECT_TRUE(AnyLineMatches(restored.Output(5), "^[ *] +" + std::to_string(id) + " +Thread "))
        << restored.Output(5);
  }
  EXPECT_TRUE(AnyLineMatches(restored.Output(8), "round_end")) << restored.Output(8);
  // Continued to the end: the rounds after the snapshot, the reader's read
  // of the pipe, the checksum, as recorded.
  std::optional<std::string> round = PrintedValue(restored.Output(9));
  ASSERT_TRUE(round.has_value()) << restored.Output(9);
  ExpectRecordedOutputFrom(std::stoi(*round) + 1, AllOutput(restored));
  EXPECT_TRUE(Contains(restored.Output(13), "exited normally")) << restored.Output(13);
}

TEST_P(SnapshotThreadsTest, ReplayGoStartsAtTheSnapshot) {
  std::vector<std::string> commands = kValues;
  commands.insert(commands.end(), {"info threads", "monitor stats"});
  GdbTranscript reexecuted =
      Replay(commands, {"--no-snapshots", "-g", std::to_string(target_)});
  GdbTranscript restored = Replay(commands, {"-g", std::to_string(target_)});
  ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
  ExpectNoDivergence(restored);
  ExpectRestoredFromTheSnapshot(restored.Output(5));
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(GdbLines(restored.Output(i)), GdbLines(reexecuted.Output(i))) << commands[i];
  }
}

// The reader waits in read() on the pipe at every snapshot; restored there,
// its read returns what the recording's did.
TEST_P(SnapshotThreadsTest, AThreadWaitingInReadFinishesItAsRecorded) {
  std::vector<std::string> commands = {"monitor goto " + std::to_string(target_),
                                       "break mt_snap_workers.c:82", "continue", "p n",
                                       "p reader_got", "p rounds_done", "monitor stats"};
  GdbTranscript restored = Replay(commands, {});
  ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
  ExpectNoDivergence(restored);
  EXPECT_TRUE(Contains(restored.Output(2), "Reader")) << restored.Output(2);
  EXPECT_EQ(PrintedValue(restored.Output(3)), std::optional<std::string>("4"))
      << restored.Output(3);
  EXPECT_TRUE(Contains(restored.Output(4), "\"DONE\"")) << restored.Output(4);
  EXPECT_EQ(PrintedValue(restored.Output(5)), std::optional<std::string>("12"))
      << restored.Output(5);
  ExpectRestoredFromTheSnapshot(restored.Output(6));
}

INSTANTIATE_TEST_SUITE_P(Buffer, SnapshotThreadsTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "SyscallBufferOn" : "SyscallBufferOff";
                         });

}  // namespace
}  // namespace rwd::e2e

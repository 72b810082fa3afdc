// User-directed checkpoints (issue 16): a program calling
// rewind_checkpoint("halfway") (include/rewind/checkpoint.h) is recorded
// with no snapshot interval and the syscall buffer off; the trace keeps a snapshot named "halfway",
// which `rewind info` and `rewind dump` show, and gdb's `monitor restart
// halfway`, `rewind replay -g halfway` and the console's `restart halfway`
// land there, restored from the snapshot, with the values the program had.
// Run natively, with or without the recorder's mark in the environment and
// under another tracer, the call does nothing the program can see.
#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/gdb_driver.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

constexpr char kRounds[] = "8";
constexpr char kBlocks[] = "2000";

// At the checkpoint (round 4 of 8 done): heap_sum = 4 * 7919 + the word
// round 4 wrote first (4 * 1000003 + 0); page 500 was written in round 4
// (pages 489..651, k = 11); page 700 is written only in round 5, so it
// still holds its fill byte (700 & 0xff = 0xbc) everywhere but word 0.
const std::vector<std::string> kValues = {
    "p rounds_done",
    "p heap_sum",
    "p after_checkpoint",
    "p/x *(unsigned long*)(heap + 4096 * 500 + 8)",
    "p/x *(unsigned long*)(heap + 4096 * 700 + 8)",
};
const std::vector<std::string> kExpected = {"4", "4031688", "0", "0x3d0917", "0xbcbcbcbcbcbcbcbc"};

class CheckpointTest : public GdbTest {
 protected:
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped()) return;
    // No snapshots of processes that buffer their syscalls (the default).
    rec_ = Record("snap_checkpoint", {kRounds, kBlocks}, SyscallBufferOff());
    ASSERT_EQ(rec_.exit_status, 0) << rec_.Describe();
    auto listed = trace::ListSnapshots(rec_.trace);
    ASSERT_TRUE(listed.ok()) << listed.status().message();
    for (const trace::SnapshotListing& l : *listed) {
      ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
      if (l.name == "halfway") halfway_event_ = l.header->event;
    }
    ASSERT_NE(halfway_event_, 0u) << "no snapshot named halfway\n" << rec_.Describe();
  }

  // The outputs of kValues start at command `first` of `t`.
  static void ExpectHalfwayValues(const GdbTranscript& t, size_t first) {
    for (size_t i = 0; i < kValues.size(); ++i) {
      EXPECT_EQ(PrintedValue(t.Output(first + i)).value_or("(none)"), kExpected[i])
          << kValues[i] << "\n"
          << t.Describe();
    }
  }

  Recording rec_;
  uint64_t halfway_event_ = 0;
};

TEST_F(CheckpointTest, RecordingKeepsTheNamedSnapshotAndTheOutput) {
  RunResult native = RunNative(Program("snap_checkpoint"), {kRounds, kBlocks});
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_TRUE(SameBytes(native.out, rec_.out));
  EXPECT_TRUE(Contains(rec_.out, "checkpoint returned, errno kept")) << rec_.out;
  // The named snapshot, and the default interval's (1 s) after it: one on
  // an idle machine, more where load makes the recording longer.
  auto listed = trace::ListSnapshots(rec_.trace);
  ASSERT_TRUE(listed.ok());
  ASSERT_GE(listed->size(), 2u);
  EXPECT_EQ(std::count_if(listed->begin(), listed->end(),
                          [](const trace::SnapshotListing& l) { return l.name == "halfway"; }),
            1);
  EXPECT_EQ(listed->back().name, "");
  EXPECT_GT(listed->back().header->event, halfway_event_);

  RunResult info = Rewind({"info", rec_.trace});
  ASSERT_EQ(info.exit_status, 0) << info.Describe();
  EXPECT_TRUE(
      AnyLineMatches(info.out, "^  [0-9]+ +" + std::to_string(halfway_event_) + " .* halfway$"))
      << info.out;
  RunResult dump = Dump(rec_.trace);
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  // Just before the event it precedes.
  EXPECT_TRUE(std::regex_search(
      dump.out, std::regex("named 'halfway'\n#" + std::to_string(halfway_event_) + " ")))
      << dump.out;
  ExpectReplaysIdentically(rec_, 1);
}

TEST_F(CheckpointTest, MonitorRestartLandsAtTheCheckpoint) {
  std::vector<std::string> commands = {"monitor checkpoints", "monitor restart halfway"};
  commands.insert(commands.end(), kValues.begin(), kValues.end());
  commands.insert(commands.end(), {"monitor stats", "continue"});
  GdbTranscript t = RunGdbOnReplay(rec_.trace, Program("snap_checkpoint"), commands);
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_TRUE(AnyLineMatches(
      t.Output(0), "^-\tevent " + std::to_string(halfway_event_) + "\trecorded\thalfway$"))
      << t.Output(0);
  EXPECT_TRUE(Contains(t.Output(1), "Current event: " + std::to_string(halfway_event_)))
      << t.Output(1);
  ExpectHalfwayValues(t, 2);
  const std::string& stats = t.Output(2 + kValues.size());
  // Restored from the snapshot, not re-executed from the start.
  EXPECT_TRUE(Contains(stats, "snapshots of the trace restored: 1")) << stats;
  EXPECT_TRUE(Contains(stats, "last from event " + std::to_string(halfway_event_))) << stats;
  // The rest of the run from there.
  EXPECT_TRUE(Contains(t.run.out, "round 8 heap_sum")) << t.Describe();
  EXPECT_TRUE(Contains(t.Output(3 + kValues.size()), "exited normally"))
      << t.Output(3 + kValues.size());

  // The same point by re-execution, snapshots unused.
  GdbOptions options;
  options.replay_args = {"--no-snapshots"};
  GdbTranscript reexecuted =
      RunGdbOnReplay(rec_.trace, Program("snap_checkpoint"), commands, options);
  ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  ExpectHalfwayValues(reexecuted, 2);
  EXPECT_TRUE(
      Contains(reexecuted.Output(2 + kValues.size()), "snapshots of the trace restored: 0"));
}

TEST_F(CheckpointTest, ReplayGoStartsAtTheCheckpoint) {
  std::vector<std::string> commands = kValues;
  commands.push_back("monitor stats");
  GdbOptions options;
  options.replay_args = {"-g", "halfway"};
  GdbTranscript t = RunGdbOnReplay(rec_.trace, Program("snap_checkpoint"), commands, options);
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  ExpectHalfwayValues(t, 0);
  EXPECT_TRUE(Contains(t.Output(kValues.size()), "snapshots of the trace restored: 1"))
      << t.Output(kValues.size());

  RunResult unknown = Rewind({"replay", "-g", "nowhere", rec_.trace});
  EXPECT_NE(unknown.exit_status, 0) << unknown.Describe();
  EXPECT_TRUE(Contains(unknown.err, "no checkpoint 'nowhere'")) << unknown.err;
  EXPECT_TRUE(Contains(unknown.err, "the program named: halfway")) << unknown.err;
}

TEST_F(CheckpointTest, ConsoleRestartLandsAtTheCheckpoint) {
  RunOptions options;
  options.stdin_data = "restart halfway\nprint rounds_done\nprint heap_sum\nquit\n";
  options.timeout = std::chrono::seconds(240);
  RunResult r = Rewind({"debug", rec_.trace}, options);
  ASSERT_EQ(r.exit_status, 0) << r.Describe() << r.out;
  EXPECT_TRUE(Contains(r.out, "Current event: " + std::to_string(halfway_event_))) << r.out;
  EXPECT_TRUE(AnyLineMatches(r.out, "^rounds_done = 4( |$)")) << r.out;
  EXPECT_TRUE(AnyLineMatches(r.out, "^heap_sum = 4031688 ")) << r.out;
}

TEST_F(CheckpointTest, NativeCallsAreHarmlessAndCheap) {
  std::vector<std::string> args = {kRounds, "20"};
  RunResult plain = RunNative(Program("snap_checkpoint"), args);
  ASSERT_EQ(plain.exit_status, 0) << plain.Describe();
  EXPECT_TRUE(Contains(plain.out, "checkpoint returned, errno kept\n")) << plain.out;
  EXPECT_TRUE(Contains(plain.out, "done\n")) << plain.out;
  // With the recorder's mark but no recorder the syscall is made: the
  // kernel refuses it and the program goes on unchanged.
  RunOptions marked;
  marked.env = {"REWIND_RECORDING=1"};
  RunResult syscalled = RunNative(Program("snap_checkpoint"), args, marked);
  ASSERT_EQ(syscalled.exit_status, 0) << syscalled.Describe();
  EXPECT_TRUE(SameBytes(plain.out, syscalled.out));
  // ... and so under another tracer.
  GdbOptions under_gdb;
  under_gdb.setup = {"run " + args[0] + " " + args[1]};
  under_gdb.env = {"REWIND_RECORDING=1"};
  GdbTranscript gdb = RunGdbNative(Program("snap_checkpoint"), {"info inferiors"}, under_gdb);
  EXPECT_TRUE(Contains(gdb.preamble, "exited normally")) << gdb.Describe();
  EXPECT_TRUE(Contains(gdb.run.out, "checkpoint returned, errno kept")) << gdb.Describe();

  // Unrecorded, a call is a load and a branch: allow far more.
  RunResult calls = RunNative(Program("snap_checkpoint"), {"calls", "10000000"});
  ASSERT_EQ(calls.exit_status, 0) << calls.Describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(calls.out, m, std::regex("([0-9.]+) ns per call"))) << calls.out;
  printf("rewind_checkpoint unrecorded: %s ns per call\n", m[1].str().c_str());
  EXPECT_LT(std::stod(m[1]), 50.0) << calls.out;
}

}  // namespace
}  // namespace rwd::e2e

// Snapshots of programs that keep memory from their forks (issue 16):
// MADV_DONTFORK, as V8 does for its code range, and MADV_WIPEONFORK. A
// snapshot is a fork of the recorded process, so the recorder lends that
// memory to its copy (MADV_DOFORK, MADV_KEEPONFORK) and gives the advice
// back; the snapshot keeps the ranges. Replay restored from such a
// snapshot (`rewind replay -g`, `monitor goto`) shows the ranges' contents
// as re-execution does, and goes on emulating the advice at the program's
// own fork. node, where present, is snapshotted too and restored as
// re-execution has it.
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/gdb_driver.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

std::string AllOutput(const GdbTranscript& t) { return t.run.out + t.run.err; }

// What gdb showed, without rewind's progress notes.
std::string GdbLines(const std::string& output) {
  std::string kept;
  for (const std::string& line : Lines(output)) {
    if (line.rfind("rewind: ", 0) != 0) kept += line + "\n";
  }
  return kept;
}

uint64_t EventCount(const std::string& info) {
  std::smatch m;
  if (!std::regex_search(info, m, std::regex("events +([0-9]+)"))) return 0;
  return std::stoull(m[1]);
}

void ExpectNoDivergence(const GdbTranscript& t) {
  EXPECT_FALSE(Contains(AllOutput(t), "is not used")) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "diverge", true)) << t.Describe();
}

class SnapshotForkAdviceTest : public GdbTest {
 protected:
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped()) return;
    rec_ = Record("fork_advice_snap");
    ASSERT_EQ(rec_.exit_status, 0) << rec_.Describe();
    RunResult native = RunNative(Program("fork_advice_snap"));
    ASSERT_EQ(native.exit_status, 0) << native.Describe();
    ASSERT_TRUE(SameBytes(native.out, rec_.out));
    ASSERT_TRUE(Contains(rec_.out, "child: keep absent, wipe 0\n")) << rec_.Describe();
    auto listed = trace::ListSnapshots(rec_.trace);
    ASSERT_TRUE(listed.ok()) << listed.status().message();
    for (const trace::SnapshotListing& l : *listed) {
      ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
      if (l.name != "advised") continue;
      snapshot_event_ = l.header->event;
      // The format that keeps the advice.
      EXPECT_EQ(l.header->version, 4u);
    }
    RunResult info = Rewind({"info", rec_.trace});
    ASSERT_NE(snapshot_event_, 0u) << "no snapshot named advised\n" << info.out << rec_.err;
    events_ = EventCount(info.out);
    ASSERT_GT(events_, snapshot_event_ + 2) << info.out;
  }

  GdbTranscript Replay(const std::vector<std::string>& commands,
                       const std::vector<std::string>& replay_args) {
    GdbOptions options;
    options.replay_args = replay_args;
    return RunGdbOnReplay(rec_.trace, Program("fork_advice_snap"), commands, options);
  }

  // `commands` from the snapshot and re-executed give the same values;
  // `stats` is the index of `monitor stats`.
  void ExpectSameAsReExecution(const std::vector<std::string>& commands,
                               const std::vector<std::string>& goto_args, size_t stats) {
    std::vector<std::string> plain = goto_args;
    plain.push_back("--no-snapshots");
    GdbTranscript reexecuted = Replay(commands, plain);
    GdbTranscript restored = Replay(commands, goto_args);
    ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
    ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
    ExpectNoDivergence(restored);
    EXPECT_TRUE(Contains(restored.Output(stats), "snapshots of the trace restored: 1"))
        << restored.Output(stats);
    EXPECT_TRUE(Contains(restored.Output(stats), "(0 from the start of history)"))
        << restored.Output(stats);
    EXPECT_TRUE(Contains(reexecuted.Output(stats), "snapshots of the trace restored: 0"))
        << reexecuted.Output(stats);
    for (size_t i = 0; i < commands.size(); ++i) {
      // goto's own line says how many buffered syscalls follow the event,
      // which a restored replay does not count (as in snapshot_threads_test).
      if (i == stats || commands[i].rfind("monitor goto", 0) == 0) continue;
      EXPECT_EQ(GdbLines(restored.Output(i)), GdbLines(reexecuted.Output(i))) << commands[i];
    }
    // The values the program had after round 2, every page of both ranges.
    for (const auto& [i, value] :
         std::vector<std::pair<size_t, std::string>>{{first_value_, "3"},
                                                     {first_value_ + 1, "1000"},
                                                     {first_value_ + 2, "1001"},
                                                     {first_value_ + 3, "1002"},
                                                     {first_value_ + 4, "0"},
                                                     {first_value_ + 5, "6"}}) {
      EXPECT_EQ(PrintedValue(restored.Output(i)).value_or("(none)"), value) << commands[i] << "\n"
                                                                            << restored.Describe();
    }
    // On to the end: the child still lacks the kept-back pages and finds
    // the wiped one zero, as recorded.
    EXPECT_TRUE(Contains(AllOutput(restored), "child: keep absent, wipe 0")) << restored.Describe();
    EXPECT_TRUE(Contains(AllOutput(restored), "parent: keep 1005 wipe 21")) << restored.Describe();
  }

  static std::vector<std::string> Values() {
    return {"p rounds_done", "p keep[0]",    "p keep[400]",
            "p keep[800]",   "p keep[1200]", "p wipe[0]"};
  }

  Recording rec_;
  uint64_t snapshot_event_ = 0;
  uint64_t events_ = 0;
  size_t first_value_ = 0;
};

TEST_F(SnapshotForkAdviceTest, ReplayGoFromTheSnapshotShowsTheAdvisedMemory) {
  std::vector<std::string> commands = Values();
  commands.insert(commands.end(), {"monitor stats", "continue"});
  first_value_ = 0;
  ExpectSameAsReExecution(commands, {"-g", std::to_string(snapshot_event_)}, 6);
}

TEST_F(SnapshotForkAdviceTest, MonitorGotoFromTheSnapshotShowsTheAdvisedMemory) {
  std::vector<std::string> commands = {"monitor goto " + std::to_string(snapshot_event_)};
  commands.insert(commands.end(), {"p rounds_done", "p keep[0]", "p keep[400]", "p keep[800]",
                                   "p keep[1200]", "p wipe[0]", "monitor stats", "continue"});
  first_value_ = 1;
  ExpectSameAsReExecution(commands, {}, 7);
}

// node's V8 keeps its code range from forks: its recording gets snapshots
// after V8 starts, and a goto from one is where re-execution goes.
TEST_F(GdbTest, NodeIsSnapshottedAndRestoredAsReExecutionHasIt) {
  const std::string node = "/usr/bin/node";
  if (access(node.c_str(), X_OK) != 0) GTEST_SKIP() << node << " is not installed here";
  std::string script = NewPath("sum.js");
  {
    std::ofstream out(script);
    out << "let a = [];\n"
           "for (let i = 0; i < 200; i++) a.push(i * 3);\n"
           "let s = 0;\n"
           "for (let r = 0; r < 3000; r++) for (const x of a) s += x % 7;\n"
           "console.log('sum', s);\n";
  }
  std::string trace = NewPath("trace");
  RunResult rec =
      Rewind({"record", "-v", "--snapshot-interval", "0.05", "-o", trace, node, script});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "sum 1797000\n")) << rec.Describe();
  EXPECT_FALSE(Contains(rec.err, "keeps memory from its forks")) << rec.err;
  auto listed = trace::ListSnapshots(trace);
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  // The first snapshot taken once V8 advised its code range.
  uint64_t advised_event = 0;
  for (const trace::SnapshotListing& l : *listed) {
    ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
    if (l.header->version == 4 && advised_event == 0) advised_event = l.header->event;
  }
  RunResult info = Rewind({"info", trace});
  ASSERT_NE(advised_event, 0u) << "no snapshot with fork advice\n" << info.out << rec.err;
  uint64_t events = EventCount(info.out);
  ASSERT_GT(events, advised_event + 1) << info.out;
  std::vector<std::string> commands = {"monitor goto " + std::to_string(advised_event + 1),
                                       "p/x $pc",
                                       "p/x $sp",
                                       "x/4gx $sp",
                                       "info threads",
                                       "monitor stats",
                                       "continue"};
  GdbOptions options;
  options.timeout = std::chrono::seconds(180);
  options.replay_args = {"--no-snapshots"};
  GdbTranscript reexecuted = RunGdbOnReplay(trace, node, commands, options);
  options.replay_args = {};
  GdbTranscript restored = RunGdbOnReplay(trace, node, commands, options);
  ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
  ExpectNoDivergence(restored);
  EXPECT_TRUE(Contains(restored.Output(5), "snapshots of the trace restored: 1"))
      << restored.Output(5);
  EXPECT_TRUE(Contains(reexecuted.Output(5), "snapshots of the trace restored: 0"))
      << reexecuted.Output(5);
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(GdbLines(restored.Output(i)), GdbLines(reexecuted.Output(i))) << commands[i];
  }
  // On to the end of the recording (the script's output may come before
  // the snapshot on a loaded machine).
  EXPECT_TRUE(Contains(restored.Output(6), "exited normally")) << restored.Describe();
}

}  // namespace
}  // namespace rwd::e2e

// Snapshots of several processes (issue 16): while a child works and its
// parent waits for it in waitpid, the recorder keeps a snapshot of each at
// the same event, and replay restores both to reach an event of either,
// instead of re-executing from the start. The values are the re-executed
// ones, and reverse execution works from there.
#include <algorithm>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/gdb_driver.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

std::string AllOutput(const GdbTranscript& t) { return t.run.out + t.run.err; }

// `output` without rewind's progress lines, which only re-execution prints.
std::string WithoutProgress(const std::string& output) {
  std::string kept;
  for (const std::string& l : Lines(output)) {
    if (l.rfind("rewind: ", 0) != 0) kept += l + "\n";
  }
  return kept;
}

// The number of the last event of `dump` matching `pattern` (after "#N ").
uint64_t LastEvent(const std::string& dump, const std::string& pattern) {
  uint64_t last = 0;
  std::regex line("^#([0-9]+) " + pattern);
  for (const std::string& l : Lines(dump)) {
    std::smatch m;
    if (std::regex_search(l, m, line)) last = std::stoull(m[1]);
  }
  return last;
}

class SnapshotProcessesTest : public GdbTest {
 protected:
  // mp_snap_child: 12 rounds of fixed work in the child (~0.1 s each on an
  // idle machine) while the parent waits; a snapshot every 0.05 s.
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped()) return;
    trace_ = NewPath("trace");
    RunResult r = Rewind({"record", "--snapshot-interval", "0.05", "-o", trace_,
                          Program("mp_snap_child"), "12", "250"});
    ASSERT_EQ(r.exit_status, 0) << r.Describe();
    ASSERT_TRUE(Contains(r.out, "child: round 12 sum")) << r.Describe();
    // The sets of two processes, and who is who.
    auto listed = trace::ListSnapshots(trace_);
    ASSERT_TRUE(listed.ok()) << listed.status().message();
    trace::SnapshotLibrary library(trace_);
    for (const trace::SnapshotListing& l : *listed) {
      ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
      if (l.processes != 2) continue;
      auto loaded = library.Load(l.header->seq);
      ASSERT_TRUE(loaded.ok()) << loaded.status().message();
      const trace::Snapshot& snap = (*loaded)->snapshot;
      if (snap.parent_pid != 0) {
        child_ = std::to_string(snap.pid);
        parent_ = std::to_string(snap.parent_pid);
        ASSERT_EQ(snap.threads.size(), 1u);
        EXPECT_FALSE(snap.threads[0].parked);  // it was working
      } else {
        ASSERT_EQ(snap.threads.size(), 1u);
        // In waitpid, unless the set came before the parent got there
        // (sets are taken while several processes compute, too).
        parent_parked_[l.header->event] = snap.threads[0].parked;
      }
      set_events_.push_back(l.header->event);
    }
    ASSERT_FALSE(child_.empty()) << "no snapshot was taken while both processes ran";
    RunResult dump = Rewind({"dump", trace_});
    ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
    // After the child's last output but one, and after the parent's wait.
    child_target_ = LastEvent(dump.out, "tid " + child_ + " syscall write\\(");
    parent_target_ = LastEvent(dump.out, "tid " + parent_ + " syscall wait4\\(.*= " + child_) + 1;
    ASSERT_GT(child_target_, 0u) << dump.out;
    ASSERT_GT(parent_target_, child_target_) << dump.out;
    latest_set_ = 0;
    for (uint64_t e : set_events_) {
      if (e <= child_target_) latest_set_ = std::max(latest_set_, e);
    }
    ASSERT_GT(latest_set_, set_events_.front()) << "want a set late in the child's work";
    EXPECT_TRUE(parent_parked_[latest_set_]) << "the parent was not in waitpid late in the child's work";
  }

  GdbTranscript Replay(const std::vector<std::string>& args,
                       const std::vector<std::string>& commands) {
    GdbOptions options;
    options.timeout = std::chrono::seconds(120);
    options.replay_args = args;
    return RunGdbOnReplay(trace_, Program("mp_snap_child"), commands, options);
  }

  static void ExpectSameValues(const std::vector<std::string>& commands, const GdbTranscript& a,
                               const GdbTranscript& b) {
    for (size_t i = 0; i < commands.size(); ++i) {
      if (commands[i].rfind("p ", 0) != 0 && commands[i] != "reverse-continue" &&
          commands[i] != "next") {
        continue;
      }
      EXPECT_EQ(a.Output(i), b.Output(i)) << commands[i];
    }
  }

  std::string trace_;
  std::string parent_, child_;
  std::vector<uint64_t> set_events_;
  std::map<uint64_t, bool> parent_parked_;  // by set event
  uint64_t child_target_ = 0;
  uint64_t parent_target_ = 0;
  uint64_t latest_set_ = 0;  // the last set at or before child_target_
};

TEST_F(SnapshotProcessesTest, GotoALateEventOfTheChildRestoresBothProcesses) {
  const std::vector<std::string> commands = {
      "p rounds_done",     // 0
      "p child_sum",       // 1
      "monitor stats",     // 2
      "break round_end",   // 3
      "reverse-continue",  // 4
      "p round",           // 5
      "p rounds_done",     // 6
      "p child_sum",       // 7
      "monitor stats",     // 8
  };
  std::vector<std::string> at = {"-f", child_, "-g", std::to_string(child_target_)};
  std::vector<std::string> reexecuting = at;
  reexecuting.insert(reexecuting.begin(), "--no-snapshots");
  GdbTranscript expected = Replay(reexecuting, commands);
  ASSERT_EQ(expected.run.exit_status, 0) << expected.Describe();
  GdbTranscript t = Replay(at, commands);
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "is not used")) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "diverge", true)) << t.Describe();
  ExpectSameValues(commands, t, expected);
  // Late in the child's work, with its own values.
  EXPECT_TRUE(AnyLineMatches(t.Output(0), "^\\$1 = 1[0-2]$")) << t.Output(0);
  EXPECT_TRUE(AnyLineMatches(t.Output(4), "round_end \\(round=1[0-2]\\)")) << t.Output(4);
  // Reached from the set, never from the start.
  EXPECT_TRUE(Contains(t.Output(2), "snapshots of the trace restored: 1")) << t.Output(2);
  EXPECT_TRUE(Contains(t.Output(2), "(0 from the start of history), last from event " +
                                        std::to_string(latest_set_) + "\n"))
      << t.Output(2);
  EXPECT_TRUE(Contains(t.Output(8), "(0 from the start of history)")) << t.Output(8);
  EXPECT_TRUE(Contains(expected.Output(2), "snapshots of the trace restored: 0"))
      << expected.Output(2);
}

TEST_F(SnapshotProcessesTest, GotoTheParentAfterItsWaitRestoresItFromInsideWaitpid) {
  const std::vector<std::string> commands = {
      "p parent_value",  // 0
      "p child_sum",     // 1
      "monitor stats",   // 2
      "next",            // 3
      "next",            // 4
      "p parent_value",  // 5
  };
  std::vector<std::string> at = {"-g", std::to_string(parent_target_)};
  GdbTranscript expected =
      Replay({"--no-snapshots", "-g", std::to_string(parent_target_)}, commands);
  ASSERT_EQ(expected.run.exit_status, 0) << expected.Describe();
  GdbTranscript t = Replay(at, commands);
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "is not used")) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "diverge", true)) << t.Describe();
  ExpectSameValues(commands, t, expected);
  EXPECT_TRUE(AnyLineMatches(t.Output(0), "^\\$1 = 22$")) << t.Output(0);
  EXPECT_TRUE(AnyLineMatches(t.Output(1), "^\\$2 = 0$")) << t.Output(1);  // the child's only
  EXPECT_TRUE(Contains(t.Output(2), "snapshots of the trace restored: 1")) << t.Output(2);
  EXPECT_TRUE(Contains(t.Output(2), "(0 from the start of history)")) << t.Output(2);
}

// A shell waiting for the program it started (`sh -c PROG`, a test runner's
// child, make's recipe): the processes of a set run different programs.
// Replay builds the shell from the replay of its exec and each other process
// as a copy of it that runs its own program's exec again, of the trace's
// copies, before it becomes its snapshot's image.
class SnapshotProgramsTest : public GdbTest {
 protected:
  // The latest snapshot set of `processes` processes at or before `upto`
  // (0: none).
  static uint64_t LatestSet(const std::string& trace, uint32_t processes, uint64_t upto) {
    auto listed = trace::ListSnapshots(trace);
    EXPECT_TRUE(listed.ok()) << listed.status().message();
    uint64_t latest = 0;
    if (!listed.ok()) return 0;
    for (const trace::SnapshotListing& l : *listed) {
      EXPECT_TRUE(l.header.ok()) << l.path;
      if (!l.header.ok() || l.processes != processes || l.header->event > upto) continue;
      latest = std::max(latest, l.header->event);
    }
    return latest;
  }

  // The pid `rewind ps` lists in row `row` (1: the first process).
  std::string PsPid(const std::string& trace, size_t row) {
    RunResult ps = Rewind({"ps", trace});
    EXPECT_EQ(ps.exit_status, 0) << ps.Describe();
    std::vector<std::string> rows = Lines(ps.out);
    if (rows.size() <= row) {
      ADD_FAILURE() << ps.out;
      return "";
    }
    return rows[row].substr(0, rows[row].find(' '));
  }
};

TEST_F(SnapshotProgramsTest, GotoIntoTheChildOfAShellsProgramRestoresTheSetOfBoth) {
  std::string trace = NewPath("trace");
  RunResult r = Rewind({"record", "-v", "--snapshot-interval", "0.05", "-o", trace, "/bin/sh", "-c",
                        Program("mp_snap_child") + " 6 250; echo shell-done"});
  ASSERT_EQ(r.exit_status, 0) << r.Describe();
  // Every set could be taken, but while the syscall buffer library (on by
  // default) sets up after each exec: replay keeps the debugger's
  // breakpoints out of libc then, which a snapshot would not restore; and
  // at a boundary where another process has a stop the recorder has not
  // handled yet (it came while that process was not scheduled, more often
  // on a loaded machine): the set waits for a later boundary. The sets
  // this test needs are checked below.
  for (const std::string& line : Lines(r.err)) {
    EXPECT_FALSE(Contains(line, "no snapshots while") && !Contains(line, "library sets up") &&
                 !Contains(line, "another process is stopped"))
        << r.Describe();
  }
  // A header, the shell, the program, its child.
  std::string child = PsPid(trace, 3);
  ASSERT_FALSE(child.empty());
  RunResult dump = Rewind({"dump", trace});
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  uint64_t target = LastEvent(dump.out, "tid " + child + " syscall write\\(");
  ASSERT_GT(target, 0u) << dump.out;
  uint64_t set = LatestSet(trace, 3, target);
  ASSERT_GT(set, 0u) << "no set of the shell, the program and its child";
  const std::vector<std::string> commands = {"p rounds_done",   "p child_sum",      "monitor stats",
                                             "break round_end", "reverse-continue", "p round"};
  GdbOptions options;
  options.timeout = std::chrono::seconds(120);
  options.replay_args = {"--no-snapshots", "-f", child, "-g", std::to_string(target)};
  GdbTranscript expected = RunGdbOnReplay(trace, Program("mp_snap_child"), commands, options);
  ASSERT_EQ(expected.run.exit_status, 0) << expected.Describe();
  options.replay_args.erase(options.replay_args.begin());
  GdbTranscript t = RunGdbOnReplay(trace, Program("mp_snap_child"), commands, options);
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "is not used")) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "diverge", true)) << t.Describe();
  EXPECT_TRUE(AnyLineMatches(t.Output(0), "^\\$1 = 5$")) << t.Output(0);
  for (size_t i : {0, 1, 4, 5}) {
    EXPECT_EQ(WithoutProgress(t.Output(i)), WithoutProgress(expected.Output(i))) << commands[i];
  }
  EXPECT_TRUE(Contains(t.Output(2), "snapshots of the trace restored: 1")) << t.Output(2);
  EXPECT_TRUE(Contains(
      t.Output(2), "(0 from the start of history), last from event " + std::to_string(set) + "\n"))
      << t.Output(2);
  EXPECT_TRUE(Contains(expected.Output(2), "snapshots of the trace restored: 0"))
      << expected.Output(2);
}

// `sh -c 'snap_heap ...; echo done'`: gdb's `monitor goto` to the program's
// last round reaches it from a set of the shell and the program, with the
// heap's recorded values, and reverse execution goes on from there.
TEST_F(SnapshotProgramsTest, MonitorGotoIntoAShellsLongProgramRestoresItsHeap) {
  std::string trace = NewPath("trace");
  RunResult r = Rewind({"record", "--snapshot-interval", "0.2", "-o", trace, "/bin/sh", "-c",
                        Program("snap_heap") + " 10 0 5000; echo shell-done"});
  ASSERT_EQ(r.exit_status, 0) << r.Describe();
  ASSERT_TRUE(Contains(r.out, "round 10 heap_sum")) << r.Describe();
  std::string program = PsPid(trace, 2);
  ASSERT_FALSE(program.empty());
  RunResult dump = Rewind({"dump", trace});
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  uint64_t target = LastEvent(dump.out, "tid " + program + " syscall write\\(");
  ASSERT_GT(target, 0u) << dump.out;
  uint64_t set = LatestSet(trace, 2, target);
  ASSERT_GT(set, 0u) << "no set of the shell and its program";
  const std::vector<std::string> commands = {
      "monitor goto " + std::to_string(target),        // 0
      "file " + Program("snap_heap"),                  // 1: gdb began with the shell
      "p rounds_done",                                 // 2
      "p heap_sum",                                    // 3
      "p *(unsigned long*)(heap + 4096 * 100 + 8)",    // 4
      "p *(unsigned long*)(heap + 4096 * 16300 + 8)",  // 5
      "monitor stats",                                 // 6
      "break round_end",                               // 7
      "reverse-continue",                              // 8
      "p round",                                       // 9
      "p heap_sum",                                    // 10
  };
  GdbOptions options;
  options.timeout = std::chrono::seconds(120);
  options.replay_args = {"--no-snapshots", "-f", program};
  GdbTranscript expected = RunGdbOnReplay(trace, Program("snap_heap"), commands, options);
  ASSERT_EQ(expected.run.exit_status, 0) << expected.Describe();
  options.replay_args.erase(options.replay_args.begin());
  GdbTranscript t = RunGdbOnReplay(trace, Program("snap_heap"), commands, options);
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "is not used")) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "diverge", true)) << t.Describe();
  EXPECT_TRUE(AnyLineMatches(t.Output(2), "^\\$1 = 8$")) << t.Output(2);
  EXPECT_TRUE(AnyLineMatches(t.Output(8), "round_end \\(round=8\\)")) << t.Output(8);
  for (size_t i : {2, 3, 4, 5, 8, 9, 10}) {
    EXPECT_EQ(WithoutProgress(t.Output(i)), WithoutProgress(expected.Output(i))) << commands[i];
  }
  EXPECT_TRUE(Contains(t.Output(6), "snapshots of the trace restored: 1")) << t.Output(6);
  EXPECT_TRUE(Contains(
      t.Output(6), "(0 from the start of history), last from event " + std::to_string(set) + "\n"))
      << t.Output(6);
  EXPECT_TRUE(Contains(expected.Output(6), "snapshots of the trace restored: 0"))
      << expected.Output(6);
}

// Two programs computing at once (`make -j2`'s recipes, `a & b`): the
// recorder runs one at a time, and the one it switched away from is kept
// where it stopped, with all its registers, instead of refusing the set.
TEST_F(SnapshotProgramsTest, GotoIntoOneOfTwoComputingProgramsRestoresBoth) {
  std::string trace = NewPath("trace");
  std::string heap = Program("snap_heap") + " 8 0 3000";
  RunResult r = Rewind({"record", "-v", "--snapshot-interval", "0.1", "-o", trace, "/bin/sh", "-c",
                        heap + " & " + heap + "; wait"});
  ASSERT_EQ(r.exit_status, 0) << r.Describe();
  // A set with both programs computing: neither waits in a syscall.
  auto listed = trace::ListSnapshots(trace);
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  trace::SnapshotLibrary library(trace);
  bool both_computing = false;
  for (const trace::SnapshotListing& l : *listed) {
    ASSERT_TRUE(l.header.ok()) << l.path;
    if (l.processes != 3 || l.header->event == 0) continue;
    int computing = 0;
    for (const trace::SnapshotListing& m : *listed) {
      if (!m.header.ok() || m.header->event != l.header->event) continue;
      auto loaded = library.Load(m.header->seq);
      ASSERT_TRUE(loaded.ok()) << loaded.status().message();
      const trace::Snapshot& snap = (*loaded)->snapshot;
      ASSERT_EQ(snap.threads.size(), 1u);
      if (!snap.threads[0].parked) ++computing;
    }
    both_computing = both_computing || computing == 2;
  }
  EXPECT_TRUE(both_computing) << "no set was taken while both programs computed";
  std::string first = PsPid(trace, 2);
  ASSERT_FALSE(first.empty());
  RunResult dump = Rewind({"dump", trace});
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  uint64_t target = LastEvent(dump.out, "tid " + first + " syscall write\\(");
  ASSERT_GT(target, 0u) << dump.out;
  ASSERT_GT(LatestSet(trace, 3, target), 0u) << "no set of the shell and both programs";
  // The other program may have ended before the target.
  uint64_t set = std::max(LatestSet(trace, 3, target), LatestSet(trace, 2, target));
  // No reverse execution: in a trace of two computing processes it fails
  // from the start of history too (gdb is told of a SIGTRAP in the other
  // process, as a thread of this one).
  const std::vector<std::string> commands = {
      "p rounds_done", "p heap_sum",      "p *(unsigned long*)(heap + 4096 * 100 + 8)",
      "monitor stats", "break round_end", "continue",
      "p round"};
  GdbOptions options;
  options.timeout = std::chrono::seconds(120);
  options.replay_args = {"--no-snapshots", "-f", first, "-g", std::to_string(target)};
  GdbTranscript expected = RunGdbOnReplay(trace, Program("snap_heap"), commands, options);
  ASSERT_EQ(expected.run.exit_status, 0) << expected.Describe();
  options.replay_args.erase(options.replay_args.begin());
  GdbTranscript t = RunGdbOnReplay(trace, Program("snap_heap"), commands, options);
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "is not used")) << t.Describe();
  EXPECT_FALSE(Contains(AllOutput(t), "diverge", true)) << t.Describe();
  EXPECT_TRUE(AnyLineMatches(t.Output(0), "^\\$1 = [67]$")) << t.Output(0);
  EXPECT_TRUE(AnyLineMatches(t.Output(5), "round_end \\(round=[78]\\)")) << t.Output(5);
  for (size_t i : {0, 1, 2, 5, 6}) {
    EXPECT_EQ(WithoutProgress(t.Output(i)), WithoutProgress(expected.Output(i))) << commands[i];
  }
  EXPECT_TRUE(Contains(t.Output(3), "snapshots of the trace restored: 1")) << t.Output(3);
  EXPECT_TRUE(Contains(
      t.Output(3), "(0 from the start of history), last from event " + std::to_string(set) + "\n"))
      << t.Output(3);
}

}  // namespace
}  // namespace rwd::e2e

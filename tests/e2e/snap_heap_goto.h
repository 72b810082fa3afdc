// The check the snapshot tests of snap_heap share (issue 16): a replay that
// goes to an event from a snapshot shows what re-executing from the start
// shows there.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {

// snap_heap's rounds, heap sum and two heap words.
inline const std::vector<std::string> kSnapHeapValues = {
    "p rounds_done",
    "p heap_sum",
    "p *(unsigned long*)(heap + 4096 * 100 + 8)",
    "p *(unsigned long*)(heap + 4096 * 16300 + 8)",
};

// gdb on `rewind replay -g EVENT TRACE` of snap_heap (`program`) twice,
// re-executing (--no-snapshots) and from a snapshot, each printing
// kSnapHeapValues then `monitor stats`: expects no snapshot restored and one,
// no divergence, and the same values. Returns the run from the snapshot.
inline GdbTranscript ExpectGoFromASnapshotShowsTheReExecutedValues(const std::string& trace,
                                                                  const std::string& program,
                                                                  uint64_t event) {
  std::vector<std::string> commands = kSnapHeapValues;
  commands.push_back("monitor stats");
  const size_t stats = kSnapHeapValues.size();
  GdbOptions reexecuting;
  reexecuting.replay_args = {"--no-snapshots", "-g", std::to_string(event)};
  reexecuting.timeout = std::chrono::seconds(180);
  GdbOptions restoring = reexecuting;
  restoring.replay_args = {"-g", std::to_string(event)};
  GdbTranscript reexecuted = RunGdbOnReplay(trace, program, commands, reexecuting);
  GdbTranscript restored = RunGdbOnReplay(trace, program, commands, restoring);
  EXPECT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  EXPECT_EQ(restored.run.exit_status, 0) << restored.Describe();
  const std::string all = restored.run.out + restored.run.err;
  EXPECT_FALSE(Contains(all, "is not used")) << restored.Describe();
  EXPECT_FALSE(Contains(all, "diverge", true)) << restored.Describe();
  EXPECT_TRUE(Contains(restored.Output(stats), "snapshots of the trace restored: 1"))
      << restored.Output(stats);
  EXPECT_TRUE(Contains(reexecuted.Output(stats), "snapshots of the trace restored: 0"))
      << reexecuted.Output(stats);
  for (size_t i = 0; i < kSnapHeapValues.size(); ++i) {
    EXPECT_EQ(restored.Output(i), reexecuted.Output(i)) << kSnapHeapValues[i];
  }
  return restored;
}

}  // namespace rwd::e2e

// Timeline's reverse execution over scripted executions
// (replayer_fake_execution.h): reverse-continue, reverse-step, the choice of
// checkpoint, and the ends of history, with exact expected positions.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "replayer/timeline.h"
#include "replayer_fake_execution.h"

namespace rwd::replayer {
namespace {

using testing::FakeExecution;
using testing::FakeInsn;
using testing::FakeLog;
using testing::FakeScript;
using Kind = ReplayStop::Kind;

constexpr uint64_t kVar = 0x5000;
constexpr uint64_t kExec = 0x100, kInit = 0x150, kSetup = 0x160;
constexpr uint64_t kHead = 0x200, kStore = 0x210, kWrite = 0x220, kTail = 0x230;
constexpr uint64_t kExit = 0x300;

// Thread 1: exec (event 1, where history starts), two instructions of
// setup, then `rounds` rounds of {head, store to kVar, write(round) (an
// event), tail}, then exit_group (an event). Round r's write is event r+2.
FakeScript Loop(int rounds = 5) {
  FakeScript s;
  s.insns.push_back({.pc = kExec, .event = true});
  s.insns.push_back({.pc = kInit});
  s.insns.push_back({.pc = kSetup});
  for (uint64_t r = 0; r < static_cast<uint64_t>(rounds); ++r) {
    s.insns.push_back({.pc = kHead, .value = r});
    s.insns.push_back({.pc = kStore, .value = r, .writes = kVar});
    s.insns.push_back(
        {.pc = kWrite, .value = r, .event = true, .output = std::to_string(r) + "\n"});
    s.insns.push_back({.pc = kTail, .value = r});
  }
  s.insns.push_back({.pc = kExit, .event = true});
  return s;
}

class TimelineTest : public ::testing::Test {
 protected:
  void Open(FakeScript script, TimelineOptions options = {}) {
    script_ = std::make_shared<const FakeScript>(std::move(script));
    log_ = std::make_shared<FakeLog>();
    if (options.checkpoint_interval == TimelineOptions{}.checkpoint_interval) {
      // Only the checkpoints a test takes (replay time is not scripted).
      options.checkpoint_interval = std::chrono::hours(1);
    }
    auto t = Timeline::OpenOver(FakeExecution::Opener(script_, log_), options);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    timeline_ = std::move(*t);
  }

  // The script index of the visit `value` of `pc`.
  size_t IndexOf(uint64_t pc, uint64_t value = 0) const {
    for (size_t i = 0; i < script_->insns.size(); ++i) {
      if (script_->insns[i].pc == pc && script_->insns[i].value == value) return i;
    }
    ADD_FAILURE() << "no instruction at 0x" << std::hex << pc << " with value " << value;
    return 0;
  }

  // Where the timeline is: pc and loop counter.
  std::pair<uint64_t, uint64_t> At() {
    Position p = timeline_->Current();
    return {p.pc, p.regs.Word(1)};
  }

  static ReplayStop Ok(Expected<ReplayStop> stop) {
    EXPECT_TRUE(stop.ok()) << stop.status().ToString();
    return stop.ok() ? *stop : ReplayStop{.kind = Kind::kStep, .note = "failed"};
  }
  ReplayStop Continue() { return Ok(timeline_->Continue(nullptr)); }
  ReplayStop ReverseContinue() { return Ok(timeline_->ReverseContinue(nullptr)); }
  ReplayStop ReverseStep() { return Ok(timeline_->ReverseStep()); }
  void Break(uint64_t pc) { ASSERT_TRUE(timeline_->InsertBreakpoint(pc).ok()); }
  void Unbreak(uint64_t pc) { ASSERT_TRUE(timeline_->RemoveBreakpoint(pc).ok()); }
  void RunToExit() {
    Break(kExit);
    ASSERT_EQ(Continue().kind, Kind::kBreakpoint);
    ASSERT_EQ(At().first, kExit);
  }

  std::shared_ptr<const FakeScript> script_;
  std::shared_ptr<FakeLog> log_;
  std::unique_ptr<Timeline> timeline_;
};

using P = std::pair<uint64_t, uint64_t>;

TEST_F(TimelineTest, HistoryStartsAfterTheFirstEvent) {
  Open(Loop());
  EXPECT_EQ(At(), P(kInit, 0));
  EXPECT_TRUE(timeline_->AtHistoryStart());
  EXPECT_EQ(timeline_->Current().event, 1u);
  EXPECT_TRUE(timeline_->Current().boundary);
}

// gdb re-asks after each hit whose condition is false: every reverse-continue
// from a hit must find the one before it, never the current one again.
TEST_F(TimelineTest, ReverseContinueFromAHitFindsTheHitBefore) {
  Open(Loop());
  RunToExit();
  Break(kStore);
  for (uint64_t r = 5; r-- > 0;) {
    ReplayStop stop = ReverseContinue();
    EXPECT_EQ(stop.kind, Kind::kBreakpoint) << "round " << r;
    EXPECT_EQ(stop.addr, kStore);
    EXPECT_EQ(At(), P(kStore, r));
    EXPECT_EQ(timeline_->Current().event, r + 1);
  }
  EXPECT_EQ(ReverseContinue().kind, Kind::kHistoryStart);
  EXPECT_TRUE(timeline_->AtHistoryStart());
  EXPECT_EQ(At(), P(kInit, 0));
  // At the start, again: still the start.
  EXPECT_EQ(ReverseContinue().kind, Kind::kHistoryStart);
  EXPECT_EQ(At(), P(kInit, 0));
}

TEST_F(TimelineTest, BreakpointsStayArmedAfterGoingBack) {
  Open(Loop());
  Break(kStore);
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  ASSERT_EQ(At(), P(kStore, 1));
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  ASSERT_EQ(At(), P(kStore, 0));
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kStore, 1));
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kStore, 2));
}

// At an event boundary, the point itself is a breakpoint's location: the
// hit before it is the previous round's.
TEST_F(TimelineTest, ReverseContinueAtABoundaryHitSkipsTheCurrentPoint) {
  Open(Loop());
  ASSERT_TRUE(timeline_->GotoEvent(4).ok());
  ASSERT_EQ(At(), P(kTail, 2));
  ASSERT_TRUE(timeline_->Current().boundary);
  Break(kTail);
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kTail, 1));
  EXPECT_EQ(timeline_->Current().event, 3u);
}

// Going backwards, a watchpoint triggers at the instruction that wrote, so
// the debugger shows the value before the write.
TEST_F(TimelineTest, ReverseContinueStopsOnTheWritingInstruction) {
  Open(Loop());
  RunToExit();
  ASSERT_TRUE(timeline_->SetWatchpoints({{.id = 1, .range = {.addr = kVar, .len = 8}}}).value());
  ReplayStop stop = ReverseContinue();
  EXPECT_EQ(stop.kind, Kind::kWatchpoint);
  EXPECT_EQ(stop.watch_index, 0);
  EXPECT_EQ(At(), P(kStore, 4));
  EXPECT_EQ(ReverseContinue().kind, Kind::kWatchpoint);
  EXPECT_EQ(At(), P(kStore, 3));
  // Forward again, the write of round 3 triggers it, after the store.
  EXPECT_EQ(Continue().kind, Kind::kWatchpoint);
  EXPECT_EQ(At(), P(kWrite, 3));
}

TEST_F(TimelineTest, ReverseContinueUsesTheNearestUsableCheckpoint) {
  Open(Loop());
  Break(kHead);
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  ASSERT_EQ(At(), P(kHead, 1));
  ASSERT_TRUE(timeline_->TakeCheckpoint("one").ok());  // event 2, mid-event
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  ASSERT_EQ(At(), P(kHead, 3));
  ASSERT_TRUE(timeline_->TakeCheckpoint("three").ok());  // event 4, mid-event
  Unbreak(kHead);
  RunToExit();
  Break(kStore);
  const size_t one = IndexOf(kHead, 1), three = IndexOf(kHead, 3);

  // The hit is in the stretch after "three": scanned and reached from there.
  log_->forked_at.clear();
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kStore, 4));
  EXPECT_EQ(log_->forked_at, (std::vector<size_t>{three, three}));
  EXPECT_EQ(timeline_->stats().last_restore_event, 4u);

  // The hit before (kStore, 4) is after "three" too; but (kStore, 3) is at
  // event 4, where "three" was taken mid-way, so reaching it starts at "one".
  log_->forked_at.clear();
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kStore, 3));
  EXPECT_EQ(log_->forked_at, (std::vector<size_t>{three, one}));

  // From event 4, "three" may lie after the current point: not usable.
  log_->forked_at.clear();
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kStore, 2));
  EXPECT_EQ(log_->forked_at, (std::vector<size_t>{one, one}));

  // No hit after "one": the stretch before it is scanned next.
  Unbreak(kStore);
  Break(kSetup);
  log_->forked_at.clear();
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kSetup, 0));
  const size_t start = IndexOf(kInit);
  EXPECT_EQ(log_->forked_at, (std::vector<size_t>{one, start, start}));
  EXPECT_EQ(timeline_->stats().restores_from_start, 2u);  // the scan and the way back
}

TEST_F(TimelineTest, AutomaticCheckpointsAtEventsAreScannedLatestFirst) {
  TimelineOptions options;
  options.checkpoint_interval = std::chrono::milliseconds(0);  // at every event
  Open(Loop(), options);
  RunToExit();
  // The start and one after each write (events 2 to 6).
  EXPECT_EQ(timeline_->Checkpoints().size(), 6u);
  Break(kStore);
  log_->forked_at.clear();
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kStore, 4));
  // After the last write (event 6) there is no store; after the one before,
  // there is.
  const size_t after4 = IndexOf(kTail, 4), after3 = IndexOf(kTail, 3);
  EXPECT_EQ(log_->forked_at, (std::vector<size_t>{after4, after3, after3}));
}

TEST_F(TimelineTest, ThinnedCheckpointsStillFindEveryHit) {
  TimelineOptions options;
  options.checkpoint_interval = std::chrono::milliseconds(0);
  options.max_checkpoints = 2;
  Open(Loop(8), options);
  Break(kExit);
  ASSERT_EQ(Continue().kind, Kind::kBreakpoint);
  EXPECT_EQ(timeline_->Checkpoints().size(), 3u);  // the start is never dropped
  Break(kStore);
  for (uint64_t r = 8; r-- > 0;) {
    EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
    EXPECT_EQ(At(), P(kStore, r));
  }
  EXPECT_EQ(ReverseContinue().kind, Kind::kHistoryStart);
}

TEST_F(TimelineTest, InterruptedReverseContinueStopsBeforeWhereItStarted) {
  Open(Loop());
  RunToExit();
  Break(kStore);
  uint64_t upper = timeline_->Current().event;
  ReplayStop stop = Ok(timeline_->ReverseContinue([] { return true; }));
  EXPECT_EQ(stop.kind, Kind::kInterrupted);
  EXPECT_LE(timeline_->Current().event, upper);
  EXPECT_NE(At(), P(kExit, 0));
  // The timeline goes on from there.
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
}

TEST_F(TimelineTest, NothingGoesBackAfterTheExit) {
  Open(Loop());
  EXPECT_EQ(Continue().kind, Kind::kExited);
  Expected<ReplayStop> back = timeline_->ReverseContinue(nullptr);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), ErrorCode::kInvalidInput);
  Expected<ReplayStop> step = timeline_->ReverseStep();
  ASSERT_FALSE(step.ok());
  EXPECT_EQ(step.status().code(), ErrorCode::kInvalidInput);
}

TEST_F(TimelineTest, ATraceCutShortIsAnEndToGoBackFrom) {
  FakeScript cut = Loop();
  cut.exits = false;
  Open(cut);
  EXPECT_EQ(Continue().kind, Kind::kEndOfTrace);
  ASSERT_EQ(At(), P(kExit, 0));
  Break(kStore);
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kStore, 4));
  Unbreak(kStore);
  EXPECT_EQ(Continue().kind, Kind::kEndOfTrace);
  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_EQ(At(), P(kTail, 4));
}

TEST_F(TimelineTest, ReverseStepWalksBackAcrossEvents) {
  Open(Loop());
  Break(kWrite);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  ASSERT_EQ(At(), P(kWrite, 2));
  Unbreak(kWrite);

  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_EQ(At(), P(kStore, 2));
  // The states the search stepped through are reused, not stepped again.
  uint64_t steps = log_->steps;
  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_EQ(At(), P(kHead, 2));
  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_EQ(At(), P(kTail, 1));
  EXPECT_EQ(log_->steps, steps);
  EXPECT_TRUE(timeline_->Current().boundary);
  EXPECT_EQ(timeline_->Current().event, 3u);
  // Before the boundary: the syscall instruction of the event before.
  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_EQ(At(), P(kWrite, 1));
  EXPECT_EQ(timeline_->Current().event, 2u);
  EXPECT_FALSE(timeline_->Current().boundary);
}

TEST_F(TimelineTest, ReverseStepAtTheStartStaysThere) {
  Open(Loop());
  EXPECT_EQ(ReverseStep().kind, Kind::kHistoryStart);
  EXPECT_EQ(At(), P(kInit, 0));
  EXPECT_EQ(Ok(timeline_->Step()).kind, Kind::kStep);
  EXPECT_EQ(At(), P(kSetup, 0));
  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_TRUE(timeline_->AtHistoryStart());
  EXPECT_EQ(ReverseStep().kind, Kind::kHistoryStart);
}

// A loop without events: the search single-steps only from the previous
// visit of the instruction, not from the start of the stretch.
TEST_F(TimelineTest, ReverseStepInALoopStepsFromThePreviousVisit) {
  FakeScript s;
  s.insns.push_back({.pc = kExec, .event = true});
  for (uint64_t v = 0; v < 100; ++v) {
    s.insns.push_back({.pc = 0x400, .value = v});
    s.insns.push_back({.pc = 0x410, .value = v});
  }
  s.insns.push_back({.pc = kExit, .event = true});
  Open(s);
  Break(0x400);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  ASSERT_EQ(At(), P(0x400, 50));
  Unbreak(0x400);
  uint64_t steps = log_->steps;
  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_EQ(At(), P(0x410, 49));
  EXPECT_EQ(log_->steps - steps, 2u);
}

// Thread 1's previous instruction, though thread 2 ran in between.
TEST_F(TimelineTest, ReverseStepFindsTheSameThreadsPreviousInstruction) {
  FakeScript s;
  s.insns.push_back({.tid = 1, .pc = kExec, .event = true});
  s.insns.push_back({.tid = 1, .pc = 0x500});
  s.insns.push_back({.tid = 1, .pc = 0x510, .event = true});
  s.insns.push_back({.tid = 2, .pc = 0x600});
  s.insns.push_back({.tid = 2, .pc = 0x610, .event = true});
  s.insns.push_back({.tid = 1, .pc = 0x520});
  s.insns.push_back({.tid = 1, .pc = kExit, .event = true});
  Open(s);
  // Forward, stepping thread 2 runs thread 1 to its turn first.
  EXPECT_EQ(Ok(timeline_->Step(2)).kind, Kind::kStep);
  EXPECT_EQ(At(), P(0x610, 0));
  Break(0x520);
  EXPECT_EQ(Continue().kind, Kind::kBreakpoint);
  ASSERT_EQ(timeline_->Current().tid, 1);
  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_EQ(At(), P(0x510, 0));
  EXPECT_EQ(timeline_->Current().tid, 1);
}

// Several processes: nothing forks; going back replays from the beginning.
TEST_F(TimelineTest, WithoutForkingGoingBackReplaysFromTheBeginning) {
  FakeScript s = Loop();
  s.forkable = false;
  Open(s);
  EXPECT_FALSE(timeline_->TakeCheckpoint("mine").ok());
  RunToExit();
  Break(kStore);
  int opens = log_->opens;
  EXPECT_EQ(ReverseContinue().kind, Kind::kBreakpoint);
  EXPECT_EQ(At(), P(kStore, 4));
  EXPECT_EQ(log_->opens - opens, 2);  // the scan, then the way to the hit
  EXPECT_EQ(ReverseStep().kind, Kind::kStep);
  EXPECT_EQ(At(), P(kHead, 4));
}

}  // namespace
}  // namespace rwd::replayer

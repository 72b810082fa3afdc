// DebuggerSession over scripted executions (replayer_fake_execution.h):
// breakpoint and watchpoint ids, shared addresses, which watchpoint a stop
// names, threads of stops, and errors a front end shows.
#include "debugger/debugger_session.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "debugger/time_travel_commands.h"
#include "replayer/timeline.h"
#include "replayer_fake_execution.h"

namespace rwd::debugger {
namespace {

using replayer::testing::FakeExecution;
using replayer::testing::FakeLog;
using replayer::testing::FakeScript;
using Kind = replayer::ReplayStop::Kind;

constexpr uint64_t kVarA = 0x5000, kVarB = 0x6000;
constexpr uint64_t kExec = 0x100, kHead = 0x200, kStoreA = 0x210, kStoreB = 0x218;
constexpr uint64_t kWrite = 0x220, kExit = 0x300;

// exec (event 1), then `rounds` rounds of {head, store A, store B,
// write (an event)} by thread 1, then exit_group.
FakeScript Loop(int rounds = 4) {
  FakeScript s;
  s.insns.push_back({.pc = kExec, .event = true});
  for (uint64_t r = 0; r < static_cast<uint64_t>(rounds); ++r) {
    s.insns.push_back({.pc = kHead, .value = r});
    s.insns.push_back({.pc = kStoreA, .value = r, .writes = kVarA});
    s.insns.push_back({.pc = kStoreB, .value = r, .writes = kVarB});
    s.insns.push_back({.pc = kWrite, .value = r, .event = true});
  }
  s.insns.push_back({.pc = kExit, .event = true});
  return s;
}

class DebuggerSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script_ = std::make_shared<const FakeScript>(Loop());
    log_ = std::make_shared<FakeLog>();
    replayer::TimelineOptions options;
    options.checkpoint_interval = std::chrono::hours(1);
    auto t = replayer::Timeline::OpenOver(FakeExecution::Opener(script_, log_), options);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    timeline_ = std::move(*t);
    session_ = std::make_unique<DebuggerSession>(*timeline_, 1);
  }

  const Stop& Run(Motion motion) { return session_->Resume(motion, 0, nullptr); }
  uint64_t Pc() { return timeline_->Current().pc; }
  uint64_t Round() { return timeline_->Current().regs.Word(1); }

  std::shared_ptr<const FakeScript> script_;
  std::shared_ptr<FakeLog> log_;
  std::unique_ptr<replayer::Timeline> timeline_;
  std::unique_ptr<DebuggerSession> session_;
};

TEST_F(DebuggerSessionTest, BeforeAnyMotionTheProgramIsStoppedInItsFirstThread) {
  EXPECT_EQ(session_->last_stop().tid, 1);
  EXPECT_EQ(session_->last_stop().replay.kind, Kind::kStep);
  EXPECT_TRUE(session_->last_stop().error.ok());
}

TEST_F(DebuggerSessionTest, IdsCountUpAcrossBreakpointsAndWatchpoints) {
  Expected<int> b = session_->AddBreakpoint(kStoreA);
  Expected<int> w = session_->AddWatchpoint({.addr = kVarA, .len = 8});
  Expected<int> b2 = session_->AddBreakpoint(kHead);
  ASSERT_TRUE(b.ok() && w.ok() && b2.ok());
  EXPECT_EQ(*b, 1);
  EXPECT_EQ(*w, 2);
  EXPECT_EQ(*b2, 3);
  EXPECT_FALSE(session_->DeleteBreakpoint(2).ok()) << "2 is a watchpoint";
  EXPECT_FALSE(session_->DeleteWatchpoint(7).ok());
  EXPECT_TRUE(session_->DeleteWatchpoint(2).ok());
  EXPECT_TRUE(session_->watchpoints().empty());
  ASSERT_EQ(session_->breakpoints().size(), 2u);
}

// Two breakpoints at one address (gdb's locations, the console's `break`
// twice): the address stays armed until the last one goes.
TEST_F(DebuggerSessionTest, ASharedAddressStaysArmedUntilItsLastBreakpointGoes) {
  int first = session_->AddBreakpoint(kStoreA).value();
  int second = session_->AddBreakpoint(kStoreA).value();
  ASSERT_TRUE(session_->DeleteBreakpoint(first).ok());
  const Stop& hit = Run(Motion::kContinue);
  EXPECT_EQ(hit.replay.kind, Kind::kBreakpoint);
  EXPECT_EQ(hit.replay.addr, kStoreA);
  EXPECT_EQ(Round(), 0u);
  ASSERT_TRUE(session_->DeleteBreakpoint(second).ok());
  EXPECT_EQ(Run(Motion::kContinue).replay.kind, Kind::kExited);
}

TEST_F(DebuggerSessionTest, DeletingByAddressRemovesOneBreakpointThere) {
  session_->AddBreakpoint(kStoreA).value();
  session_->AddBreakpoint(kStoreA).value();
  ASSERT_TRUE(session_->DeleteBreakpointAt(kStoreA).ok());
  EXPECT_EQ(session_->breakpoints().size(), 1u);
  EXPECT_TRUE(session_->DeleteBreakpointAt(0x999).ok()) << "gdb removes what it never set";
  EXPECT_EQ(Run(Motion::kContinue).replay.kind, Kind::kBreakpoint);
}

// The debugger's own breakpoints (stepping over a call) come and go
// without touching the user's at the same address.
TEST_F(DebuggerSessionTest, TemporaryBreakpointsLeaveTheUsersArmed) {
  ASSERT_TRUE(session_->InsertTemporaryBreakpoint(kStoreA).ok());
  int user = session_->AddBreakpoint(kStoreA).value();
  ASSERT_TRUE(session_->RemoveTemporaryBreakpoint(kStoreA).ok());
  EXPECT_EQ(Run(Motion::kContinue).replay.kind, Kind::kBreakpoint);
  ASSERT_TRUE(session_->InsertTemporaryBreakpoint(kHead).ok());
  EXPECT_EQ(Run(Motion::kContinue).replay.addr, kHead);
  ASSERT_TRUE(session_->RemoveTemporaryBreakpoint(kHead).ok());
  EXPECT_TRUE(session_->breakpoints().size() == 1 && session_->breakpoints()[0].id == user);
  ASSERT_TRUE(session_->DeleteBreakpoint(user).ok());
  ASSERT_TRUE(session_->InsertTemporaryBreakpoint(kStoreB).ok());
  EXPECT_EQ(Run(Motion::kContinue).replay.addr, kStoreB);
  ASSERT_TRUE(session_->RemoveTemporaryBreakpoint(kStoreB).ok());
  EXPECT_EQ(Run(Motion::kContinue).replay.kind, Kind::kExited);
}

// A stop names the watchpoint that fired, also after an earlier one was
// deleted (the timeline's indexes shift; ids do not).
TEST_F(DebuggerSessionTest, AWatchpointStopNamesTheWatchpointById) {
  int a = session_->AddWatchpoint({.addr = kVarA, .len = 8}).value();
  int b = session_->AddWatchpoint({.addr = kVarB, .len = 4, .kind = arch::HwKind::kAccess}).value();
  const Stop& first = Run(Motion::kContinue);
  ASSERT_EQ(first.replay.kind, Kind::kWatchpoint);
  ASSERT_TRUE(first.watchpoint.has_value());
  EXPECT_EQ(first.watchpoint->id, a);
  ASSERT_TRUE(session_->DeleteWatchpoint(a).ok());
  const Stop& second = Run(Motion::kContinue);
  ASSERT_EQ(second.replay.kind, Kind::kWatchpoint);
  ASSERT_TRUE(second.watchpoint.has_value());
  EXPECT_EQ(second.watchpoint->id, b);
  EXPECT_EQ(second.watchpoint->range.addr, kVarB);
  EXPECT_EQ(second.watchpoint->range.kind, arch::HwKind::kAccess);
  ASSERT_EQ(Run(Motion::kContinue).replay.kind, Kind::kWatchpoint);
  ASSERT_EQ(Round(), 1u);
  // Going backwards from round 1's write, round 0's is found, on the
  // writing instruction.
  const Stop& back = Run(Motion::kReverseContinue);
  ASSERT_EQ(back.replay.kind, Kind::kWatchpoint);
  EXPECT_EQ(back.watchpoint->id, b);
  EXPECT_EQ(Pc(), kStoreB);
  EXPECT_EQ(Round(), 0u);
}

TEST_F(DebuggerSessionTest, WatchpointsMustCoverOneByteToOneMebibyte) {
  EXPECT_FALSE(session_->AddWatchpoint({.addr = kVarA, .len = 0}).ok());
  Expected<int> huge = session_->AddWatchpoint({.addr = kVarA, .len = (1u << 20) + 1});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("1 MiB"), std::string::npos);
  EXPECT_TRUE(session_->AddWatchpoint({.addr = kVarA, .len = 1u << 20}).ok());
}

TEST_F(DebuggerSessionTest, DeletingAWatchpointByRangeNeedsTheSameKind) {
  session_->AddWatchpoint({.addr = kVarA, .len = 8, .kind = arch::HwKind::kRead}).value();
  ASSERT_TRUE(session_->DeleteWatchpointMatching({.addr = kVarA, .len = 8}).ok());
  EXPECT_EQ(session_->watchpoints().size(), 1u) << "a write watch was never set";
  ASSERT_TRUE(
      session_->DeleteWatchpointMatching({.addr = kVarA, .len = 8, .kind = arch::HwKind::kRead})
          .ok());
  EXPECT_TRUE(session_->watchpoints().empty());
}

TEST_F(DebuggerSessionTest, BreakpointsStayAcrossGotoAndReverseMotion) {
  session_->AddBreakpoint(kStoreB).value();
  ASSERT_EQ(Run(Motion::kContinue).replay.kind, Kind::kBreakpoint);
  ASSERT_EQ(Run(Motion::kContinue).replay.kind, Kind::kBreakpoint);
  EXPECT_EQ(Round(), 1u);
  ASSERT_TRUE(session_->Goto(4).ok());
  EXPECT_EQ(timeline_->Current().event, 4u);
  const Stop& back = Run(Motion::kReverseContinue);
  EXPECT_EQ(back.replay.kind, Kind::kBreakpoint);
  EXPECT_EQ(Round(), 2u);
  EXPECT_EQ(back.tid, 1);
}

TEST_F(DebuggerSessionTest, ReverseMotionAfterTheExitIsAnErrorTheFrontEndShows) {
  ASSERT_EQ(Run(Motion::kContinue).replay.kind, Kind::kExited);
  const Stop& stop = Run(Motion::kReverseContinue);
  EXPECT_FALSE(stop.error.ok());
  EXPECT_NE(stop.error.message().find("exited"), std::string::npos);
  EXPECT_EQ(stop.replay.kind, Kind::kStep);
}

TEST_F(DebuggerSessionTest, CheckpointsAreNamedAndRestarted) {
  session_->AddBreakpoint(kStoreA).value();
  Run(Motion::kContinue);
  Run(Motion::kContinue);
  ASSERT_EQ(Round(), 1u);
  Expected<int> id = session_->TakeCheckpoint("here");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  Run(Motion::kContinue);
  ASSERT_EQ(Round(), 2u);
  ASSERT_TRUE(session_->Restart("here").ok());
  EXPECT_EQ(Pc(), kStoreA);
  EXPECT_EQ(Round(), 1u);
  ASSERT_TRUE(session_->Restart(std::to_string(*id)).ok());
  EXPECT_EQ(Round(), 1u);
  Status missing = session_->Restart("nowhere");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("nowhere"), std::string::npos);
}

TEST(TimeTravelText, WhenSaysTheEventOfHowManyAndThePc) {
  WhenInfo when{.event = 12, .event_count = 40, .exited = false, .pc = 0x401136};
  EXPECT_EQ(DescribeWhen(when), "Current event: 12 (of 40), pc 0x401136\n");
  when.boundary = true;
  EXPECT_EQ(DescribeWhen(when), "Current event: 12 (of 40), pc 0x401136, at the event boundary\n");
  when.boundary = false;
  when.buffered = 3;
  EXPECT_EQ(DescribeWhen(when),
            "Current event: 12 (of 40), 3 buffered syscalls after it, pc 0x401136\n");
  when.exited = true;
  EXPECT_EQ(DescribeWhen(when), "Current event: 12 (of 40), the process has exited\n");
}

}  // namespace
}  // namespace rwd::debugger

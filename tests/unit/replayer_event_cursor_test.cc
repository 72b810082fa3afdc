// EventCursor over synthetic traces: each event read once and kept until
// consumed, the count of replayed events, copies (a checkpoint's) reading
// from their own place on a shared reader, and divergence messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "replayer/event_cursor.h"
#include "tests/unit/trace_test_util.h"

namespace rwd::replayer {
namespace {

using ::testing::HasSubstr;

class EventCursorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<trace::Event> events;
    for (uint64_t i = 0; i < 5; ++i) events.push_back(trace::testing::NumberedEvent(i));
    trace::testing::WriteTrace(dir_.Sub("trace"), trace::testing::SampleHeader(), events);
    auto reader = trace::TraceReader::Open(dir_.Sub("trace"));
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    reader_ = std::move(*reader);
  }

  // The result NumberedEvent(i) carries: which event the cursor shows.
  static int64_t Number(Expected<const trace::Event*> ev) {
    EXPECT_TRUE(ev.ok()) << ev.status().ToString();
    if (!ev.ok() || *ev == nullptr) return -1;
    return std::get<trace::SyscallEvent>((*ev)->body).result;
  }

  trace::testing::TempDir dir_;
  std::shared_ptr<trace::TraceReader> reader_;
};

TEST_F(EventCursorTest, PeekKeepsTheEventUntilConsumed) {
  EventCursor cursor(reader_);
  EXPECT_EQ(cursor.event_number(), 0u);
  EXPECT_EQ(Number(cursor.Peek()), 0);
  EXPECT_EQ(Number(cursor.Peek()), 0);
  // A peeked event is not replayed yet.
  EXPECT_EQ(cursor.event_number(), 0u);
  cursor.Consume();
  EXPECT_EQ(cursor.event_number(), 1u);
  EXPECT_EQ(Number(cursor.Peek()), 1);
  EXPECT_EQ(cursor.event_number(), 1u);
}

TEST_F(EventCursorTest, PastTheLastEventPeekGivesNull) {
  EventCursor cursor(reader_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Number(cursor.Peek()), i);
    cursor.Consume();
  }
  Expected<const trace::Event*> end = cursor.Peek();
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_EQ(*end, nullptr);
  EXPECT_EQ(cursor.event_number(), 5u);
}

TEST_F(EventCursorTest, CopiesReadFromTheirOwnPlaceOnTheSharedReader) {
  EventCursor live(reader_);
  live.Consume();  // nothing peeked yet: no effect
  ASSERT_EQ(Number(live.Peek()), 0);
  live.Consume();
  ASSERT_EQ(Number(live.Peek()), 1);
  EventCursor checkpoint = live;  // holds event 1, peeked
  live.Consume();
  ASSERT_EQ(Number(live.Peek()), 2);
  live.Consume();
  ASSERT_EQ(Number(live.Peek()), 3);
  // Someone else moved the reader (a probe scanning ahead).
  ASSERT_TRUE(reader_->Seek(4).ok());
  EXPECT_EQ(Number(checkpoint.Peek()), 1);
  checkpoint.Consume();
  EXPECT_EQ(Number(checkpoint.Peek()), 2);
  EXPECT_EQ(checkpoint.event_number(), 2u);
  live.Consume();
  EXPECT_EQ(Number(live.Peek()), 4);
  EXPECT_EQ(live.event_number(), 4u);
}

TEST_F(EventCursorTest, MoveToStartsWhereASnapshotWasTaken) {
  EventCursor cursor(reader_);
  ASSERT_EQ(Number(cursor.Peek()), 0);
  cursor.MoveTo(3);
  EXPECT_EQ(cursor.event_number(), 3u);
  EXPECT_EQ(Number(cursor.Peek()), 3);
  cursor.Consume();
  EXPECT_EQ(cursor.event_number(), 4u);
}

TEST(EventCursorDivergence, NamesTheEventTheThreadAndWhat) {
  Status s = EventCursor::DivergedAt(42, "thread 7, live 1234", "expected write, saw read");
  EXPECT_EQ(s.code(), ErrorCode::kDivergence);
  EXPECT_EQ(s.message(),
            "replay diverged from the recording at event 42 (thread 7, live 1234): expected "
            "write, saw read");
  EXPECT_THAT(EventCursor::DivergedAt(3, "", "the trace ends").message(),
              HasSubstr("at event 3: the trace ends"));
}

}  // namespace
}  // namespace rwd::replayer

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "preload/syscallbuf_abi.h"
#include "tests/unit/trace_test_util.h"
#include "trace/event_codec.h"

namespace rwd::trace {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::SampleEvents;

std::vector<uint8_t> Encode(const Event& event) {
  ByteWriter w;
  EncodeEvent(event, &w);
  return w.bytes();
}

// Decodes all of `bytes` as one event.
Expected<Event> DecodeAll(const std::vector<uint8_t>& bytes) {
  ByteReader r(bytes);
  Event event;
  RETURN_IF_ERROR(DecodeEvent(&r, &event));
  if (!r.AtEnd()) return Status(ErrorCode::kCorrupt, "trailing bytes");
  return event;
}

TEST(EventCodecTest, RoundTripsEveryKind) {
  std::vector<Event> events = SampleEvents();
  ASSERT_EQ(events.size(), std::variant_size_v<EventBody>);
  for (const Event& event : events) {
    SCOPED_TRACE(EventKindName(event.body));
    auto decoded = DecodeAll(Encode(event));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, event);
  }
}

TEST(EventCodecTest, RoundTripsDefaultEvents) {
  for (const Event& sample : SampleEvents()) {
    Event event{.body = sample.body};
    std::visit([](auto& body) { body = {}; }, event.body);
    auto decoded = DecodeAll(Encode(event));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, event);
  }
}

TEST(EventCodecTest, ConsecutiveEventsDecodeInOrder) {
  ByteWriter w;
  for (const Event& event : SampleEvents()) EncodeEvent(event, &w);
  ByteReader r(w.bytes());
  for (const Event& expected : SampleEvents()) {
    Event event;
    ASSERT_TRUE(DecodeEvent(&r, &event).ok());
    EXPECT_EQ(event, expected);
  }
  EXPECT_TRUE(r.AtEnd());
}

// A batch keeps its buffer's records as they are; a count that could not
// fit in its bytes is refused before anything trusts it.
TEST(EventCodecTest, BatchKeepsItsRecordsAndRefusesAnImpossibleCount) {
  std::vector<uint8_t> records(sizeof(rwd_sb_record) * 2, 0x5a);
  Event batch{.tid = 9, .body = SyscallBatchEvent{.count = 2, .records = records}};
  std::vector<uint8_t> bytes = Encode(batch);
  EXPECT_EQ(bytes.size(), 1u + 1u + 1u + 2u + records.size());  // tag, tid, count, length
  auto decoded = DecodeAll(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, batch);
  std::get<SyscallBatchEvent>(batch.body).count = 3;
  auto refused = DecodeAll(Encode(batch));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("3 buffered syscalls in 144 bytes"));
}

// Golden bytes: if these change, the trace format changed and
// kFormatVersion must be bumped.
TEST(EventCodecTest, ExitEncodingIsStable) {
  Event process_exit{.tid = 5, .body = ExitEvent{.wait_status = 256}};
  EXPECT_THAT(Encode(process_exit), ElementsAreArray<uint8_t>({
                                        0x05,        // tag: exit
                                        0x0a,        // tid 5 (zigzag)
                                        0x80, 0x04,  // wait status 256 (zigzag)
                                        0x01,        // whole process
                                    }));
  Event thread_exit{.tid = 6, .body = ExitEvent{.wait_status = 0, .whole_process = false}};
  EXPECT_THAT(Encode(thread_exit), ElementsAre(0x05, 0x0c, 0x00, 0x00));
}

TEST(EventCodecTest, SyscallEntryEncodingIsStable) {
  Event entry{.tid = 7, .body = SyscallEntryEvent{.nr = 61, .args = {~0ull, 0x1000, 0, 0, 0, 1}}};
  EXPECT_THAT(Encode(entry),
              ElementsAreArray<uint8_t>({
                  0x06,                                            // tag: syscall entry
                  0x0e,                                            // tid 7 (zigzag)
                  0x7a,                                            // nr 61 (zigzag)
                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // ~0 ...
                  0xff, 0x01,                                      // ... in 10 bytes
                  0x80, 0x20, 0x00, 0x00, 0x00, 0x01,              // 0x1000, 0, 0, 0, 1
              }));
}

TEST(EventCodecTest, PreemptEncodingIsStable) {
  Event preempt{.tid = 1,
                .body = PreemptEvent{.fingerprint = {0xaa, 0xbb, 0xcc}, .stack_hash = 300}};
  EXPECT_THAT(Encode(preempt), ElementsAreArray<uint8_t>({
                                   0x07,                    // tag: preempt
                                   0x02,                    // tid 1 (zigzag)
                                   0x03, 0xaa, 0xbb, 0xcc,  // fingerprint
                                   0xac, 0x02,              // stack hash 300
                                   0x01,                    // with the globals
                                   0x00,                    // no stack window
                                   0x00,                    // no stack word
                                   0x00,                    // no vector registers
                               }));
}

TEST(EventCodecTest, SignalNamingItsPassRoundTrips) {
  Event signal{.tid = 3,
               .body = SignalEvent{.signo = 14,
                                   .pc = 0x401000,
                                   .fingerprint = {0xaa},
                                   .stack_hash = 7,
                                   .pass_count = 300}};
  std::vector<uint8_t> bytes = Encode(signal);
  ASSERT_GE(bytes.size(), 4u);
  // The pass count, as a varint, then the memory hash (none: 0) and its
  // pages (none: length 0).
  EXPECT_EQ(bytes[bytes.size() - 4], 0xac);
  EXPECT_EQ(bytes[bytes.size() - 3], 0x02);
  EXPECT_EQ(bytes[bytes.size() - 2], 0x00);
  EXPECT_EQ(bytes[bytes.size() - 1], 0x00);
  Expected<Event> decoded = DecodeAll(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, signal);
}

TEST(EventCodecTest, SignalHashingWritableMemoryRoundTrips) {
  Event signal{.tid = 3,
               .body = SignalEvent{.signo = 14,
                                   .pc = 0x401000,
                                   .fingerprint = {0xaa},
                                   .stack_hash = 7,
                                   .memory_hash = 0x8000000000000001}};
  std::vector<uint8_t> bytes = Encode(signal);
  ASSERT_GE(bytes.size(), 11u);
  // The memory hash, as a varint (ten bytes for bit 63), then its pages
  // (none: length 0).
  EXPECT_EQ(bytes[bytes.size() - 11], 0x81);
  EXPECT_EQ(bytes[bytes.size() - 2], 0x01);
  EXPECT_EQ(bytes[bytes.size() - 1], 0x00);
  Expected<Event> decoded = DecodeAll(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, signal);
}

TEST(EventCodecTest, PreemptWithStackWordEncodingIsStable) {
  Event preempt{.tid = 1,
                .body = PreemptEvent{.fingerprint = {0xaa},
                                     .stack_hash = 1,
                                     .has_stack_word = true,
                                     .stack_word_offset = -8,
                                     .stack_word = 300,
                                     .vector_registers = {0x11, 0x22}}};
  EXPECT_THAT(Encode(preempt), ElementsAreArray<uint8_t>({
                                   0x07,              // tag: preempt
                                   0x02,              // tid 1 (zigzag)
                                   0x01, 0xaa,        // fingerprint
                                   0x01,              // stack hash 1
                                   0x01,              // with the globals
                                   0x00,              // no stack window
                                   0x01,              // a stack word:
                                   0x0f,              // at sp - 8 (zigzag)
                                   0xac, 0x02,        // holding 300
                                   0x02, 0x11, 0x22,  // vector registers
                               }));
  auto decoded = DecodeAll(Encode(preempt));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, preempt);
}

// A non-canonical boolean is damage, not "true".
TEST(EventCodecTest, ExitWithBadBooleanIsCorrupt) {
  auto decoded = DecodeAll({0x05, 0x0a, 0x80, 0x04, 0x02});
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(decoded.status().message(), HasSubstr("boolean byte is 2"));
}

TEST(EventCodecTest, SyscallEncodingIsStable) {
  SyscallEvent syscall;
  syscall.nr = 1;
  syscall.args = {1, 0x1000, 3, 0, 0, 0};
  syscall.result = 3;
  syscall.writes = {{0x10, {0xaa, 0xbb}}};
  Event write{.tid = 1, .body = syscall};
  EXPECT_THAT(Encode(write),
              ElementsAreArray<uint8_t>({
                  0x01,                                      // tag: syscall
                  0x02,                                      // tid 1 (zigzag)
                  0x02,                                      // nr 1 (zigzag)
                  0x01, 0x80, 0x20, 0x03, 0x00, 0x00, 0x00,  // args
                  0x06,                                      // result 3 (zigzag)
                  0x01, 0x10, 0x02, 0xaa, 0xbb,              // one write at 0x10
                  0x00, 0x00,                                // no mapped file
                  0x00,                                      // output stream: not rewind's own
                  0x00,                                      // no writable shared mapping
                  0x00,                                      // no writes into mapped files
              }));
}

TEST(EventCodecTest, WritesIntoMappedFilesRoundTrip) {
  SyscallEvent pwrite;
  pwrite.nr = 18;
  pwrite.args = {3, 0x1000, 2, 4096, 0, 0};
  pwrite.result = 2;
  pwrite.file_writes = {{.path = "/tmp/db", .offset = 4096, .bytes = {1, 2}, .size_after = 8192}};
  Event event{.tid = 7, .body = pwrite};
  std::vector<uint8_t> bytes = Encode(event);
  // ... 0x00: not a mapping; one write: path, offset 4096, 2 bytes, size 8192.
  EXPECT_THAT(std::vector<uint8_t>(bytes.end() - 17, bytes.end()),
              ElementsAreArray<uint8_t>({0x00, 0x01, 0x07, '/', 't', 'm', 'p', '/', 'd', 'b', 0x80,
                                         0x20, 0x02, 0x01, 0x02, 0x80, 0x40}));
  auto decoded = DecodeAll(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, event);
}

TEST(EventCodecTest, KindNames) {
  std::vector<std::string> names;
  for (const Event& event : SampleEvents()) names.push_back(EventKindName(event.body));
  EXPECT_THAT(names, ElementsAre("syscall", "signal", "insn-trap", "exec", "exit", "syscall-entry",
                                 "preempt", "syscall-batch"));
}

TEST(EventCodecTest, UnknownTagIsCorrupt) {
  // 1-8 are the kinds; 9 is the first unassigned tag.
  for (uint8_t tag : {0, 9, 10, 0x80, 0xff}) {
    auto decoded = DecodeAll({tag, 0x00, 0x00});
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt);
    EXPECT_THAT(decoded.status().message(),
                HasSubstr("unknown event kind tag " + std::to_string(tag)));
  }
}

TEST(EventCodecTest, UnknownTrapKindIsCorrupt) {
  InsnTrapEvent rdtsc;
  rdtsc.kind = arch::TrapInsnKind::kRdtsc;
  Event trap{.tid = 1, .body = rdtsc};
  std::vector<uint8_t> bytes = Encode(trap);
  bytes[2] = 0x77;  // kind byte follows tag and tid
  auto decoded = DecodeAll(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("trapped instruction kind 119"));
}

TEST(EventCodecTest, EveryTruncationFails) {
  for (const Event& event : SampleEvents()) {
    std::vector<uint8_t> bytes = Encode(event);
    for (size_t len = 0; len < bytes.size(); ++len) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + len);
      auto decoded = DecodeAll(prefix);
      EXPECT_FALSE(decoded.ok()) << EventKindName(event.body) << " cut at " << len;
      if (!decoded.ok()) {
        EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt);
      }
    }
  }
}

// Random bytes: the decoder must fail cleanly or decode something, never
// crash, read out of bounds or allocate wildly (run under ASan to see).
TEST(EventCodecTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(12345);
  int decoded_ok = 0;
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> bytes(rng() % 200);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    // Half the inputs get a valid tag so the body decoders are exercised.
    if (!bytes.empty() && i % 2 == 0)
      bytes[0] = static_cast<uint8_t>(1 + rng() % std::variant_size_v<EventBody>);
    ByteReader r(bytes);
    Event event;
    Status status = DecodeEvent(&r, &event);
    if (status.ok()) {
      ++decoded_ok;
      EXPECT_LE(r.offset(), bytes.size());
    } else {
      EXPECT_EQ(status.code(), ErrorCode::kCorrupt);
      EXPECT_FALSE(status.message().empty());
    }
  }
  EXPECT_LT(decoded_ok, 2000);
}

TEST(EventCodecTest, MutatedEventsNeverCrash) {
  std::mt19937_64 rng(678);
  std::vector<Event> samples = SampleEvents();
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> bytes = Encode(samples[i % samples.size()]);
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] ^= 1u << (rng() % 8);
    ByteReader r(bytes);
    Event event;
    Status status = DecodeEvent(&r, &event);
    if (!status.ok()) {
      EXPECT_EQ(status.code(), ErrorCode::kCorrupt);
    }
  }
}

}  // namespace
}  // namespace rwd::trace

// The syscall buffer's record format (preload/syscallbuf_abi.h): what the
// replayer writes for the library decodes to what the recorder read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "arch/arch.h"
#include "preload/syscallbuf_abi.h"
#include "trace/buffer_records.h"

namespace rwd::trace {
namespace {

using ::testing::HasSubstr;

const arch::SyscallTable& Table() { return arch::ArchFor(arch::ArchId::kX86_64)->syscalls(); }

SyscallEvent Read(uint64_t buf, std::vector<uint8_t> bytes) {
  SyscallEvent e{.nr = Table().FindByName("read")->nr,
                 .args = {3, buf, 4096, 0, 0, 0},
                 .result = static_cast<int64_t>(bytes.size())};
  e.writes.push_back({buf, std::move(bytes)});
  return e;
}

TEST(BufferRecordsTest, RoundTrips) {
  std::vector<SyscallEvent> calls = {
      Read(0x1000, {1, 2, 3}), SyscallEvent{.nr = Table().FindByName("getpid")->nr, .result = 77},
      Read(0x2000, std::vector<uint8_t>(4096, 0xab)),
      SyscallEvent{.nr = Table().FindByName("close")->nr, .args = {5}, .result = -9}};
  std::vector<uint8_t> bytes = EncodeBufferRecords(calls);
  EXPECT_EQ(bytes.size() % 8, 0u);
  auto decoded = DecodeBufferRecords(bytes, calls.size(), Table());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, calls);
}

// The bytes of a write to the recorder's stdout are for replay to show, not
// memory the library restores: the record says so (its stream), and the
// library compares them with what the replayed program writes.
TEST(BufferRecordsTest, EchoedBytesAreMarkedAsTheStreamsForComparison) {
  SyscallEvent write{.nr = Table().FindByName("write")->nr,
                     .args = {1, 0x3000, 5, 0, 0, 0},
                     .result = 5,
                     .writes = {{0x3000, {'h', 'e', 'l', 'l', 'o'}}},
                     .output_stream = 1};
  std::vector<uint8_t> bytes = EncodeBufferRecords({write});
  rwd_sb_record rec;
  ASSERT_GE(bytes.size(), sizeof(rec));
  std::memcpy(&rec, bytes.data(), sizeof(rec));
  EXPECT_EQ(rec.stream, 1);
  EXPECT_EQ(rec.nout, 1);
  auto decoded = DecodeBufferRecords(bytes, 1, Table());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, std::vector<SyscallEvent>{write});
}

TEST(BufferRecordsTest, RefusesSyscallsThatAreNeverBuffered) {
  SyscallEvent mmap{.nr = Table().FindByName("mmap")->nr, .result = 0x7000};
  std::vector<uint8_t> bytes = EncodeBufferRecords({mmap});
  auto decoded = DecodeBufferRecords(bytes, 1, Table());
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(decoded.status().message(), HasSubstr("mmap, which is never buffered"));
}

// A futex wake may be buffered; a wait, which blocks, never is.
TEST(BufferRecordsTest, RefusesFutexCallsOtherThanWakes) {
  const int64_t futex = Table().FindByName("futex")->nr;
  SyscallEvent wake{.nr = futex, .args = {0x4000, 129 /*FUTEX_WAKE_PRIVATE*/, 1}, .result = 1};
  SyscallEvent wait{.nr = futex, .args = {0x4000, 128 /*FUTEX_WAIT_PRIVATE*/, 0}, .result = 0};
  auto decoded = DecodeBufferRecords(EncodeBufferRecords({wake}), 1, Table());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, std::vector<SyscallEvent>{wake});
  decoded = DecodeBufferRecords(EncodeBufferRecords({wake, wait}), 2, Table());
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(decoded.status().message(),
              HasSubstr("record 1 is a futex call (operation 128) that is never buffered"));
}

TEST(BufferRecordsTest, RefusesDamagedRecords) {
  std::vector<uint8_t> bytes = EncodeBufferRecords({Read(0x1000, {1, 2, 3, 4, 5, 6, 7, 8, 9})});
  // More records than bytes.
  EXPECT_FALSE(DecodeBufferRecords(bytes, 2, Table()).ok());
  // A size past the end.
  std::vector<uint8_t> big = bytes;
  uint32_t size = static_cast<uint32_t>(bytes.size() + 8);
  std::memcpy(big.data(), &size, sizeof(size));
  EXPECT_THAT(DecodeBufferRecords(big, 1, Table()).status().message(), HasSubstr("bad size"));
  // An output longer than its record.
  std::vector<uint8_t> long_out = bytes;
  uint64_t len = 4096;
  std::memcpy(long_out.data() + sizeof(rwd_sb_record) + 8, &len, sizeof(len));
  EXPECT_THAT(DecodeBufferRecords(long_out, 1, Table()).status().message(),
              HasSubstr("longer than the record"));
  // Truncated.
  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + 16);
  EXPECT_FALSE(DecodeBufferRecords(cut, 1, Table()).ok());
}

}  // namespace
}  // namespace rwd::trace

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "trace/byte_codec.h"

namespace rwd::trace {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ByteCodecTest, VarintBytesAreLeb128) {
  ByteWriter w;
  w.PutUvarint(0);
  w.PutUvarint(127);
  w.PutUvarint(128);
  w.PutUvarint(300);
  EXPECT_THAT(w.bytes(), ElementsAre(0x00, 0x7f, 0x80, 0x01, 0xac, 0x02));
}

TEST(ByteCodecTest, SignedVarintsAreZigZag) {
  ByteWriter w;
  w.PutSvarint(0);
  w.PutSvarint(-1);
  w.PutSvarint(1);
  w.PutSvarint(-64);
  EXPECT_THAT(w.bytes(), ElementsAre(0x00, 0x01, 0x02, 0x7f));
}

TEST(ByteCodecTest, FixedWidthIsLittleEndian) {
  ByteWriter w;
  w.PutFixed32(0x11223344);
  w.PutFixed64(0x0102030405060708);
  EXPECT_THAT(w.bytes(), ElementsAre(0x44, 0x33, 0x22, 0x11, 0x08, 0x07, 0x06,
                                     0x05, 0x04, 0x03, 0x02, 0x01));
}

TEST(ByteCodecTest, RoundTripsExtremes) {
  const uint64_t unsigned_values[] = {0,
                                      1,
                                      127,
                                      128,
                                      16383,
                                      16384,
                                      uint64_t{1} << 63,
                                      std::numeric_limits<uint64_t>::max()};
  const int64_t signed_values[] = {0, -1, 1,
                                   std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max()};
  ByteWriter w;
  for (uint64_t v : unsigned_values) w.PutUvarint(v);
  for (int64_t v : signed_values) w.PutSvarint(v);
  w.PutString(std::string("a\0b", 3));
  w.PutBytes(std::vector<uint8_t>{9, 8, 7});
  w.PutStrings({"x", "", "yz"});
  w.PutBool(true);

  ByteReader r(w.bytes());
  for (uint64_t expected : unsigned_values) {
    uint64_t v = 0;
    ASSERT_TRUE(r.ReadUvarint(&v).ok());
    EXPECT_EQ(v, expected);
  }
  for (int64_t expected : signed_values) {
    int64_t v = 0;
    ASSERT_TRUE(r.ReadSvarint(&v).ok());
    EXPECT_EQ(v, expected);
  }
  std::string s;
  ASSERT_TRUE(r.ReadString(&s).ok());
  EXPECT_EQ(s, std::string("a\0b", 3));
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(r.ReadBytes(&bytes).ok());
  EXPECT_THAT(bytes, ElementsAre(9, 8, 7));
  std::vector<std::string> strings;
  ASSERT_TRUE(r.ReadStrings(&strings).ok());
  EXPECT_THAT(strings, ElementsAre("x", "", "yz"));
  bool b = false;
  ASSERT_TRUE(r.ReadBool(&b).ok());
  EXPECT_TRUE(b);
  EXPECT_TRUE(r.AtEnd());
}

TEST(ByteCodecTest, ReadingPastTheEndFails) {
  const std::vector<uint8_t> bytes = {0x01, 0x02};
  ByteReader r(bytes);
  uint32_t v32 = 0;
  Status status = r.ReadFixed32(&v32);
  EXPECT_EQ(status.code(), ErrorCode::kCorrupt);
  EXPECT_THAT(status.message(), HasSubstr("at byte 0"));
  EXPECT_EQ(r.offset(), 0u);
  uint8_t b = 0;
  EXPECT_TRUE(r.ReadU8(&b).ok());
  EXPECT_TRUE(r.ReadU8(&b).ok());
  EXPECT_FALSE(r.ReadU8(&b).ok());
}

TEST(ByteCodecTest, RejectsUnterminatedAndOverlongVarints) {
  uint64_t v = 0;
  const std::vector<uint8_t> unterminated = {0x80, 0x80};
  EXPECT_EQ(ByteReader(unterminated).ReadUvarint(&v).code(),
            ErrorCode::kCorrupt);

  std::vector<uint8_t> eleven(10, 0x80);
  eleven.push_back(0x00);
  EXPECT_EQ(ByteReader(eleven).ReadUvarint(&v).code(), ErrorCode::kCorrupt);

  std::vector<uint8_t> overflow(9, 0xff);
  overflow.push_back(0x02);  // bit 64
  EXPECT_EQ(ByteReader(overflow).ReadUvarint(&v).code(), ErrorCode::kCorrupt);
}

TEST(ByteCodecTest, Rejects32BitOverflow) {
  ByteWriter w;
  w.PutUvarint(uint64_t{1} << 32);
  w.PutSvarint(int64_t{1} << 31);
  ByteReader r(w.bytes());
  uint32_t u = 0;
  int32_t s = 0;
  EXPECT_EQ(r.ReadUvarint32(&u).code(), ErrorCode::kCorrupt);
  uint64_t skipped = 0;
  ASSERT_TRUE(r.ReadUvarint(&skipped).ok());  // a failed read consumes nothing
  EXPECT_EQ(r.ReadSvarint32(&s).code(), ErrorCode::kCorrupt);
}

TEST(ByteCodecTest, RefusesLengthsLongerThanTheData) {
  ByteWriter w;
  w.PutUvarint(std::numeric_limits<uint64_t>::max());  // absurd length
  ByteReader r(w.bytes());
  std::string s;
  Status status = r.ReadString(&s);
  EXPECT_EQ(status.code(), ErrorCode::kCorrupt);
  EXPECT_THAT(status.message(), HasSubstr("exceeds"));

  size_t count = 0;
  ByteWriter counted;
  counted.PutUvarint(3);
  counted.PutU8(0);
  counted.PutU8(0);
  counted.PutU8(0);
  EXPECT_TRUE(ByteReader(counted.bytes()).ReadCount(1, &count).ok());
  EXPECT_EQ(count, 3u);
  EXPECT_FALSE(ByteReader(counted.bytes()).ReadCount(2, &count).ok());
}

TEST(ByteCodecTest, BooleansAreStrict) {
  const std::vector<uint8_t> bytes = {2};
  bool b = false;
  EXPECT_EQ(ByteReader(bytes).ReadBool(&b).code(), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace rwd::trace

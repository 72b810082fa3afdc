// Traces damaged the ways real ones get damaged: cut short (recorder killed,
// disk full), bit rot, a newer format, or not a trace at all. Each must give
// a clear error or a clearly marked partial trace, never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <vector>

#include "tests/unit/trace_test_util.h"
#include "trace/chunk.h"
#include "trace/header.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace rwd::trace {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::NumberedEvent;
using testing::ReadBytes;
using testing::SampleHeader;
using testing::TempDir;
using testing::WriteBytes;

constexpr uint64_t kEventsPerChunk = 10;
constexpr int kChunks = 3;

// Writes a finished trace of kChunks chunks of kEventsPerChunk events and
// returns the byte offset of each chunk in the events file.
std::vector<uint64_t> WriteThreeChunkTrace(const std::string& dir) {
  auto writer = TraceWriter::Create(dir, SampleHeader());
  EXPECT_TRUE(writer.ok());
  for (uint64_t i = 0; i < kChunks * kEventsPerChunk; ++i) {
    EXPECT_TRUE((*writer)->Append(NumberedEvent(i)).ok());
    if ((i + 1) % kEventsPerChunk == 0) {
      EXPECT_TRUE((*writer)->Flush().ok());
    }
  }
  EXPECT_TRUE((*writer)->Finish().ok());

  std::vector<uint8_t> events = ReadBytes(dir + "/events");
  std::vector<uint64_t> offsets;
  for (uint64_t offset = 0; offset < events.size();) {
    offsets.push_back(offset);
    ChunkFrame frame;
    EXPECT_TRUE(DecodeChunkFrame({events.data() + offset, kChunkFrameBytes}, &frame).ok());
    offset += kChunkFrameBytes + frame.compressed_size;
  }
  EXPECT_EQ(offsets.size(), static_cast<size_t>(kChunks));
  return offsets;
}

void CutEventsFile(const std::string& dir, uint64_t size) {
  std::filesystem::resize_file(dir + "/events", size);
}

// Reads every event, checking each is NumberedEvent(n, payload_bytes);
// `read` counts those read before the end or an error.
Status ReadToEnd(TraceReader& reader, uint64_t* read, size_t payload_bytes = 16) {
  *read = 0;
  for (;;) {
    ASSIGN_OR_RETURN(std::optional<Event> event, reader.Next());
    if (!event) return Status::Ok();
    if (*event != NumberedEvent(*read, payload_bytes)) {
      return Error("event " + std::to_string(*read) + " differs");
    }
    ++*read;
  }
}

TEST(TraceDamageTest, CutInsideTheLastChunkKeepsTheChunksBefore) {
  TempDir tmp;
  std::vector<uint64_t> offsets = WriteThreeChunkTrace(tmp.path());
  const uint64_t last = offsets[2];
  for (uint64_t cut : {last + 1, last + 4, last + 17, last + kChunkFrameBytes - 1,
                       last + kChunkFrameBytes, last + kChunkFrameBytes + 5}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    TempDir copy;
    std::filesystem::copy(tmp.path(), copy.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    CutEventsFile(copy.path(), cut);
    // As a killed recorder leaves it: no `complete` marker.
    std::filesystem::remove(copy.Sub("complete"));
    auto reader = TraceReader::Open(copy.path());
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_TRUE((*reader)->truncated());
    EXPECT_FALSE((*reader)->complete());
    EXPECT_EQ((*reader)->event_count(), 2 * kEventsPerChunk);
    EXPECT_EQ((*reader)->incompleteness(),
              "recording was cut short: events end at 20; the trace has an "
              "incomplete chunk at byte offset " +
                  std::to_string(last));
    uint64_t read = 0;
    EXPECT_TRUE(ReadToEnd(**reader, &read).ok());
    EXPECT_EQ(read, 2 * kEventsPerChunk);
  }
}

// A trace that says it finished but lost its tail afterwards was damaged
// (a bad copy, a full disk while copying): corrupt, not cut short; the events
// before the damage still read.
TEST(TraceDamageTest, CutInsideTheLastChunkOfAFinishedTraceIsCorrupt) {
  TempDir tmp;
  std::vector<uint64_t> offsets = WriteThreeChunkTrace(tmp.path());
  const uint64_t last = offsets[2];
  CutEventsFile(tmp.path(), last + kChunkFrameBytes + 5);
  auto reader = TraceReader::Open(tmp.path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->corrupt());
  EXPECT_FALSE((*reader)->complete());
  EXPECT_EQ((*reader)->incompleteness(),
            "the trace is corrupt: the recording finished with 30 events but its events end at "
            "20, followed by an incomplete chunk at byte offset " +
                std::to_string(last));
  EXPECT_THAT((*reader)->incompleteness(), Not(HasSubstr("cut short")));
  uint64_t read = 0;
  EXPECT_TRUE(ReadToEnd(**reader, &read).ok());
  EXPECT_EQ(read, 2 * kEventsPerChunk);
}

TEST(TraceDamageTest, CutAtAChunkBoundaryDisagreesWithTheEndMarker) {
  TempDir tmp;
  std::vector<uint64_t> offsets = WriteThreeChunkTrace(tmp.path());
  CutEventsFile(tmp.path(), offsets[1]);
  auto reader = TraceReader::Open(tmp.path());
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->complete());
  EXPECT_FALSE((*reader)->truncated());
  EXPECT_EQ((*reader)->event_count(), kEventsPerChunk);
  EXPECT_TRUE((*reader)->corrupt());
  EXPECT_THAT((*reader)->incompleteness(), HasSubstr("corrupt"));
  EXPECT_THAT((*reader)->incompleteness(), HasSubstr("events end at 10"));
  EXPECT_THAT((*reader)->incompleteness(), HasSubstr("finished with 30 events"));
}

TEST(TraceDamageTest, EmptyEventsFileWithoutMarker) {
  TempDir tmp;
  WriteThreeChunkTrace(tmp.path());
  CutEventsFile(tmp.path(), 0);
  std::filesystem::remove(tmp.Sub("complete"));
  auto reader = TraceReader::Open(tmp.path());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->event_count(), 0u);
  EXPECT_EQ((*reader)->incompleteness(),
            "recording was cut short (it did not finish normally); events end at 0");
}

TEST(TraceDamageTest, CorruptPayloadNamesTheChunk) {
  TempDir tmp;
  std::vector<uint64_t> offsets = WriteThreeChunkTrace(tmp.path());
  std::vector<uint8_t> events = ReadBytes(tmp.Sub("events"));
  events[offsets[1] + kChunkFrameBytes + 3] ^= 0x40;
  WriteBytes(tmp.Sub("events"), events);

  auto reader = TraceReader::Open(tmp.path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->complete());  // damage shows only when read
  uint64_t read = 0;
  Status status = ReadToEnd(**reader, &read);
  EXPECT_EQ(read, kEventsPerChunk);
  EXPECT_EQ(status.code(), ErrorCode::kCorrupt);
  EXPECT_EQ(status.message(), "events chunk 1 at byte offset " + std::to_string(offsets[1]) +
                                  " is corrupt (checksum mismatch)");
  // The cursor stays put, and chunks on either side remain readable.
  EXPECT_EQ((*reader)->position(), kEventsPerChunk);
  EXPECT_EQ((*reader)->Seek(15).code(), ErrorCode::kCorrupt);
  ASSERT_TRUE((*reader)->Seek(25).ok());
  auto next = (*reader)->Next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ(**next, NumberedEvent(25));
  ASSERT_TRUE((*reader)->Seek(3).ok());
}

TEST(TraceDamageTest, BadFrameMagicFailsOpenNamingTheOffset) {
  TempDir tmp;
  std::vector<uint64_t> offsets = WriteThreeChunkTrace(tmp.path());
  std::vector<uint8_t> events = ReadBytes(tmp.Sub("events"));
  events[offsets[2]] = 'X';
  WriteBytes(tmp.Sub("events"), events);
  auto reader = TraceReader::Open(tmp.path());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(reader.status().message(), "events chunk 2 at byte offset " +
                                           std::to_string(offsets[2]) +
                                           " is corrupt (bad chunk magic)");
}

// No single flipped bit anywhere in the events file may go unnoticed: it
// must fail Open, fail a read, or show as a shorter, truncated trace.
TEST(TraceDamageTest, EveryBitFlipInEventsIsNoticed) {
  TempDir tmp;
  WriteThreeChunkTrace(tmp.path());
  const std::vector<uint8_t> original = ReadBytes(tmp.Sub("events"));
  std::mt19937 rng(99);
  for (size_t i = 0; i < original.size(); ++i) {
    std::vector<uint8_t> damaged = original;
    damaged[i] ^= static_cast<uint8_t>(1u << (rng() % 8));
    WriteBytes(tmp.Sub("events"), damaged);
    auto reader = TraceReader::Open(tmp.path());
    if (!reader.ok()) {
      EXPECT_EQ(reader.status().code(), ErrorCode::kCorrupt) << "byte " << i;
      continue;
    }
    uint64_t read = 0;
    Status status = ReadToEnd(**reader, &read);
    bool noticed = !status.ok() || (*reader)->truncated() || !(*reader)->complete();
    EXPECT_TRUE(noticed) << "flip at byte " << i << " went unnoticed";
  }
}

TEST(TraceDamageTest, EveryBitFlipInHeaderFailsOpen) {
  TempDir tmp;
  WriteThreeChunkTrace(tmp.path());
  const std::vector<uint8_t> original = ReadBytes(tmp.Sub("header"));
  for (size_t i = 0; i < original.size(); ++i) {
    std::vector<uint8_t> damaged = original;
    damaged[i] ^= 0x10;
    WriteBytes(tmp.Sub("header"), damaged);
    EXPECT_FALSE(TraceReader::Open(tmp.path()).ok()) << "byte " << i;
  }
}

// Version 1 is the single-thread format before threads and processes, 2 and
// 3 those whose files/ could hold hard links to system files, 4 and 5 those
// whose fingerprints lack hashes_globals or stack_window, 6 those whose
// fingerprints lack vector_hash, 7 those whose stack hash leaves out the
// heap, 8 those without writes into mapped files, 9 those whose signals
// cannot name their pass, 10 those whose batches of buffered syscalls are
// SyscallEvents, 11 those whose signals do not hash all writable memory; 13
// is one from the future.
TEST(TraceDamageTest, OtherFormatVersion) {
  for (uint8_t version : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13}) {
    SCOPED_TRACE("version " + std::to_string(version));
    TempDir tmp;
    WriteThreeChunkTrace(tmp.path());
    std::vector<uint8_t> header = ReadBytes(tmp.Sub("header"));
    header[8] = version;  // u32 version follows the 8-byte magic
    WriteBytes(tmp.Sub("header"), header);
    auto reader = TraceReader::Open(tmp.path());
    ASSERT_FALSE(reader.ok());
    EXPECT_EQ(reader.status().code(), ErrorCode::kVersion);
    EXPECT_EQ(reader.status().message(), "trace " + tmp.path() + " has format version " +
                                             std::to_string(version) +
                                             "; this rewind reads version 12");
  }
}

TEST(TraceDamageTest, WrongMagic) {
  TempDir tmp;
  WriteThreeChunkTrace(tmp.path());
  std::vector<uint8_t> header = ReadBytes(tmp.Sub("header"));
  header[0] = 'X';
  WriteBytes(tmp.Sub("header"), header);
  auto reader = TraceReader::Open(tmp.path());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(reader.status().message(), "not a rewind trace: " + tmp.path());
}

TEST(TraceDamageTest, GarbageOrShortHeader) {
  TempDir tmp;
  WriteThreeChunkTrace(tmp.path());
  std::mt19937 rng(7);
  std::vector<uint8_t> garbage(300);
  for (uint8_t& b : garbage) b = static_cast<uint8_t>(rng());
  const std::vector<uint8_t> magic = {'R', 'W', 'N', 'D', 'T', 'R', 'C', 0};
  const auto version = static_cast<uint8_t>(kFormatVersion);
  std::vector<uint8_t> cut_in_version = magic;
  cut_in_version.insert(cut_in_version.end(), {version, 0});
  const std::vector<std::vector<uint8_t>> headers = {{}, {'R', 'W'}, garbage, cut_in_version};
  for (const std::vector<uint8_t>& header : headers) {
    WriteBytes(tmp.Sub("header"), header);
    auto reader = TraceReader::Open(tmp.path());
    ASSERT_FALSE(reader.ok());
    EXPECT_EQ(reader.status().code(), ErrorCode::kCorrupt) << header.size();
  }
  // The current version, so it is the body that fails.
  std::vector<uint8_t> bad_body = magic;
  bad_body.insert(bad_body.end(), {version, 0, 0, 0});
  bad_body.insert(bad_body.end(), garbage.begin(), garbage.end());
  WriteBytes(tmp.Sub("header"), bad_body);
  auto reader = TraceReader::Open(tmp.path());
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(reader.status().message(), HasSubstr("checksum mismatch"));
}

TEST(TraceDamageTest, MissingDirectoryOrHeader) {
  TempDir tmp;
  auto missing = TraceReader::Open(tmp.Sub("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(tmp.Sub("nope")));

  auto empty_dir = TraceReader::Open(tmp.path());
  ASSERT_FALSE(empty_dir.ok());
  EXPECT_EQ(empty_dir.status().code(), ErrorCode::kNotFound);
  EXPECT_THAT(empty_dir.status().message(), HasSubstr("not a rewind trace"));

  testing::WriteText(tmp.Sub("plain"), "hello");
  auto plain_file = TraceReader::Open(tmp.Sub("plain"));
  ASSERT_FALSE(plain_file.ok());
  EXPECT_EQ(plain_file.status().code(), ErrorCode::kNotFound);
}

// A full disk (here: a file size limit) fails the chunk write with a system
// error, and the trace stays readable up to the chunk before.
TEST(TraceDamageTest, WriteFailureKeepsEarlierChunks) {
  TempDir tmp;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
    auto writer = TraceWriter::Create(tmp.path(), SampleHeader());
    rlimit limit{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    Status status;
    uint64_t i = 0;
    for (; status.ok() && i < 100000; ++i) {
      status = (*writer)->Append(NumberedEvent(i, 2000));
      if (status.ok() && i % 8 == 7) status = (*writer)->Flush();
    }
    std::string report = status.ToString();
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof(buf))) > 0;) report.append(buf, n);
  ::close(pipe_fds[0]);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  EXPECT_THAT(report, HasSubstr("system error: writing " + tmp.path() + "/events"));
  EXPECT_THAT(report, HasSubstr("File too large"));
  EXPECT_THAT(report, HasSubstr("the trace keeps events before"));

  auto reader = TraceReader::Open(tmp.path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_FALSE((*reader)->complete());
  EXPECT_GT((*reader)->event_count(), 0u);
  uint64_t read = 0;
  EXPECT_TRUE(ReadToEnd(**reader, &read, 2000).ok());
  EXPECT_EQ(read, (*reader)->event_count());
}

}  // namespace
}  // namespace rwd::trace

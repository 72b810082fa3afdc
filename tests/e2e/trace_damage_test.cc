// Damaged traces: cut short (recorder killed, disk full), corrupted chunks,
// a format version from the future, not a trace at all. rewind must say what
// is wrong, never crash, and replay what can be trusted. Exit statuses are
// only checked to be non-zero.
//
// The tests know the documented on-disk layout (trace/trace_writer.h,
// trace/chunk.h): files `header`, `events`, `complete`; the header starts
// with "RWNDTRC\0" and a little-endian u32 version; each chunk of `events`
// is a 32-byte frame (u32 magic "RWCK", u32 compressed size, ...) followed
// by its compressed payload.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kChunkMagic = 0x4B435752;  // "RWCK"
constexpr size_t kChunkFrameBytes = 32;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

uint32_t LoadU32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, bytes.data() + at, sizeof(v));  // x86-64 and AArch64 are little-endian
  return v;
}

// Byte offsets of the chunk frames in an `events` file.
std::vector<size_t> ChunkOffsets(const std::string& events) {
  std::vector<size_t> offsets;
  size_t at = 0;
  while (at + kChunkFrameBytes <= events.size() && LoadU32(events, at) == kChunkMagic) {
    offsets.push_back(at);
    at += kChunkFrameBytes + LoadU32(events, at + 4);
  }
  return offsets;
}

bool IsPrefix(const std::string& prefix, const std::string& text) {
  return text.compare(0, prefix.size(), prefix) == 0 && prefix.size() <= text.size();
}

::testing::AssertionResult SaysCutShort(const RunResult& r) {
  ::testing::AssertionResult a = Contains(r.err, "cut short", true);
  return a ? a : Contains(r.err, "truncated", true);
}

class TraceDamageTest : public E2ETest {
 protected:
  // A copy of `trace` to damage; the original stays intact.
  std::string CopyOf(const std::string& trace) {
    std::string copy = NewPath("damaged");
    fs::copy(trace, copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    return copy;
  }

  // rewind must have failed cleanly: not a crash, not a hang, not success.
  static void ExpectCleanFailure(const RunResult& r) {
    EXPECT_FALSE(r.timed_out) << r.Describe();
    EXPECT_FALSE(r.Crashed()) << r.Describe();
    EXPECT_NE(r.exit_status, 0) << r.Describe();
    EXPECT_TRUE(AnyLineMatches(r.err, "^rewind: ")) << "errors are reported as \"rewind: ...\"";
  }

  Recording RecordOk(const std::string& program) {
    Recording rec = Record(program);
    EXPECT_EQ(rec.exit_status, 0) << rec.Describe();
    return rec;
  }
};

TEST_F(TraceDamageTest, TraceCutShortReplaysWhatIsThere) {
  Recording rec = RecordOk("chunky_output");
  ASSERT_EQ(rec.exit_status, 0);
  const std::string events = ReadFile(rec.trace + "/events");
  const std::vector<size_t> chunks = ChunkOffsets(events);
  ASSERT_GE(chunks.size(), 2u) << "48 x 64 KiB of recorded reads should fill several chunks";

  // As a killed recorder leaves it: no `complete` marker, a partial last chunk.
  const size_t in_second_chunk = chunks[1] + kChunkFrameBytes + 100;
  int cuts_keeping_writes = 0;
  for (size_t cut : {size_t{0}, size_t{13}, events.size() / 3, in_second_chunk, events.size() / 2,
                     events.size() - 1}) {
    SCOPED_TRACE("events cut to " + std::to_string(cut) + " of " + std::to_string(events.size()) +
                 " bytes");
    std::string trace = CopyOf(rec.trace);
    fs::remove(trace + "/complete");
    fs::resize_file(trace + "/events", cut);

    RunResult replay = ReplayAutopilot(trace);
    ExpectCleanFailure(replay);
    EXPECT_TRUE(SaysCutShort(replay));
    EXPECT_TRUE(IsPrefix(replay.out, rec.out)) << "replay printed what was never recorded:\n"
                                               << replay.out;
    // The recorder closes a chunk every half second too, so on a loaded
    // machine the first one may end before the first write: ask the trace
    // which writes its whole chunks hold.
    int kept_writes = 0;
    for (const std::string& line : Lines(Dump(trace).out)) {
      kept_writes += Contains(line, " write(1, ") ? 1 : 0;
    }
    cuts_keeping_writes += kept_writes > 0 ? 1 : 0;
    if (kept_writes > 0) {
      EXPECT_FALSE(replay.out.empty()) << kept_writes << " writes in whole chunks, none replayed";
    }
  }
  EXPECT_GE(cuts_keeping_writes, 2) << "cuts past the middle keep whole chunks with writes";
}

TEST_F(TraceDamageTest, CutEventsDespiteCompleteMarker) {
  Recording rec = RecordOk("chunky_output");
  ASSERT_EQ(rec.exit_status, 0);
  const std::string events = ReadFile(rec.trace + "/events");
  const std::vector<size_t> chunks = ChunkOffsets(events);
  ASSERT_GE(chunks.size(), 2u);
  const size_t size = events.size();
  const size_t last = chunks.back();
  // Inside a frame, inside the last payload, one byte short, and exactly at
  // the last chunk's start (whole chunks missing, nothing partial left).
  for (size_t cut : {size_t{13}, last + (size - last) / 2, size - 1, last}) {
    SCOPED_TRACE("events cut to " + std::to_string(cut) + " of " + std::to_string(size) +
                 " bytes, `complete` kept");
    std::string trace = CopyOf(rec.trace);
    fs::resize_file(trace + "/events", cut);

    RunResult replay = ReplayAutopilot(trace);
    ExpectCleanFailure(replay);
    // The recording finished; the damage came later.
    EXPECT_TRUE(Contains(replay.err, "corrupt", true)) << replay.err;
    EXPECT_FALSE(SaysCutShort(replay)) << replay.err;
    EXPECT_TRUE(IsPrefix(replay.out, rec.out));
  }
}

TEST_F(TraceDamageTest, DumpOfTraceCutShortSaysSo) {
  Recording rec = RecordOk("random_bytes");
  ASSERT_EQ(rec.exit_status, 0);
  std::string trace = CopyOf(rec.trace);
  fs::remove(trace + "/complete");
  fs::resize_file(trace + "/events", fs::file_size(trace + "/events") / 2);

  RunResult dump = Dump(trace);
  EXPECT_FALSE(dump.Crashed()) << dump.Describe();
  EXPECT_FALSE(dump.timed_out);
  ::testing::AssertionResult said = Contains(dump.out + dump.err, "cut short", true);
  EXPECT_TRUE(said ? said : Contains(dump.out + dump.err, "truncated", true));
}

TEST_F(TraceDamageTest, CorruptChunkIsReported) {
  Recording rec = RecordOk("chunky_output");
  ASSERT_EQ(rec.exit_status, 0);
  std::string events = ReadFile(rec.trace + "/events");
  const std::vector<size_t> chunks = ChunkOffsets(events);
  ASSERT_GE(chunks.size(), 2u);

  // Flip 16 bytes in the middle of the second chunk's payload.
  const size_t payload = chunks[1] + kChunkFrameBytes;
  const size_t middle = payload + LoadU32(events, chunks[1] + 4) / 2;
  for (size_t i = middle; i < middle + 16; ++i) events[i] = static_cast<char>(~events[i]);
  std::string trace = CopyOf(rec.trace);
  WriteFile(trace + "/events", events);

  RunResult replay = ReplayAutopilot(trace);
  ExpectCleanFailure(replay);
  EXPECT_TRUE(Contains(replay.err, "corrupt", true));
  EXPECT_TRUE(IsPrefix(replay.out, rec.out));

  RunResult dump = Dump(trace);
  ExpectCleanFailure(dump);
  EXPECT_TRUE(Contains(dump.err, "corrupt", true));
}

TEST_F(TraceDamageTest, CorruptSingleChunkIsReported) {
  Recording rec = RecordOk("random_bytes");
  ASSERT_EQ(rec.exit_status, 0);
  std::string events = ReadFile(rec.trace + "/events");
  ASSERT_GT(events.size(), 2 * kChunkFrameBytes);
  for (size_t i = events.size() / 2; i < events.size() / 2 + 8; ++i) {
    events[i] = static_cast<char>(events[i] ^ 0x5a);
  }
  std::string trace = CopyOf(rec.trace);
  WriteFile(trace + "/events", events);

  RunResult replay = ReplayAutopilot(trace);
  ExpectCleanFailure(replay);
  EXPECT_TRUE(Contains(replay.err, "corrupt", true));
}

TEST_F(TraceDamageTest, FutureFormatVersionIsRefused) {
  Recording rec = RecordOk("random_bytes");
  ASSERT_EQ(rec.exit_status, 0);
  std::string trace = CopyOf(rec.trace);
  std::string header = ReadFile(trace + "/header");
  ASSERT_GE(header.size(), 12u);
  ASSERT_EQ(header.substr(0, 8), std::string("RWNDTRC\0", 8)) << "header magic";
  const uint32_t version = 999;
  std::memcpy(header.data() + 8, &version, sizeof(version));
  WriteFile(trace + "/header", header);

  RunResult replay = ReplayAutopilot(trace);
  ExpectCleanFailure(replay);
  EXPECT_TRUE(Contains(replay.err, "version", true));
  EXPECT_EQ(replay.out, "") << "nothing may be replayed from a trace of unknown format";

  RunResult dump = Dump(trace);
  ExpectCleanFailure(dump);
  EXPECT_TRUE(Contains(dump.err, "version", true));
}

TEST_F(TraceDamageTest, NotATraceIsRefused) {
  std::string trace = NewPath("not-a-trace");
  fs::create_directories(trace);
  WriteFile(trace + "/header", "this is not a rewind trace header\n");
  WriteFile(trace + "/events", std::string(4096, 'x'));

  ExpectCleanFailure(ReplayAutopilot(trace));
  ExpectCleanFailure(Dump(trace));
}

TEST_F(TraceDamageTest, MissingTraceDirectoryIsReported) {
  std::string trace = NewPath("no-such-trace");
  RunResult replay = ReplayAutopilot(trace);
  ExpectCleanFailure(replay);
  EXPECT_TRUE(Contains(replay.err, trace));
}

}  // namespace
}  // namespace rwd::e2e

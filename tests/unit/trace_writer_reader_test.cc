#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "tests/unit/trace_test_util.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace rwd::trace {
namespace {

using ::testing::HasSubstr;
using testing::NumberedEvent;
using testing::SampleEvents;
using testing::SampleHeader;
using testing::TempDir;

std::unique_ptr<TraceWriter> CreateWriter(const std::string& dir) {
  auto writer = TraceWriter::Create(dir, SampleHeader());
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  return writer.ok() ? std::move(*writer) : nullptr;
}

std::unique_ptr<TraceReader> OpenReader(const std::string& dir) {
  auto reader = TraceReader::Open(dir);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return reader.ok() ? std::move(*reader) : nullptr;
}

// Reads events until the end or an error.
std::vector<Event> ReadAll(TraceReader& reader) {
  std::vector<Event> events;
  for (;;) {
    auto next = reader.Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) return events;
    events.push_back(std::move(**next));
  }
}

TEST(TraceWriterReaderTest, RoundTripsHeaderAndEveryKind) {
  TempDir tmp;
  std::string dir = tmp.Sub("trace");
  auto writer = CreateWriter(dir);
  for (const Event& event : SampleEvents()) ASSERT_TRUE(writer->Append(event).ok());
  EXPECT_EQ(writer->events_written(), SampleEvents().size());
  ASSERT_TRUE(writer->Finish().ok());

  auto reader = OpenReader(dir);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->header(), SampleHeader());
  EXPECT_EQ(reader->header().format_version, kFormatVersion);
  EXPECT_TRUE(reader->complete());
  EXPECT_FALSE(reader->truncated());
  EXPECT_EQ(reader->incompleteness(), "");
  EXPECT_EQ(reader->event_count(), SampleEvents().size());
  EXPECT_EQ(ReadAll(*reader), SampleEvents());
  EXPECT_EQ(reader->position(), SampleEvents().size());
  EXPECT_EQ(reader->dir(), dir);
}

TEST(TraceWriterReaderTest, FilesHaveTheirMagic) {
  TempDir tmp;
  auto writer = CreateWriter(tmp.path());
  ASSERT_TRUE(writer->Append(SampleEvents()[0]).ok());
  ASSERT_TRUE(writer->Finish().ok());
  std::vector<uint8_t> header = testing::ReadBytes(tmp.Sub("header"));
  ASSERT_GE(header.size(), 12u);
  EXPECT_EQ(std::string(header.begin(), header.begin() + 12),
            std::string("RWNDTRC\0\x0c\0\0\0", 12));  // magic, format version 12
  std::vector<uint8_t> events = testing::ReadBytes(tmp.Sub("events"));
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(std::string(events.begin(), events.begin() + 4), "RWCK");
}

TEST(TraceWriterReaderTest, EmptyTrace) {
  TempDir tmp;
  ASSERT_TRUE(CreateWriter(tmp.path())->Finish().ok());
  auto reader = OpenReader(tmp.path());
  EXPECT_TRUE(reader->complete());
  EXPECT_EQ(reader->event_count(), 0u);
  auto next = reader->Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_TRUE(reader->Seek(0).ok());
}

TEST(TraceWriterReaderTest, ManyEventsSpanSeveralChunks) {
  TempDir tmp;
  constexpr uint64_t kEvents = 5000;  // ~1 KiB each: about 5 chunks
  auto writer = CreateWriter(tmp.path());
  for (uint64_t i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(writer->Append(NumberedEvent(i, 1000)).ok());
  }
  ASSERT_TRUE(writer->Finish().ok());

  auto reader = OpenReader(tmp.path());
  ASSERT_EQ(reader->event_count(), kEvents);
  for (uint64_t i = 0; i < kEvents; ++i) {
    ASSERT_EQ(reader->position(), i);
    auto next = reader->Next();
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    ASSERT_TRUE(next->has_value());
    ASSERT_EQ(**next, NumberedEvent(i, 1000)) << "event " << i;
  }
  auto end = reader->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST(TraceWriterReaderTest, SeeksAnywhere) {
  TempDir tmp;
  constexpr uint64_t kEvents = 3000;
  auto writer = CreateWriter(tmp.path());
  for (uint64_t i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(writer->Append(NumberedEvent(i, 1000)).ok());
  }
  ASSERT_TRUE(writer->Finish().ok());

  auto reader = OpenReader(tmp.path());
  for (uint64_t target : {2999ull, 0ull, 1500ull, 1ull, 1024ull, 1023ull, 2000ull, 2000ull}) {
    ASSERT_TRUE(reader->Seek(target).ok()) << target;
    EXPECT_EQ(reader->position(), target);
    auto next = reader->Next();
    ASSERT_TRUE(next.ok() && next->has_value()) << target;
    EXPECT_EQ(**next, NumberedEvent(target, 1000));
    EXPECT_EQ(reader->position(), target + 1);
  }
  ASSERT_TRUE(reader->Seek(kEvents).ok());
  auto end = reader->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());

  Status beyond = reader->Seek(kEvents + 1);
  EXPECT_EQ(beyond.code(), ErrorCode::kInvalidInput);
  EXPECT_THAT(beyond.message(), HasSubstr("3000 readable events"));
}

TEST(TraceWriterReaderTest, EventLargerThanAChunk) {
  TempDir tmp;
  auto writer = CreateWriter(tmp.path());
  ASSERT_TRUE(writer->Append(NumberedEvent(0)).ok());
  ASSERT_TRUE(writer->Append(NumberedEvent(1, 3 * TraceWriter::kChunkBytes)).ok());
  ASSERT_TRUE(writer->Append(NumberedEvent(2)).ok());
  ASSERT_TRUE(writer->Finish().ok());
  auto reader = OpenReader(tmp.path());
  std::vector<Event> events = ReadAll(*reader);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1], NumberedEvent(1, 3 * TraceWriter::kChunkBytes));
}

TEST(TraceWriterReaderTest, UnfinishedWriterKeepsAppendedEvents) {
  TempDir tmp;
  {
    auto writer = CreateWriter(tmp.path());
    for (uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(writer->Append(NumberedEvent(i)).ok());
  }  // destroyed without Finish()
  auto reader = OpenReader(tmp.path());
  EXPECT_FALSE(reader->complete());
  EXPECT_FALSE(reader->truncated());
  EXPECT_EQ(reader->event_count(), 8u);
  EXPECT_EQ(reader->incompleteness(),
            "recording was cut short (it did not finish normally); events end at 8");
}

// A recorder killed outright loses only the events it had not flushed.
TEST(TraceWriterReaderTest, KilledRecorderLosesOnlyTheCurrentChunk) {
  TempDir tmp;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto writer = TraceWriter::Create(tmp.path(), SampleHeader());
    bool ok = writer.ok();
    for (uint64_t i = 0; ok && i < 5; ++i) ok = (*writer)->Append(NumberedEvent(i)).ok();
    ok = ok && (*writer)->Flush().ok();
    for (uint64_t i = 5; ok && i < 8; ++i) ok = (*writer)->Append(NumberedEvent(i)).ok();
    ::_exit(ok ? 0 : 1);  // no destructors: like SIGKILL
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  auto reader = OpenReader(tmp.path());
  EXPECT_FALSE(reader->complete());
  EXPECT_EQ(reader->event_count(), 5u);
  EXPECT_EQ(ReadAll(*reader).size(), 5u);
}

TEST(TraceWriterReaderTest, AppendAfterFinishFails) {
  TempDir tmp;
  auto writer = CreateWriter(tmp.path());
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_TRUE(writer->Finish().ok());
  Status status = writer->Append(NumberedEvent(0));
  EXPECT_EQ(status.code(), ErrorCode::kInvalidInput);
  EXPECT_THAT(status.message(), HasSubstr("finished"));
}

TEST(TraceWriterReaderTest, RefusesToOverwriteATrace) {
  TempDir tmp;
  ASSERT_TRUE(CreateWriter(tmp.path())->Finish().ok());
  auto again = TraceWriter::Create(tmp.path(), SampleHeader());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kInvalidInput);
  EXPECT_THAT(again.status().message(), HasSubstr("already holds a trace"));
}

TEST(TraceWriterReaderTest, CreateInMissingParentFails) {
  TempDir tmp;
  auto writer = TraceWriter::Create(tmp.Sub("no/such/dir"), SampleHeader());
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), ErrorCode::kSystem);
  EXPECT_THAT(writer.status().message(), HasSubstr("no/such/dir"));
}

// The header holds the environment and the events every byte read: private
// whatever the umask.
TEST(TraceWriterReaderTest, TraceIsPrivate) {
  TempDir tmp;
  mode_t old_umask = ::umask(0);
  auto writer = CreateWriter(tmp.Sub("t"));
  ASSERT_TRUE(writer->Append(NumberedEvent(0)).ok());
  ASSERT_TRUE(writer->Finish().ok());
  ::umask(old_umask);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(tmp.Sub("t"))) {
    mode_t expected = entry.is_directory() ? 0700 : 0600;
    struct stat st {};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, expected) << entry.path();
  }
  struct stat st {};
  ASSERT_EQ(::stat(tmp.Sub("t").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

}  // namespace
}  // namespace rwd::trace

// Snapshot files (trace/snapshot_codec.h, trace/snapshot_store.h): what is
// written reads back the same, pages resolve across files, and a file cut
// short, damaged, or of another version is refused with a clear error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "tests/unit/trace_test_util.h"
#include "trace/snapshot_codec.h"
#include "trace/snapshot_store.h"

namespace rwd::trace {
namespace {

using ::testing::HasSubstr;
using testing::ReadBytes;
using testing::TempDir;
using testing::WriteBytes;

std::vector<uint8_t> Page(uint8_t fill, uint64_t tag) {
  std::vector<uint8_t> p(kSnapshotPageBytes, fill);
  memcpy(p.data(), &tag, sizeof tag);
  return p;
}

// Snapshot `seq` of a process with a 3-page heap at 0x10000; `refs` name
// its pages.
Snapshot Sample(uint32_t seq, std::vector<PageRef> refs, uint32_t stored) {
  Snapshot s;
  s.seq = seq;
  s.event = 1000 + seq;
  s.pid = 42;
  s.current_tid = 43;
  s.exec_path = "/bin/prog";
  s.exec_event = 2;
  s.brk = 0x20000;
  SnapshotThread t;
  t.tid = 42;
  t.regs.assign(320, 7);
  t.fp.assign(512, 9);
  t.regsets.push_back({0x200, {1, 2, 3}});
  t.sigmask = 0x8000;
  t.clear_child_tid = 0x7000;
  t.name = "worker";
  t.altstack.assign(24, 6);
  t.robust_list = 0x7100;
  t.robust_list_len = 24;
  s.threads = {t, t};
  s.threads[1].tid = 43;
  s.threads[1].altstack.clear();
  s.threads[1].robust_list = 0;
  s.maps.push_back({0x10000, 0x13000, 3, false, 0, "", ""});
  s.maps.push_back({0x400000, 0x401000, 5, false, 0x1000, "/bin/prog", "abc123"});
  s.pages.push_back(PageRun{0x10000, std::move(refs)});
  s.patches.push_back({0x400010, {0x0f, 0x31}, 1, 2, -1, 8, true});
  s.vdso_syscall_insn = 0x7fff0010;
  s.patch_tsc_reads = true;
  s.sigactions.push_back({10, std::vector<uint8_t>(32, 5)});
  s.stored_pages = stored;
  s.stop_us = 1500;
  s.fork_us = 1400;
  return s;
}

std::vector<uint8_t> Concat(const std::vector<std::vector<uint8_t>>& pages) {
  std::vector<uint8_t> out;
  for (const auto& p : pages) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(SnapshotCodecTest, RoundTrips) {
  Snapshot s = Sample(0, {{0, 0}, {PageRef::kZero, 0}, {0, 1}}, 2);
  std::vector<uint8_t> pages = Concat({Page(1, 1), Page(2, 2)});
  auto file = EncodeSnapshotFileWithPages(s, pages);
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto decoded = DecodeSnapshotFile(*file);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->snapshot, s);
  EXPECT_EQ(decoded->pages, pages);
  auto header =
      DecodeSnapshotHeader(std::span(*file).subspan(0, kSnapshotHeaderBytes), file->size());
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->event, 1000u);
  EXPECT_EQ(header->stored_pages, 2u);
  EXPECT_EQ(header->stop_us, 1500u);
}

TEST(SnapshotCodecTest, ASnapshotOfASetOfProcessesRoundTripsAsVersion2) {
  Snapshot one = Sample(0, {{0, 0}}, 1);
  one.threads.resize(1);
  Snapshot s = one;
  s.processes = 3;
  s.parent_pid = 41;
  s.threads[0].parked = true;
  std::vector<uint8_t> pages = Page(1, 1);
  for (const Snapshot* snap : {&one, &s}) {
    auto file = EncodeSnapshotFileWithPages(*snap, pages);
    ASSERT_TRUE(file.ok()) << file.status().message();
    auto decoded = DecodeSnapshotFile(*file);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->snapshot, *snap);
    auto header =
        DecodeSnapshotHeader(std::span(*file).subspan(0, kSnapshotHeaderBytes), file->size());
    ASSERT_TRUE(header.ok()) << header.status().message();
    // A process alone stays readable by versions of rewind before sets.
    EXPECT_EQ(header->version, snap->processes > 1 ? 2u : 1u);
  }
}

TEST(SnapshotCodecTest, ThreadsWithASyscallBufferRoundTripAsVersion3) {
  for (uint32_t processes : {1u, 2u}) {
    Snapshot s = Sample(0, {{0, 0}}, 1);
    s.processes = processes;
    s.threads[0].syscallbuf = 0x70100000;
    s.threads[1].syscallbuf = 0x70140000;
    auto file = EncodeSnapshotFileWithPages(s, Page(1, 1));
    ASSERT_TRUE(file.ok()) << file.status().message();
    auto decoded = DecodeSnapshotFile(*file);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->snapshot, s);
    auto header =
        DecodeSnapshotHeader(std::span(*file).subspan(0, kSnapshotHeaderBytes), file->size());
    ASSERT_TRUE(header.ok()) << header.status().message();
    // Older versions of rewind, which restore no buffer, refuse it by its version.
    EXPECT_EQ(header->version, 3u);
    auto description = DecodeSnapshotDescription(
        *header, std::span(*file).subspan(kSnapshotHeaderBytes, header->description_z));
    ASSERT_TRUE(description.ok()) << description.status().message();
    EXPECT_EQ(description->threads[1].syscallbuf, 0x70140000u);
  }
}

TEST(SnapshotCodecTest, SeveralThreadsRoundTripAsVersion3WithTheThreadsParked) {
  for (uint32_t processes : {1u, 2u}) {
    Snapshot s = Sample(0, {{0, 0}}, 1);
    s.processes = processes;
    s.threads[1].parked = true;
    auto file = EncodeSnapshotFileWithPages(s, Page(1, 1));
    ASSERT_TRUE(file.ok()) << file.status().message();
    auto decoded = DecodeSnapshotFile(*file);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->snapshot, s);
    EXPECT_TRUE(decoded->snapshot.threads[1].parked);
    auto header =
        DecodeSnapshotHeader(std::span(*file).subspan(0, kSnapshotHeaderBytes), file->size());
    ASSERT_TRUE(header.ok()) << header.status().message();
    // Version 1 would lose which thread waits in a syscall.
    EXPECT_EQ(header->version, 3u);
  }
}

TEST(SnapshotCodecTest, ForkAdviceRoundTripsAsVersion4) {
  Snapshot s = Sample(0, {{0, 0}}, 1);
  s.dont_fork = {{0x10000, 0x14000}, {0x7f0000000000, 0x7f0000100000}};
  s.wipe_on_fork = {{0x20000, 0x21000}};
  auto file = EncodeSnapshotFileWithPages(s, Page(1, 1));
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto decoded = DecodeSnapshotFile(*file);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->snapshot, s);
  auto header =
      DecodeSnapshotHeader(std::span(*file).subspan(0, kSnapshotHeaderBytes), file->size());
  ASSERT_TRUE(header.ok()) << header.status().message();
  // Older versions of rewind would restore the memory without its advice.
  EXPECT_EQ(header->version, 4u);
  // Without advice, the version stays what the rest needs.
  s.dont_fork.clear();
  s.wipe_on_fork.clear();
  file = EncodeSnapshotFileWithPages(s, Page(1, 1));
  ASSERT_TRUE(file.ok());
  header = DecodeSnapshotHeader(std::span(*file).subspan(0, kSnapshotHeaderBytes), file->size());
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->version, 3u);
}

TEST(SnapshotCodecTest, EveryCutShortFileIsRefused) {
  Snapshot s = Sample(0, {{0, 0}, {0, 1}}, 2);
  auto file = EncodeSnapshotFileWithPages(s, Concat({Page(1, 1), Page(2, 2)}));
  ASSERT_TRUE(file.ok());
  for (size_t len = 0; len < file->size(); ++len) {
    std::span<const uint8_t> cut(file->data(), len);
    auto decoded = DecodeSnapshotFile(cut);
    ASSERT_FALSE(decoded.ok()) << "length " << len;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kCorrupt) << "length " << len;
    EXPECT_THAT(decoded.status().message(), HasSubstr("cut short")) << "length " << len;
  }
}

TEST(SnapshotCodecTest, DamagedBytesAreRefused) {
  Snapshot s = Sample(0, {{0, 0}, {0, 1}}, 2);
  auto file = EncodeSnapshotFileWithPages(s, Concat({Page(1, 1), Page(2, 2)}));
  ASSERT_TRUE(file.ok());
  for (size_t at = kSnapshotHeaderBytes; at < file->size(); at += 7) {
    std::vector<uint8_t> bad = *file;
    bad[at] ^= 0x40;
    auto decoded = DecodeSnapshotFile(bad);
    ASSERT_FALSE(decoded.ok()) << "byte " << at;
    EXPECT_THAT(decoded.status().message(), HasSubstr("checksum")) << "byte " << at;
  }
  std::vector<uint8_t> magic = *file;
  magic[0] = 'X';
  EXPECT_THAT(DecodeSnapshotFile(magic).status().message(), HasSubstr("not a snapshot"));
  std::vector<uint8_t> version = *file;
  version[8] = 99;
  auto v = DecodeSnapshotFile(version);
  EXPECT_EQ(v.status().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(v.status().message(), HasSubstr("version 99"));
}

TEST(SnapshotCodecTest, RefusesReferencesItCannotResolve) {
  // A page of snapshot 0 that claims to be stored in snapshot 3.
  auto later = EncodeSnapshotFileWithPages(Sample(0, {{3, 0}}, 0), {});
  ASSERT_TRUE(later.ok());
  EXPECT_THAT(DecodeSnapshotFile(*later).status().message(), HasSubstr("later snapshot"));
  // Its own page 5 when it stores 1.
  auto past = EncodeSnapshotFileWithPages(Sample(0, {{0, 5}}, 1), Page(1, 1));
  ASSERT_TRUE(past.ok());
  EXPECT_THAT(DecodeSnapshotFile(*past).status().message(), HasSubstr("past the pages"));
}

TEST(SnapshotStoreTest, ResolvesPagesAcrossFilesAndListsThem) {
  TempDir dir;
  // Snapshot 0 stores pages A and B; snapshot 1 changes the second page to C.
  Snapshot s0 = Sample(0, {{0, 0}, {0, 1}, {PageRef::kZero, 0}}, 2);
  auto p0 = EncodeSnapshotFileWithPages(s0, Concat({Page(1, 1), Page(2, 2)}));
  ASSERT_TRUE(p0.ok());
  std::filesystem::create_directories(dir.Sub("snapshots"));
  WriteBytes(SnapshotPath(dir.path(), 0), *p0);
  Snapshot s1 = Sample(1, {{0, 0}, {1, 0}, {PageRef::kZero, 0}}, 1);
  auto p1 = EncodeSnapshotFileWithPages(s1, Page(3, 3));
  ASSERT_TRUE(p1.ok());
  WriteBytes(SnapshotPath(dir.path(), 1), *p1);
  WriteBytes(dir.Sub("snapshots/000002.tmp"), {1, 2, 3});  // an unfinished write

  auto listed = ListSnapshots(dir.path());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  ASSERT_TRUE((*listed)[1].header.ok());
  EXPECT_EQ((*listed)[1].header->event, 1001u);
  EXPECT_EQ((*listed)[1].bytes, p1->size());

  SnapshotLibrary library(dir.path());
  auto loaded = library.Load(1);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> seen;
  Status s =
      library.ForEachPage((*loaded)->snapshot, [&](uint64_t addr, std::span<const uint8_t> b) {
        seen.emplace_back(addr, std::vector<uint8_t>(b.begin(), b.end()));
        return Status::Ok();
      });
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(uint64_t{0x10000}, Page(1, 1)));
  EXPECT_EQ(seen[1], std::make_pair(uint64_t{0x11000}, Page(3, 3)));
  EXPECT_EQ(seen[2], std::make_pair(uint64_t{0x12000}, std::vector<uint8_t>(4096, 0)));
}

TEST(SnapshotStoreTest, ADamagedEarlierFileIsReportedByName) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("snapshots"));
  auto p0 = EncodeSnapshotFileWithPages(Sample(0, {{0, 0}}, 1), Page(1, 1));
  auto p1 = EncodeSnapshotFileWithPages(Sample(1, {{0, 0}}, 0), {});
  ASSERT_TRUE(p0.ok() && p1.ok());
  std::vector<uint8_t> cut(p0->begin(), p0->end() - 5);
  WriteBytes(SnapshotPath(dir.path(), 0), cut);
  WriteBytes(SnapshotPath(dir.path(), 1), *p1);

  auto listed = ListSnapshots(dir.path());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_FALSE((*listed)[0].header.ok());
  EXPECT_THAT((*listed)[0].header.status().message(), HasSubstr("cut short"));

  SnapshotLibrary library(dir.path());
  auto loaded = library.Load(1);
  ASSERT_TRUE(loaded.ok());  // its own file is whole
  Status s = library.ForEachPage((*loaded)->snapshot,
                                 [](uint64_t, std::span<const uint8_t>) { return Status::Ok(); });
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("snapshots/000000"));
  EXPECT_THAT(s.message(), HasSubstr("cut short"));
}

TEST(SnapshotStoreTest, ATraceWithoutSnapshotsHasNone) {
  TempDir dir;
  auto listed = ListSnapshots(dir.path());
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

}  // namespace
}  // namespace rwd::trace

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <filesystem>
#include <set>
#include <vector>

#include "base/scoped_fd.h"
#include "tests/unit/trace_test_util.h"
#include "trace/file_cache.h"
#include "trace/file_store.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace rwd::trace {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::ReadBytes;
using testing::SampleHeader;
using testing::TempDir;
using testing::WriteText;

ino_t InodeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// Names in files/, temporary names included.
std::set<std::string> StoredNames(const std::string& trace_dir) {
  std::set<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(trace_dir + "/files")) {
    names.insert(entry.path().filename());
  }
  return names;
}

std::string Xxh3Hex(const std::string& content) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical,
                           XXH3_128bits(content.data(), content.size()));
  char hex[33];
  for (int i = 0; i < 16; ++i)
    std::snprintf(hex + 2 * i, 3, "%02x", canonical.digest[i]);
  return hex;
}

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto writer = TraceWriter::Create(trace_.path(), SampleHeader());
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    writer_ = std::move(*writer);
  }

  std::string Store(int fd, const std::string& path) {
    auto id = writer_->StoreFile(fd, path);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  TempDir trace_;
  TempDir work_;
  std::unique_ptr<TraceWriter> writer_;
};

TEST_F(FileStoreTest, IdIsXxh3OfTheContent) {
  WriteText(work_.Sub("a"), "hello, trace");
  std::string id = Store(-1, work_.Sub("a"));
  EXPECT_THAT(id, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(id, Xxh3Hex("hello, trace"));
  std::vector<uint8_t> stored = ReadBytes(trace_.Sub("files/" + id));
  EXPECT_EQ(std::string(stored.begin(), stored.end()), "hello, trace");
  EXPECT_NE(InodeOf(trace_.Sub("files/" + id)), InodeOf(work_.Sub("a")));
}

TEST_F(FileStoreTest, SameContentIsStoredOnce) {
  WriteText(work_.Sub("a"), "same bytes");
  WriteText(work_.Sub("b"), "same bytes");
  WriteText(work_.Sub("c"), "other bytes");
  std::string a = Store(-1, work_.Sub("a"));
  EXPECT_EQ(Store(-1, work_.Sub("a")), a);
  EXPECT_EQ(Store(-1, work_.Sub("b")), a);
  EXPECT_EQ(StoredNames(trace_.path()), std::set<std::string>{a});
  std::string c = Store(-1, work_.Sub("c"));
  EXPECT_NE(c, a);
  EXPECT_EQ(StoredNames(trace_.path()), (std::set<std::string>{a, c}));
}

TEST_F(FileStoreTest, ReadsAnOpenFdWithoutMovingIt) {
  WriteText(work_.Sub("a"), "0123456789");
  int fd = ::open(work_.Sub("a").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::lseek(fd, 4, SEEK_SET), 4);
  // The path is only for messages and linking: the fd's file is stored.
  EXPECT_EQ(Store(fd, "/nonexistent/for/messages"), Xxh3Hex("0123456789"));
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 4);
  ::close(fd);
}

TEST_F(FileStoreTest, RewrittenFileGetsANewId) {
  WriteText(work_.Sub("a"), "version one");
  std::string first = Store(-1, work_.Sub("a"));
  WriteText(work_.Sub("a"), "version two!");
  std::string second = Store(-1, work_.Sub("a"));
  EXPECT_NE(first, second);
  EXPECT_EQ(second, Xxh3Hex("version two!"));
  // The first copy still holds the first content.
  std::vector<uint8_t> stored = ReadBytes(trace_.Sub("files/" + first));
  EXPECT_EQ(std::string(stored.begin(), stored.end()), "version one");
}

TEST_F(FileStoreTest, LargeFileIsCompressedAndUnpacksToItsContent) {
  std::string content;
  for (int i = 0; i < 3 * 1024 * 1024 + 17; ++i) content.push_back(static_cast<char>(i * 7));
  WriteText(work_.Sub("big"), content);
  std::string id = Store(-1, work_.Sub("big"));
  EXPECT_EQ(id, Xxh3Hex(content));
  if (StoredNames(trace_.path()) == std::set<std::string>{id}) {
    GTEST_SKIP() << "this filesystem reflinks copies; they are not compressed";
  }
  EXPECT_EQ(StoredNames(trace_.path()), std::set<std::string>{id + ".zst"});
  EXPECT_LT(std::filesystem::file_size(trace_.Sub("files/" + id + ".zst")), content.size() / 8);
  FileCache cache(trace_.Sub("files"), work_.Sub("cache"));
  auto copy = cache.LocalCopy(id);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  std::vector<uint8_t> unpacked = ReadBytes(*copy);
  EXPECT_TRUE(std::string(unpacked.begin(), unpacked.end()) == content);
}

TEST_F(FileStoreTest, IncompressibleFileIsStoredAsIs) {
  std::string content;
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 256 * 1024; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift: no redundancy for zstd
    content.push_back(static_cast<char>(x));
  }
  WriteText(work_.Sub("noise"), content);
  std::string id = Store(-1, work_.Sub("noise"));
  EXPECT_EQ(StoredNames(trace_.path()), std::set<std::string>{id});
  EXPECT_EQ(ReadBytes(trace_.Sub("files/" + id)), std::vector<uint8_t>(content.begin(), content.end()));
}

TEST_F(FileStoreTest, CopiesArePrivateNeverLinksNorSetuid) {
  std::string system_file;
  for (const char* candidate : {"/usr/bin/env", "/bin/sh", "/usr/bin/true"}) {
    if (::access(candidate, R_OK) == 0) {
      system_file = candidate;
      break;
    }
  }
  if (system_file.empty()) GTEST_SKIP() << "no readable system binary found";
  std::vector<uint8_t> original = ReadBytes(system_file);
  std::string id = Store(-1, system_file);
  EXPECT_EQ(id, Xxh3Hex(std::string(original.begin(), original.end())));
  // A setuid, group-writable file of ours.
  WriteText(work_.Sub("suid"), "#!/bin/sh\necho privileged\n");
  ASSERT_EQ(::chmod(work_.Sub("suid").c_str(), 06775), 0);
  std::string suid = Store(-1, work_.Sub("suid"));
  for (const std::string& name : StoredNames(trace_.path())) {
    struct stat st {};
    ASSERT_EQ(::stat(trace_.Sub("files/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_nlink, 1u) << name << " is a hard link";
    EXPECT_EQ(st.st_mode & 07777, 0600u) << name;
    EXPECT_NE(st.st_ino, InodeOf(system_file));
  }
  FileCache cache(trace_.Sub("files"), work_.Sub("cache"));
  for (const std::string& stored : {id, suid}) {
    auto copy = cache.LocalCopy(stored);
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    struct stat st {};
    ASSERT_EQ(::stat(copy->c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0500u) << "cache copies are read+exec for the owner only";
  }
  EXPECT_EQ(ReadBytes(*cache.LocalCopy(id)), original);
}

TEST_F(FileStoreTest, FileSeenAgainIsNotReadAgain) {
  FileStore store(trace_.Sub("files"));
  WriteText(work_.Sub("a"), "mapped at every exec");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store.Store(-1, work_.Sub("a")).ok());
  EXPECT_EQ(store.counts().hashed, 1u);
  WriteText(work_.Sub("a"), "rewritten: a new identity");
  ASSERT_TRUE(store.Store(-1, work_.Sub("a")).ok());
  EXPECT_EQ(store.counts().hashed, 2u);
}

TEST_F(FileStoreTest, CompressedCopyIsTakenFromThePackedCacheByTheNextRecording) {
  std::string content;
  for (int i = 0; i < 1024 * 1024; ++i) content.push_back(static_cast<char>((i * 13) % 251));
  WriteText(work_.Sub("compiler"), content);
  std::string packed = work_.Sub("cache/packed");
  TempDir first_trace;
  TempDir second_trace;
  ASSERT_EQ(::mkdir(first_trace.Sub("files").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(second_trace.Sub("files").c_str(), 0700), 0);
  FileStore first(first_trace.Sub("files"));
  first.UsePackedCache(packed);
  auto id = first.Store(-1, work_.Sub("compiler"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  if (first.counts().compressed == 0) {
    GTEST_SKIP() << "this filesystem reflinks copies; they are not compressed";
  }
  EXPECT_EQ(first.counts().packed_reused, 0u);
  std::string cached = packed + "/" + *id + ".zst";
  ASSERT_TRUE(std::filesystem::exists(cached));
  struct stat dir_st {};
  ASSERT_EQ(::stat(packed.c_str(), &dir_st), 0);
  EXPECT_EQ(dir_st.st_mode & 0777, 0700u) << "the cache is private";

  // Another recording (another store) takes the copy, unchanged.
  FileStore second(second_trace.Sub("files"));
  second.UsePackedCache(packed);
  auto again = second.Store(-1, work_.Sub("compiler"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *id);
  EXPECT_EQ(second.counts().packed_reused, 1u);
  EXPECT_EQ(ReadBytes(second_trace.Sub("files/" + *id + ".zst")),
            ReadBytes(first_trace.Sub("files/" + *id + ".zst")));
  FileCache unpacked(second_trace.Sub("files"), work_.Sub("unpacked"));
  auto copy = unpacked.LocalCopy(*id);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  std::vector<uint8_t> bytes = ReadBytes(*copy);
  EXPECT_TRUE(std::string(bytes.begin(), bytes.end()) == content);

  // Other content is compressed, not confused with the cached copy.
  content[4096] ^= 1;
  WriteText(work_.Sub("compiler"), content);
  auto changed = second.Store(-1, work_.Sub("compiler"));
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_NE(*changed, *id);
  EXPECT_EQ(second.counts().packed_reused, 1u);
}

TEST_F(FileStoreTest, WithoutAUsablePackedCacheFilesAreCompressedAsBefore) {
  std::string content(512 * 1024, 'x');
  WriteText(work_.Sub("lib"), content);
  WriteText(work_.Sub("not-a-dir"), "a file where the cache should be");
  FileStore store(trace_.Sub("files"));
  store.UsePackedCache(work_.Sub("not-a-dir/packed"));
  auto id = store.Store(-1, work_.Sub("lib"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id.value(), Xxh3Hex(content));
  EXPECT_EQ(store.counts().packed_reused, 0u);
}

TEST_F(FileStoreTest, ReaderUnpacksStoredFilesIntoTheCache) {
  WriteText(work_.Sub("a"), "mapped library");
  std::string id = Store(-1, work_.Sub("a"));
  ASSERT_TRUE(writer_->Finish().ok());
  ASSERT_EQ(::setenv("REWIND_CACHE_DIR", work_.Sub("cache").c_str(), 1), 0);
  auto reader = TraceReader::Open(trace_.path());
  ::unsetenv("REWIND_CACHE_DIR");
  ASSERT_TRUE(reader.ok());
  auto copy = (*reader)->LocalFileCopy(id);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(*copy, work_.Sub("cache/" + id));
  std::vector<uint8_t> stored = ReadBytes(*copy);
  EXPECT_EQ(std::string(stored.begin(), stored.end()), "mapped library");
}

TEST_F(FileStoreTest, DamagedCopyIsReportedCorrupt) {
  WriteText(work_.Sub("a"), "the recorded bytes");
  std::string id = Store(-1, work_.Sub("a"));
  WriteText(trace_.Sub("files/" + id), "the recorded bytez");
  FileCache cache(trace_.Sub("files"), work_.Sub("cache"));
  auto copy = cache.LocalCopy(id);
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(copy.status().code(), ErrorCode::kCorrupt);
  auto missing = cache.LocalCopy(Xxh3Hex("never stored"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  auto bogus = cache.LocalCopy("../../etc/passwd");
  ASSERT_FALSE(bogus.ok());
  EXPECT_EQ(bogus.status().code(), ErrorCode::kCorrupt);
}

uint64_t DiskBytes(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

// A 16 GiB file with two bytes of data far apart: stored, unpacked into the
// cache and packed without reading, hashing or writing its holes.
TEST_F(FileStoreTest, SparseFileIsStoredAndUnpackedSparse) {
  constexpr uint64_t kSize = 16ull << 30;
  std::string path = work_.Sub("sparse");
  {
    ScopedFd fd(::open(path.c_str(), O_RDWR | O_CREAT, 0600));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(::pwrite(fd.get(), "a", 1, 4096), 1);
    ASSERT_EQ(::pwrite(fd.get(), "z", 1, kSize - 1), 1);
  }
  if (DiskBytes(path) > (1 << 20)) GTEST_SKIP() << "this filesystem does not keep holes";
  std::string id = Store(-1, path);
  ASSERT_EQ(id.size(), 32u);
  std::string stored = trace_.Sub("files/" + id);
  ASSERT_TRUE(std::filesystem::exists(stored)) << "stored compressed?";
  EXPECT_EQ(std::filesystem::file_size(stored), kSize);
  EXPECT_LT(DiskBytes(stored), 1u << 20);

  // The same bytes written densely (every block written, zeros included,
  // here a 1 MiB prefix) get the same id as when stored sparsely.
  {
    std::string small = work_.Sub("small-sparse"), dense = work_.Sub("small-dense");
    std::vector<uint8_t> bytes(1 << 20, 0);
    bytes[4096] = 'a';
    bytes.back() = 'z';
    ScopedFd s(::open(small.c_str(), O_RDWR | O_CREAT, 0600));
    ASSERT_EQ(::pwrite(s.get(), "a", 1, 4096), 1);
    ASSERT_EQ(::pwrite(s.get(), "z", 1, bytes.size() - 1), 1);
    WriteText(dense, std::string(bytes.begin(), bytes.end()));
    EXPECT_EQ(Store(-1, small), Store(-1, dense));
  }

  FileCache cache(trace_.Sub("files"), work_.Sub("cache"));
  auto copy = cache.LocalCopy(id);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(std::filesystem::file_size(*copy), kSize);
  EXPECT_LT(DiskBytes(*copy), 1u << 20);
  ScopedFd in(::open(copy->c_str(), O_RDONLY));
  char c = 0;
  ASSERT_EQ(::pread(in.get(), &c, 1, 4096), 1);
  EXPECT_EQ(c, 'a');
  ASSERT_EQ(::pread(in.get(), &c, 1, kSize - 1), 1);
  EXPECT_EQ(c, 'z');
  ASSERT_EQ(::pread(in.get(), &c, 1, kSize / 2), 1);
  EXPECT_EQ(c, 0);

  // A changed byte in the sparse copy is caught.
  {
    ScopedFd damaged(::open(stored.c_str(), O_WRONLY));
    ASSERT_EQ(::pwrite(damaged.get(), "y", 1, kSize - 1), 1);
  }
  FileCache other(trace_.Sub("files"), work_.Sub("cache2"));
  auto bad = other.LocalCopy(id);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kCorrupt);
}

// A copy that has taken its watcher's patience ends on a stop request,
// leaving nothing under files/; progress is reported before.
TEST(FileStoreWatcherTest, StopRequestEndsALongCopy) {
  TempDir trace, work;
  std::filesystem::create_directories(trace.Sub("files"));
  std::string content(3 << 20, 'x');
  for (size_t i = 0; i < content.size(); i += 7) content[i] = static_cast<char>(i);
  WriteText(work.Sub("big"), content);
  FileStore store(trace.Sub("files"));
  int asked = 0, reported = 0;
  store.SetWatcher({.stop_requested = [&] { return ++asked >= 2; },
                    .progress = [&](const std::string&, uint64_t done,
                                    uint64_t size) {
                      EXPECT_LE(done, size);
                      ++reported;
                    },
                    .patience = std::chrono::milliseconds(0),
                    .progress_every = std::chrono::milliseconds(0)});
  auto id = store.Store(-1, work.Sub("big"));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), ErrorCode::kCancelled) << id.status().ToString();
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(reported, 1);
  EXPECT_TRUE(std::filesystem::is_empty(trace.Sub("files")));
  // Without a request, the same store copies it.
  store.SetWatcher({});
  auto again = store.Store(-1, work.Sub("big"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, Xxh3Hex(content));
}

TEST_F(FileStoreTest, Errors) {
  auto missing = writer_->StoreFile(-1, work_.Sub("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(work_.Sub("missing")));

  auto device = writer_->StoreFile(-1, "/dev/null");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), ErrorCode::kInvalidInput);
  EXPECT_THAT(device.status().message(), HasSubstr("not a regular file"));
  EXPECT_TRUE(StoredNames(trace_.path()).empty());
}

// A replay killed while unpacking leaves ".tmp.PID.N" behind, as large as
// the file: the next cache user removes those of dead processes, and keeps
// those of live ones (another replay unpacking right now).
TEST_F(FileStoreTest, CacheRemovesTemporaryFilesOfDeadProcesses) {
  WriteText(work_.Sub("small"), "content");
  std::string id = Store(-1, work_.Sub("small"));
  std::filesystem::create_directories(work_.Sub("cache"));
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  const std::string dead_temp = work_.Sub("cache/.tmp." + std::to_string(dead) + ".0");
  const std::string live_temp = work_.Sub("cache/.tmp." + std::to_string(getpid()) + ".7");
  WriteText(dead_temp, "left by a killed replay");
  WriteText(live_temp, "being written");
  FileCache cache(trace_.Sub("files"), work_.Sub("cache"));
  auto copy = cache.LocalCopy(id);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dead_temp));
  EXPECT_TRUE(std::filesystem::exists(live_temp));
}

}  // namespace
}  // namespace rwd::trace

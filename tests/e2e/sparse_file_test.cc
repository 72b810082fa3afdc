// A program mapping a huge sparse file (a 64 GiB database file with a few
// bytes of data) is recorded quickly and its trace stays small: the recorder
// stores the file sparse, the replay's file cache unpacks it sparse and
// `rewind pack` packs only its data (trace/file_store.h, trace/content_id.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

// Bytes on disk (st_blocks), not apparent sizes, of everything under `path`.
uint64_t DiskUsage(const std::string& path) {
  uint64_t bytes = 0;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) bytes += static_cast<uint64_t>(st.st_blocks) * 512;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      if (lstat(entry.path().c_str(), &st) == 0) bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return bytes;
}

// Whether files in `dir` can have holes.
bool KeepsHoles(const std::string& dir) {
  std::string probe = dir + "/hole-probe";
  int fd = open(probe.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return false;
  bool sparse = pwrite(fd, "x", 1, 1ull << 30) == 1;
  struct stat st;
  sparse = sparse && fstat(fd, &st) == 0 && st.st_blocks * 512 < (1 << 20);
  close(fd);
  unlink(probe.c_str());
  return sparse;
}

class SparseFileTest : public E2ETest {};

TEST_F(SparseFileTest, HugeSparseMappedFileIsStoredSparse) {
  std::string data = NewPath("data");
  fs::create_directories(data);
  if (!KeepsHoles(data)) GTEST_SKIP() << "the test's filesystem does not keep holes";
  Recording rec = Record("sparse_mmap", {data});
  if (rec.exit_status == 77) GTEST_SKIP() << "the filesystem cannot punch holes: " << rec.err;
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, "wrote A Z\nread 0 Z 0\n");
  EXPECT_FALSE(Contains(rec.err, "cut short")) << rec.Describe();
  // Two 64 GiB files were stored: together they take a few blocks.
  uint64_t files = DiskUsage(rec.trace + "/files");
  EXPECT_LT(files, 64ull << 20) << "files/ takes " << files << " bytes on disk";
  ExpectReplaysIdentically(rec, 2);

  // Packed into one file: small too, and it replays.
  std::string packed = NewPath("packed") + ".rewind";
  RunResult pack = Rewind({"pack", "-o", packed, rec.trace});
  ASSERT_EQ(pack.exit_status, 0) << pack.Describe();
  EXPECT_LT(fs::file_size(packed), 64ull << 20);
  RunResult replay = Rewind({"replay", "-a", packed});
  EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
  EXPECT_TRUE(SameBytes(rec.out, replay.out));
  // Made self-contained in place (every copy unpacked into the cache).
  RunResult in_place = Rewind({"pack", rec.trace});
  EXPECT_EQ(in_place.exit_status, 0) << in_place.Describe();
}

}  // namespace
}  // namespace rwd::e2e

// trace/trace_archive: a trace directory packed into one file and unpacked
// into a private cache; hostile archives refused.
#include "trace/trace_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rwd::trace {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TraceArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rewind-archive-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    trace_ = root_ + "/trace";
    fs::create_directories(trace_ + "/files");
    std::ofstream(trace_ + "/header") << "RWNDTRC header bytes";
    std::ofstream(trace_ + "/events") << std::string(100000, 'e');
    std::ofstream(trace_ + "/files/0123abcd") << "a mapped file";
    std::ofstream(trace_ + "/files/exe") << "an executable";
    chmod((trace_ + "/files/exe").c_str(), 0755);
    std::ofstream(trace_ + "/files/.tmp.1.2") << "an interrupted copy";
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string root_, trace_;
};

TEST_F(TraceArchiveTest, RoundTripIntoPrivateCache) {
  std::string file = root_ + "/t.rewind";
  mode_t old_umask = umask(022);  // the usual one, which leaves new files readable by all
  auto size = PackTraceDir(trace_, file);
  umask(old_umask);
  ASSERT_TRUE(size.ok()) << size.status().message();
  EXPECT_EQ(*size, fs::file_size(file));
  auto perms = [](const std::string& p) { return fs::status(p).permissions() & fs::perms::all; };
  EXPECT_EQ(perms(file), fs::perms::owner_read | fs::perms::owner_write) << "the archive is private";
  EXPECT_LT(*size, 100000u);  // compressed
  EXPECT_TRUE(LooksLikeTraceArchive(file));
  EXPECT_FALSE(LooksLikeTraceArchive(trace_ + "/events"));

  std::string cache = root_ + "/cache";
  auto dir = UnpackTraceArchive(file, cache);
  ASSERT_TRUE(dir.ok()) << dir.status().message();
  EXPECT_EQ(ReadAll(*dir + "/events"), std::string(100000, 'e'));
  EXPECT_EQ(ReadAll(*dir + "/files/0123abcd"), "a mapped file");
  EXPECT_FALSE(fs::exists(*dir + "/files/.tmp.1.2"));
  EXPECT_EQ(perms(cache), fs::perms::owner_all);
  EXPECT_EQ(perms(*dir), fs::perms::owner_all);
  EXPECT_EQ(perms(*dir + "/files"), fs::perms::owner_all);
  EXPECT_EQ(perms(*dir + "/files/exe"), fs::perms::owner_all);
  EXPECT_EQ(perms(*dir + "/events"), fs::perms::owner_read | fs::perms::owner_write);

  // The same bytes map to the same directory; nothing is unpacked again.
  fs::remove(*dir + "/events");
  auto again = UnpackTraceArchive(file, cache);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *dir);
  EXPECT_FALSE(fs::exists(*again + "/events"));
}

TEST_F(TraceArchiveTest, RefusesWhatIsNotATrace) {
  EXPECT_FALSE(PackTraceDir(trace_ + "/files", root_ + "/x.rewind").ok());
  std::ofstream(root_ + "/junk") << "junk";
  EXPECT_FALSE(UnpackTraceArchive(root_ + "/junk", root_ + "/cache").ok());
}

// An archive whose entry climbs out of the directory it is unpacked in.
TEST_F(TraceArchiveTest, RefusesEntriesOutsideTheTrace) {
  std::string file = root_ + "/evil.rewind";
  struct archive* a = archive_write_new();
  archive_write_add_filter_zstd(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
  for (const char* name : {"header", "../escaped"}) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_size(e, 1);
    archive_write_header(a, e);
    archive_write_data(a, "x", 1);
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  auto dir = UnpackTraceArchive(file, root_ + "/cache/inner");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("outside the trace"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ + "/cache/escaped"));
  EXPECT_FALSE(fs::exists(root_ + "/cache/inner/escaped"));
}

}  // namespace
}  // namespace rwd::trace

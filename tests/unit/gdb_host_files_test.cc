// vFile: read-only access to host files through small handles.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "gdb_fake_target.h"
#include "gdbserver/hex.h"
#include "gdbserver/host_files.h"
#include "gdbserver/packet_codec.h"
#include "gdbserver/session.h"

namespace rwd::gdbserver {
namespace {

class GdbHostFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Unique per process: ctest runs these tests in parallel.
    path_ = ::testing::TempDir() + "gdb_host_files_test." + std::to_string(getpid()) + ".bin";
    std::ofstream out(path_, std::ios::binary);
    out << std::string("ELF#$}*data", 11);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::string path_;
};

TEST_F(GdbHostFilesTest, OpenPreadFstatClose) {
  HostFiles files;
  EXPECT_EQ(files.Open(path_, 0), "F1");
  EXPECT_EQ(files.Pread(1, 100, 0, 4096), "Fb;ELF}\x03}\x04}]}\x0a" "data");
  EXPECT_EQ(files.Pread(1, 3, 8, 4096), "F3;ata");
  EXPECT_EQ(files.Pread(1, 100, 1000, 4096), "F0;");
  EXPECT_EQ(files.Pread(1, 100, 0, 2), "F2;EL");
  std::string stat = files.Fstat(1);
  ASSERT_EQ(stat.substr(0, 4), "F40;");
  std::string record;
  ASSERT_TRUE(UnescapeBinary(stat.substr(4), &record));
  ASSERT_EQ(record.size(), 64u);
  // st_size: big-endian 64-bit at offset 28.
  EXPECT_EQ(record.substr(28, 8), std::string("\0\0\0\0\0\0\0\x0b", 8));
  EXPECT_EQ(files.Close(1), "F0");
  EXPECT_EQ(files.Close(1), "F-1,9");
  EXPECT_EQ(files.Pread(1, 1, 0, 10), "F-1,9");
  EXPECT_EQ(files.open_count(), 0u);
}

TEST_F(GdbHostFilesTest, RefusesWritesAndReportsErrnoInFileioNumbering) {
  HostFiles files;
  EXPECT_EQ(files.Open(path_, 0x1), "F-1,1e");    // O_WRONLY -> EROFS
  EXPECT_EQ(files.Open(path_, 0x2), "F-1,1e");    // O_RDWR
  EXPECT_EQ(files.Open(path_, 0x200), "F-1,1e");  // O_CREAT
  EXPECT_EQ(files.Open("/nonexistent/rewind", 0), "F-1,2");
  EXPECT_EQ(files.Open("/", 0), "F1");
  EXPECT_EQ(files.Pread(1, 10, 0, 10), "F-1,15");  // EISDIR
  EXPECT_EQ(FileioErrno(ENAMETOOLONG), 91);
  EXPECT_EQ(FileioErrno(ELOOP), 9999);
}

TEST_F(GdbHostFilesTest, LimitsOpenHandles) {
  HostFiles files;
  for (size_t i = 0; i < HostFiles::kMaxOpen; ++i) ASSERT_EQ(files.Open(path_, 0)[0], 'F');
  EXPECT_EQ(files.Open(path_, 0), "F-1,18");  // EMFILE
}

TEST_F(GdbHostFilesTest, SessionTranslatesPathsThroughTheTarget) {
  testing::FakeTarget target;
  target.host_paths_["/usr/bin/fake"] = path_;
  GdbSession session(target);
  std::function<bool()> never = [] { return false; };
  auto ask = [&](const std::string& packet) { return session.Handle(packet, never).packets.at(0); };
  EXPECT_EQ(ask("vFile:setfs:0"), "F0");
  EXPECT_EQ(ask("vFile:open:" + HexEncode("/usr/bin/fake") + ",0,0"), "F1");
  EXPECT_EQ(ask("vFile:pread:1,3,0"), "F3;ELF");
  EXPECT_EQ(ask("vFile:close:1"), "F0");
  EXPECT_EQ(ask("vFile:open:" + HexEncode("/usr/bin/fake") + ",601,1ff"), "F-1,1e");
}

}  // namespace
}  // namespace rwd::gdbserver

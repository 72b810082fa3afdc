// libraries-svr4 from a fake tracee memory laid out as ld.so leaves it.
#include <gtest/gtest.h>

#include "gdb_fake_target.h"
#include "gdbserver/library_list.h"
#include "gdbserver/session.h"

namespace rwd::gdbserver {
namespace {

using testing::FakeTarget;

class Bytes {
 public:
  Bytes& U32(uint32_t v) { return Put(v, 4); }
  Bytes& U64(uint64_t v) { return Put(v, 8); }
  Bytes& Str(std::string_view s) {
    data_.insert(data_.end(), s.begin(), s.end());
    data_.push_back(0);
    return *this;
  }
  std::vector<uint8_t> data() const { return data_; }

 private:
  Bytes& Put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) data_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  std::vector<uint8_t> data_;
};

constexpr uint64_t kBase = 0x555555554000;
constexpr uint64_t kPhdr = kBase + 0x40;
constexpr uint64_t kDynamic = kBase + 0x3000;
constexpr uint64_t kRDebug = 0x7ffff7ffe118;
constexpr uint64_t kLm0 = 0x7ffff7ffe190;
constexpr uint64_t kLm1 = 0x7ffff7fc1000;
constexpr uint64_t kLm2 = 0x7ffff7fc2000;
constexpr uint64_t kLm3 = 0x7ffff7fc3000;
constexpr uint64_t kNames = 0x7ffff7fd0000;

Bytes Phdr(uint32_t type, uint64_t vaddr, uint64_t memsz) {
  Bytes b;
  b.U32(type).U32(4).U64(0).U64(vaddr).U64(vaddr).U64(memsz).U64(memsz).U64(8);
  return b;
}

std::vector<uint8_t> Concat(std::initializer_list<Bytes> parts) {
  std::vector<uint8_t> out;
  for (const Bytes& part : parts) {
    std::vector<uint8_t> d = part.data();
    out.insert(out.end(), d.begin(), d.end());
  }
  return out;
}

class GdbLibraryListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_.auxv_ = Bytes().U64(3).U64(kPhdr).U64(4).U64(56).U64(5).U64(3).U64(0).U64(0).data();
    target_.Map(kPhdr, Concat({Phdr(6, 0x40, 0xa8), Phdr(1, 0, 0x2000), Phdr(2, 0x3000, 0x40)}));
    target_.Map(kDynamic, Bytes().U64(1).U64(0x10).U64(21).U64(kRDebug).U64(0).U64(0).data());
    target_.Map(kRDebug, Bytes().U32(1).U32(0).U64(kLm0).data());
    LinkMap(kLm0, kBase, 0, kDynamic, kLm1);
    LinkMap(kLm1, 0, kNames, 0x7ffff7fc1400, kLm2);
    LinkMap(kLm2, 0x7ffff7d80000, kNames + 0x100, 0x7ffff7f99bc0, kLm3);
    LinkMap(kLm3, 0x7ffff7c00000, kNames + 0x200, 0x7ffff7c10000, kLm1);  // a loop
    target_.Map(kNames, Bytes().Str("linux-vdso.so.1").data());
    target_.Map(kNames + 0x100, Bytes().Str("/lib/x86_64-linux-gnu/libc.so.6").data());
    target_.Map(kNames + 0x200, Bytes().Str("/tmp/a&b\".so").data());
  }

  void LinkMap(uint64_t at, uint64_t l_addr, uint64_t l_name, uint64_t l_ld, uint64_t next) {
    target_.Map(at, Bytes().U64(l_addr).U64(l_name).U64(l_ld).U64(next).U64(0).data());
  }

  FakeTarget target_;
};

TEST_F(GdbLibraryListTest, WalksTheLinkMapChain) {
  Expected<std::string> xml = BuildLibraryListSvr4(target_);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  EXPECT_EQ(*xml,
            "<library-list-svr4 version=\"1.0\" main-lm=\"0x7ffff7ffe190\">"
            "<library name=\"linux-vdso.so.1\" lm=\"0x7ffff7fc1000\" l_addr=\"0x0\" "
            "l_ld=\"0x7ffff7fc1400\" lmid=\"0x0\"/>"
            "<library name=\"/lib/x86_64-linux-gnu/libc.so.6\" lm=\"0x7ffff7fc2000\" "
            "l_addr=\"0x7ffff7d80000\" l_ld=\"0x7ffff7f99bc0\" lmid=\"0x0\"/>"
            "<library name=\"/tmp/a&amp;b&quot;.so\" lm=\"0x7ffff7fc3000\" "
            "l_addr=\"0x7ffff7c00000\" l_ld=\"0x7ffff7c10000\" lmid=\"0x0\"/>"
            "</library-list-svr4>");
}

TEST_F(GdbLibraryListTest, EmptyBeforeTheDynamicLinkerRan) {
  target_.Map(kDynamic, Bytes().U64(21).U64(0).U64(0).U64(0).data());
  Expected<std::string> xml = BuildLibraryListSvr4(target_);
  ASSERT_TRUE(xml.ok());
  EXPECT_EQ(*xml, "<library-list-svr4 version=\"1.0\"/>");
}

TEST_F(GdbLibraryListTest, EmptyForStaticExecutables) {
  target_.Map(kPhdr, Concat({Phdr(6, 0x40, 0xa8), Phdr(1, 0, 0x2000), Phdr(1, 0x3000, 0x40)}));
  EXPECT_EQ(*BuildLibraryListSvr4(target_), "<library-list-svr4 version=\"1.0\"/>");
}

TEST_F(GdbLibraryListTest, EmptyWhenAuxvOrMemoryIsMissing) {
  target_.auxv_.clear();
  EXPECT_EQ(*BuildLibraryListSvr4(target_), "<library-list-svr4 version=\"1.0\"/>");
  SetUp();
  target_.memory_.erase(kRDebug);
  EXPECT_EQ(*BuildLibraryListSvr4(target_), "<library-list-svr4 version=\"1.0\"/>");
}

TEST_F(GdbLibraryListTest, ServedThroughQXfer) {
  GdbSession session(target_);
  std::function<bool()> never = [] { return false; };
  GdbSession::Reply reply = session.Handle("qXfer:libraries-svr4:read::20,10", never);
  ASSERT_EQ(reply.packets.size(), 1u);
  EXPECT_EQ(reply.packets[0], "m main-lm=\"0x7fff");
}

}  // namespace
}  // namespace rwd::gdbserver

#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>
#include <vector>

#include "arch/siginfo_view.h"

namespace rwd::arch {
namespace {

// The bytes PTRACE_GETSIGINFO would give for `info`: the host's siginfo_t
// has the layout the view reads on every architecture rewind supports.
std::vector<uint8_t> Bytes(const siginfo_t& info) {
  std::vector<uint8_t> out(sizeof(info));
  std::memcpy(out.data(), &info, sizeof(info));
  return out;
}

TEST(SiginfoView, ReadsCodeAndAddressAsTheHostLaysThemOut) {
  siginfo_t info{};
  info.si_signo = SIGSEGV;
  info.si_code = SEGV_ACCERR;
  info.si_addr = reinterpret_cast<void*>(0x7f0012345678);
  const std::vector<uint8_t> bytes = Bytes(info);
  SiginfoView view(bytes);
  EXPECT_EQ(view.code(), SEGV_ACCERR);
  EXPECT_EQ(view.addr(), 0x7f0012345678u);
}

TEST(SiginfoView, TooFewBytesReadAsZero) {
  siginfo_t info{};
  info.si_code = SEGV_MAPERR;
  info.si_addr = reinterpret_cast<void*>(0x1000);
  std::vector<uint8_t> bytes = Bytes(info);
  bytes.resize(12);  // si_code, but not si_addr
  EXPECT_EQ(SiginfoView(bytes).code(), SEGV_MAPERR);
  EXPECT_EQ(SiginfoView(bytes).addr(), 0u);
  bytes.resize(8);
  EXPECT_EQ(SiginfoView(bytes).code(), 0);
  EXPECT_EQ(SiginfoView({}).code(), 0);
}

TEST(SiginfoView, SynchronousFaultsAreCpuRaisedFaultSignals) {
  siginfo_t info{};
  info.si_code = SEGV_MAPERR;  // > 0: the CPU raised it
  const std::vector<uint8_t> fault = Bytes(info);
  EXPECT_TRUE(SiginfoView(fault).IsSynchronousFault(SIGSEGV));
  EXPECT_TRUE(SiginfoView(fault).IsSynchronousFault(SIGTRAP));
  EXPECT_FALSE(SiginfoView(fault).IsSynchronousFault(SIGUSR1));

  info.si_code = SI_USER;  // kill(2) of a SIGSEGV
  EXPECT_FALSE(SiginfoView(Bytes(info)).IsSynchronousFault(SIGSEGV));
  info.si_code = SI_TKILL;
  EXPECT_FALSE(SiginfoView(Bytes(info)).IsSynchronousFault(SIGSEGV));
}

}  // namespace
}  // namespace rwd::arch

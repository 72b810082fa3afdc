#include "arch/siginfo_view.h"

#include <csignal>
#include <cstring>

namespace rwd::arch {

namespace {

constexpr size_t kCodeOffset = 8;
constexpr size_t kAddrOffset = 16;

template <typename T>
T Field(std::span<const uint8_t> bytes, size_t offset) {
  T value{};
  if (bytes.size() >= offset + sizeof(T)) std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace

int SiginfoView::code() const { return Field<int32_t>(bytes_, kCodeOffset); }

uint64_t SiginfoView::addr() const { return Field<uint64_t>(bytes_, kAddrOffset); }

bool SiginfoView::IsSynchronousFault(int signo) const {
  bool fault_signal =
      signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL || signo == SIGTRAP;
  return fault_signal && code() > 0;
}

}  // namespace rwd::arch

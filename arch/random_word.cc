#include "arch/random_word.h"

#include <sys/random.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "base/check.h"

namespace rwd::arch {

uint64_t RandomWord() {
  uint64_t value = 0;
  auto* bytes = reinterpret_cast<uint8_t*>(&value);
  size_t got = 0;
  while (got < sizeof(value)) {
    ssize_t n = getrandom(bytes + got, sizeof(value) - got, 0);
    if (n < 0 && errno == EINTR) continue;
    CHECK(n > 0, std::string("getrandom: ") + std::strerror(errno));
    got += n;
  }
  return value;
}

}  // namespace rwd::arch

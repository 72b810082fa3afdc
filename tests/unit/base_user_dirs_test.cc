#include "base/user_dirs.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <optional>
#include <string>

namespace rwd {
namespace {

// Sets an environment variable for one test and puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(UserDirs, AbsoluteXdgDirectoriesAreUsed) {
  ScopedEnv home("HOME", "/home/someone");
  ScopedEnv data("XDG_DATA_HOME", "/data/x");
  ScopedEnv cache("XDG_CACHE_HOME", "/cache/y");
  EXPECT_EQ(UserDataDir(), "/data/x");
  EXPECT_EQ(UserCacheDir(), "/cache/y");
}

TEST(UserDirs, RelativeOrEmptyXdgDirectoriesFallBackToHome) {
  ScopedEnv home("HOME", "/home/someone");
  ScopedEnv data("XDG_DATA_HOME", "relative/data");
  ScopedEnv cache("XDG_CACHE_HOME", "");
  EXPECT_EQ(UserDataDir(), "/home/someone/.local/share");
  EXPECT_EQ(UserCacheDir(), "/home/someone/.cache");
}

TEST(UserDirs, NothingUsableGivesEmpty) {
  ScopedEnv home("HOME", nullptr);
  ScopedEnv data("XDG_DATA_HOME", nullptr);
  ScopedEnv cache("XDG_CACHE_HOME", "cache");
  EXPECT_EQ(UserDataDir(), "");
  EXPECT_EQ(UserCacheDir(), "");
}

}  // namespace
}  // namespace rwd

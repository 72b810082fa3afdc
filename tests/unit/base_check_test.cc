#include <gtest/gtest.h>

#include <string>

#include "base/check.h"

namespace rwd {
namespace {

TEST(CheckDeathTest, FailedCheckPrintsWhereWhatAndWhy) {
  int events = 3;
  EXPECT_DEATH(CHECK(events == 4, "event " + std::to_string(events) + " of thread 42"),
               "rewind: internal error at .*base_check_test\\.cc:[0-9]+: "
               "check `events == 4` failed: event 3 of thread 42");
}

TEST(CheckDeathTest, CheckWithoutMessageNamesTheExpression) {
  const char* p = nullptr;
  EXPECT_DEATH(CHECK(p != nullptr), "base_check_test\\.cc:[0-9]+: check `p != nullptr` failed\n");
}

TEST(CheckDeathTest, FatalHasNoExpression) {
  EXPECT_DEATH(FATAL("ApplyTrapInsn on nothing"),
               "internal error at .*base_check_test\\.cc:[0-9]+: ApplyTrapInsn on nothing");
}

TEST(Check, PassingCheckEvaluatesItsConditionOnceAndNotItsMessage) {
  int evaluated = 0;
  int formatted = 0;
  auto message = [&] {
    ++formatted;
    return std::string("unused");
  };
  CHECK(++evaluated == 1, message());
  EXPECT_EQ(evaluated, 1);
  EXPECT_EQ(formatted, 0);
}

}  // namespace
}  // namespace rwd

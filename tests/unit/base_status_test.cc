#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

#include "base/status.h"

namespace rwd {
namespace {

Status FailIf(bool fail) { return fail ? Status(ErrorCode::kCorrupt, "bad chunk") : Status::Ok(); }

Status Twice(bool fail_second, int* reached) {
  RETURN_IF_ERROR(FailIf(false));
  ++*reached;
  RETURN_IF_ERROR(FailIf(fail_second));
  ++*reached;
  return Status::Ok();
}

Expected<std::unique_ptr<int>> MakeInt(int v) {
  if (v < 0) return Status(ErrorCode::kInvalidInput, "negative");
  return std::make_unique<int>(v);
}

Expected<int> Doubled(int v) {
  ASSIGN_OR_RETURN(std::unique_ptr<int> p, MakeInt(v));
  return *p * 2;
}

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(Status, ToStringNamesTheKind) {
  Status s(ErrorCode::kDivergence, "event 12: expected write, saw read");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "replay divergence: event 12: expected write, saw read");
}

TEST(Status, WrapPrependsContextAndKeepsTheCode) {
  Status s = Status(ErrorCode::kCorrupt, "bad chunk").Wrap("reading trace");
  EXPECT_EQ(s.code(), ErrorCode::kCorrupt);
  EXPECT_EQ(s.message(), "reading trace: bad chunk");
  EXPECT_TRUE(Status::Ok().Wrap("reading trace").ok());
}

TEST(Status, SystemErrorCarriesStrerror) {
  Status s = SystemError("opening /x", ENOENT);
  EXPECT_EQ(s.code(), ErrorCode::kSystem);
  EXPECT_EQ(s.message(), "opening /x: No such file or directory");
  errno = EACCES;
  EXPECT_EQ(ErrnoError("opening /y").message(), "opening /y: Permission denied");
}

TEST(Status, ReturnIfErrorStopsAtTheFirstFailure) {
  int reached = 0;
  EXPECT_TRUE(Twice(false, &reached).ok());
  EXPECT_EQ(reached, 2);
  reached = 0;
  Status s = Twice(true, &reached);
  EXPECT_EQ(s.code(), ErrorCode::kCorrupt);
  EXPECT_EQ(reached, 1);
}

TEST(Expected, HoldsAValueOrAStatus) {
  Expected<int> good = Doubled(21);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  EXPECT_TRUE(good.status().ok());

  Expected<int> bad = Doubled(-1);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(bad.status().message(), "negative");
}

TEST(Expected, MovesAMoveOnlyValueOut) {
  Expected<std::unique_ptr<int>> e = MakeInt(7);
  std::unique_ptr<int> p = std::move(e).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

TEST(ExpectedDeathTest, ValueOfAFailedExpectedAborts) {
  Expected<int> bad = Doubled(-1);
  EXPECT_DEATH((void)bad.value(), "value of a failed Expected: invalid input: negative");
}

TEST(ExpectedDeathTest, MadeFromAnOkStatusAborts) {
  EXPECT_DEATH(Expected<int>{Status::Ok()}, "an Expected made from an ok Status");
}

}  // namespace
}  // namespace rwd

// `rewind record` refusing what it cannot record faithfully: an unsupported
// syscall is named and the trace so far is kept; a missing program or a bad
// command line gives a clear message. Never a crash, never a hang.
#include <filesystem>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

class RecordErrorsTest : public E2ETest {
 protected:
  static void ExpectCleanFailure(const RunResult& r) {
    EXPECT_FALSE(r.timed_out) << r.Describe();
    EXPECT_FALSE(r.Crashed()) << r.Describe();
    EXPECT_NE(r.exit_status, 0) << r.Describe();
    EXPECT_TRUE(AnyLineMatches(r.err, "^rewind: ")) << "errors are reported as \"rewind: ...\"";
  }
};

TEST_F(RecordErrorsTest, UnsupportedSyscallIsRefusedByName) {
  Recording rec = Record("unsupported_syscall");
  ExpectCleanFailure(rec);
  EXPECT_TRUE(
      AnyLineMatches(rec.err, "io_uring_setup.*not supported|not supported.*io_uring_setup"))
      << "the message must name the syscall";
  EXPECT_TRUE(Contains(rec.out, "unsupported_syscall: before io_uring_setup\n"))
      << "output before the refusal passes through";

  // The trace up to the refusal is kept and readable.
  ASSERT_TRUE(std::filesystem::is_directory(rec.trace)) << rec.trace;
  RunResult dump = Dump(rec.trace);
  EXPECT_FALSE(dump.Crashed()) << dump.Describe();
  EXPECT_FALSE(Contains(dump.err, "corrupt", true));
  // printf's write of the 43-byte line before io_uring_setup.
  EXPECT_TRUE(
      AnyLineMatches(dump.out, "^#[0-9]+ tid [0-9]+ syscall write\\(1, 0x[0-9a-f]+, 43\\) = 43"));
}

TEST_F(RecordErrorsTest, MissingProgramIsReported) {
  const std::string trace = NewPath("trace");
  RunResult r = Rewind({"record", "-o", trace, "/nonexistent/program"});
  ExpectCleanFailure(r);
  EXPECT_TRUE(Contains(r.err, "/nonexistent/program")) << "the message must name the program";
}

TEST_F(RecordErrorsTest, NonExecutableProgramIsReported) {
  // A directory cannot be executed.
  RunResult r = Rewind({"record", "-o", NewPath("trace"), temp_dir()});
  ExpectCleanFailure(r);
  EXPECT_TRUE(Contains(r.err, temp_dir()));
}

TEST_F(RecordErrorsTest, RecordWithoutProgramIsAUsageError) {
  RunResult r = Rewind({"record"});
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.Crashed()) << r.Describe();
  EXPECT_NE(r.exit_status, 0) << r.Describe();
  EXPECT_FALSE(r.err.empty()) << "a usage error explains itself on stderr";
}

TEST_F(RecordErrorsTest, UnknownCommandIsAUsageError) {
  RunResult r = Rewind({"no-such-command"});
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.Crashed()) << r.Describe();
  EXPECT_NE(r.exit_status, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "no-such-command"));
}

}  // namespace
}  // namespace rwd::e2e

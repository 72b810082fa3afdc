// `rewind dump`: one line per event, numbered from #0 without gaps, naming
// syscalls, signals and trapped instructions, e.g.
//   #12 tid 4242 syscall write(1, 0x7ffd..., 13) = 13
// (details may follow, e.g. " [16 bytes written]").
//   #40 tid 4242 signal SIGSEGV
//   #3 tid 4242 insn-trap rdtsc
#include <regex>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

class DumpTest : public E2ETest {
 protected:
  RunResult RecordAndDump(const std::string& program, int expected_status,
                          const RunOptions& options = {}) {
    Recording rec = Record(program, {}, options);
    EXPECT_EQ(rec.exit_status, expected_status) << rec.Describe();
    RunResult dump = Dump(rec.trace);
    EXPECT_EQ(dump.exit_status, 0) << dump.Describe();
    return dump;
  }
};

TEST_F(DumpTest, EventsAreNumberedInOrder) {
  RunResult dump = RecordAndDump("random_bytes", 0);
  const std::regex event_line("^#([0-9]+) tid [0-9]+ [a-z-]+");
  long expected = 0;
  for (const std::string& line : Lines(dump.out)) {
    if (line.empty() || line[0] != '#') continue;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, event_line)) << line;
    ASSERT_EQ(std::stol(m[1]), expected) << line;
    ++expected;
  }
  EXPECT_GT(expected, 5) << "a dynamically linked program makes dozens of syscalls:\n" << dump.out;
}

// One event per syscall: with the syscall buffer, the reads of
// /dev/urandom would be a syscall-batch line.
TEST_F(DumpTest, ShowsSyscallNamesArgumentsAndResults) {
  RunResult dump = RecordAndDump("random_bytes", 0, SyscallBufferOff());
  EXPECT_TRUE(AnyLineMatches(
      dump.out, "^#[0-9]+ tid [0-9]+ syscall read\\([0-9]+, 0x[0-9a-f]+, 16\\) = 16\\b"));
  EXPECT_TRUE(AnyLineMatches(
      dump.out, "^#[0-9]+ tid [0-9]+ syscall getrandom\\(0x[0-9a-f]+, 16, 0\\) = 16\\b"));
  // stdout is a pipe, so both lines leave in one write at exit.
  EXPECT_TRUE(AnyLineMatches(
      dump.out, "^#[0-9]+ tid [0-9]+ syscall write\\(1, 0x[0-9a-f]+, ([0-9]+)\\) = \\1\\b"));
  EXPECT_TRUE(AnyLineMatches(dump.out, " syscall (openat|open)\\("));
}

TEST_F(DumpTest, ShowsSignals) {
  RunResult dump = RecordAndDump("segfault", 128 + 11);
  EXPECT_TRUE(AnyLineMatches(dump.out, "^#[0-9]+ tid [0-9]+ signal SIGSEGV"));

  RunResult handled = RecordAndDump("sigusr1_handler", 0);
  EXPECT_TRUE(AnyLineMatches(handled.out, "^#[0-9]+ tid [0-9]+ signal SIGUSR1"));
}

TEST_F(DumpTest, ShowsTrappedInstructions) {
  RunResult dump = RecordAndDump("time_sources", 0);
  EXPECT_TRUE(AnyLineMatches(dump.out, "^#[0-9]+ tid [0-9]+ insn-trap rdtsc\\b"));
  EXPECT_TRUE(AnyLineMatches(dump.out, "^#[0-9]+ tid [0-9]+ insn-trap rdtscp\\b"));
  // cpuid is trapped only where the CPU offers cpuid faulting: not checked.
}

}  // namespace
}  // namespace rwd::e2e

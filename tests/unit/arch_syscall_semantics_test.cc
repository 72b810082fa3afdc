// One semantics table, numbered per architecture: the architectures agree
// on every syscall they share, every number matches the kernel's headers on
// this host, and the columns the recorder and replayer switch on sit where
// their code expects.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arch/aarch64/syscall_numbers.h"
#include "arch/syscall_semantics.h"
#include "arch/x86_64/syscall_numbers.h"

namespace rwd::arch {
namespace {

using ::testing::UnorderedElementsAre;

struct NamedTable {
  std::string_view arch;
  std::span<const SyscallInfo> rows;
};

std::vector<NamedTable> AllTables() {
  return {{"x86_64", X86_64SyscallRows()}, {"aarch64", AArch64SyscallRows()}};
}

// Everything but the number, and the size of a Layout output (which the
// architecture supplies), is the syscall's semantics.
void ExpectSameSemantics(const SyscallInfo& a, const SyscallInfo& b, const std::string& what) {
  SCOPED_TRACE(what + " " + std::string(a.name));
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.special, b.special);
  EXPECT_EQ(a.deny_errno, b.deny_errno);
  EXPECT_EQ(a.arg_count, b.arg_count);
  EXPECT_EQ(a.echo, b.echo);
  EXPECT_EQ(a.may_block, b.may_block);
  EXPECT_EQ(a.bufferable, b.bufferable);
  EXPECT_EQ(a.at_dirfd, b.at_dirfd);
  EXPECT_EQ(a.implied_clone_flags, b.implied_clone_flags);
  EXPECT_EQ(a.wait_mask.arg, b.wait_mask.arg);
  EXPECT_EQ(a.wait_mask.indirect, b.wait_mask.indirect);
  for (size_t i = 0; i < a.outs.size(); ++i) {
    EXPECT_EQ(a.outs[i].arg, b.outs[i].arg) << "output " << i;
    EXPECT_EQ(a.outs[i].rule, b.outs[i].rule) << "output " << i;
    EXPECT_EQ(a.outs[i].size_arg, b.outs[i].size_arg) << "output " << i;
    EXPECT_EQ(a.outs[i].layout, b.outs[i].layout) << "output " << i;
    if (a.outs[i].layout == Layout::kNone) {
      EXPECT_EQ(a.outs[i].size, b.outs[i].size) << "output " << i;
    }
  }
}

TEST(SyscallSemanticsTest, ArchitecturesAgreeOnEverySyscallTheyShare) {
  SyscallTable aarch64(AArch64SyscallRows());
  size_t shared = 0;
  for (const SyscallInfo& x86 : X86_64SyscallRows()) {
    const SyscallInfo* arm = aarch64.FindByName(x86.name);
    if (!arm) continue;
    ++shared;
    ExpectSameSemantics(x86, *arm, "x86_64 vs aarch64");
  }
  EXPECT_EQ(shared, AArch64SyscallRows().size()) << "AArch64 has a syscall x86-64 lacks";
}

TEST(SyscallSemanticsTest, RowsAreTheSharedSemanticsNumbered) {
  for (const NamedTable& t : AllTables()) {
    for (const SyscallInfo& row : t.rows) {
      const SyscallInfo* semantics = SemanticsOf(row.name);
      ASSERT_NE(semantics, nullptr) << t.arch << " " << row.name;
      EXPECT_EQ(semantics->nr, -1);
      EXPECT_GE(row.nr, 0) << t.arch << " " << row.name;
      ExpectSameSemantics(row, *semantics, std::string(t.arch));
      for (const OutParam& out : row.outs) {
        if (out.layout != Layout::kNone) EXPECT_GT(out.size, 0u) << t.arch << " " << row.name;
      }
    }
  }
}

TEST(SyscallSemanticsTest, EverySemanticsRowIsNumberedSomewhere) {
  std::set<std::string_view> numbered;
  for (const NamedTable& t : AllTables()) {
    for (const SyscallInfo& row : t.rows) numbered.insert(row.name);
  }
  std::set<std::string_view> names;
  for (const SyscallInfo& row : SyscallSemantics()) {
    EXPECT_TRUE(names.insert(row.name).second) << "two rows for " << row.name;
    EXPECT_TRUE(numbered.contains(row.name)) << row.name << " is numbered on no architecture";
    EXPECT_LE(row.arg_count, 6) << row.name;
  }
}

TEST(SyscallSemanticsTest, LayoutsAreSizedPerArchitecture) {
  SyscallTable x86(X86_64SyscallRows());
  SyscallTable arm(AArch64SyscallRows());
  EXPECT_EQ(x86.FindByName("fstat")->outs[0].size, 144u);
  EXPECT_EQ(arm.FindByName("fstat")->outs[0].size, 128u);
  EXPECT_EQ(x86.FindByName("epoll_pwait")->outs[0].size, 12u);
  EXPECT_EQ(arm.FindByName("epoll_pwait")->outs[0].size, 16u);
}

// `#define __NR<prefix>_<name> <nr>` lines of a kernel header, by name.
std::map<std::string, int> HeaderNumbers(const std::string& path, const std::string& prefix) {
  std::map<std::string, int> numbers;
  std::ifstream in(path);
  const std::regex define("^#define __NR" + prefix + "_([a-z0-9_]+)\\s+([0-9]+)");
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, m, define)) numbers.emplace(m[1], std::stoi(m[2]));
  }
  return numbers;
}

// From 424 on every architecture numbers syscalls alike; rows newer than
// this host's headers (fchmodat2, 452, on Debian 12) are those.
constexpr int kFirstUnifiedNumber = 424;

int HighestNumber(const std::map<std::string, int>& numbers) {
  int highest = 0;
  for (const auto& [name, nr] : numbers) highest = std::max(highest, nr);
  return highest;
}

TEST(SyscallSemanticsTest, X86_64NumbersMatchTheKernelHeader) {
  std::string path;
  for (const char* p :
       {"/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"}) {
    if (std::ifstream(p)) path = p;
  }
  if (path.empty()) GTEST_SKIP() << "no x86-64 <asm/unistd_64.h> on this host";
  std::map<std::string, int> header = HeaderNumbers(path, "");
  ASSERT_GT(header.size(), 300u) << path;
  const int newest = HighestNumber(header);
  for (const SyscallInfo& row : X86_64SyscallRows()) {
    auto it = header.find(std::string(row.name));
    if (it == header.end() && row.nr > newest && row.nr >= kFirstUnifiedNumber) continue;
    ASSERT_NE(it, header.end()) << row.name << " is not in " << path;
    EXPECT_EQ(row.nr, it->second) << row.name;
  }
}

// AArch64 numbers syscalls as asm-generic/unistd.h does; the entries that
// depend on the word size are spelled __NR3264_ there (fstatat is
// newfstatat on 64-bit).
TEST(SyscallSemanticsTest, AArch64NumbersMatchTheGenericKernelHeader) {
  const std::string path = "/usr/include/asm-generic/unistd.h";
  if (!std::ifstream(path)) GTEST_SKIP() << "no <asm-generic/unistd.h> on this host";
  std::map<std::string, int> plain = HeaderNumbers(path, "");
  std::map<std::string, int> word = HeaderNumbers(path, "3264");
  word["newfstatat"] = word["fstatat"];
  ASSERT_GT(plain.size(), 250u);
  const int newest = HighestNumber(plain);
  for (const SyscallInfo& row : AArch64SyscallRows()) {
    std::string name(row.name);
    auto it = plain.find(name);
    if (it == plain.end()) it = word.find(name);
    if (it == word.end() && row.nr > newest && row.nr >= kFirstUnifiedNumber) continue;
    ASSERT_TRUE(it != word.end()) << name << " is not in " << path;
    EXPECT_EQ(row.nr, it->second) << name;
  }
}

std::vector<std::string_view> NamesWhere(std::span<const SyscallInfo> rows, auto predicate) {
  std::vector<std::string_view> names;
  for (const SyscallInfo& row : rows) {
    if (predicate(row)) names.push_back(row.name);
  }
  return names;
}

TEST(SyscallSemanticsTest, ColumnsTheCodeSwitchesOn) {
  auto rows = SyscallSemantics();
  EXPECT_THAT(NamesWhere(rows, [](const SyscallInfo& r) { return r.echo == Echo::kBuffer; }),
              UnorderedElementsAre("write"));
  EXPECT_THAT(NamesWhere(rows, [](const SyscallInfo& r) { return r.echo == Echo::kIovec; }),
              UnorderedElementsAre("writev"));
  EXPECT_THAT(
      NamesWhere(rows, [](const SyscallInfo& r) { return r.wait_mask.arg >= 0; }),
      UnorderedElementsAre("rt_sigsuspend", "ppoll", "pselect6", "epoll_pwait", "epoll_pwait2"));
  EXPECT_THAT(NamesWhere(rows, [](const SyscallInfo& r) { return r.wait_mask.arg == 0; }),
              UnorderedElementsAre("rt_sigsuspend"));
  const SyscallInfo* execveat = SemanticsOf("execveat");
  EXPECT_TRUE(execveat->at_dirfd);
  EXPECT_FALSE(SemanticsOf("execve")->at_dirfd);
}

TEST(SyscallSemanticsTest, CloneFlagsAreDerivedFromTheRow) {
  std::array<uint64_t, 6> args{CLONE_VM | CLONE_THREAD | CLONE_SETTLS, 1, 2, 3, 4, 5};
  EXPECT_EQ(CloneFlags(*SemanticsOf("clone"), args, 0), args[0]);
  EXPECT_EQ(CloneFlags(*SemanticsOf("fork"), args, 0), uint64_t{SIGCHLD});
  EXPECT_EQ(CloneFlags(*SemanticsOf("vfork"), args, 0), uint64_t{CLONE_VM | CLONE_VFORK | SIGCHLD});
}

// What an in-process buffer may run without a ptrace stop changes nothing
// replay must run for real, and writes only what `outs` describe.
TEST(SyscallSemanticsTest, BufferableSyscallsAreEmulatedPlainData) {
  for (const SyscallInfo& row : SyscallSemantics()) {
    if (!row.bufferable) continue;
    // A row replay runs for real is buffered only as a query.
    if (row.action != ReplayAction::kEmulate) {
      EXPECT_GE(row.buffered_query_arg, 0) << row.name;
      continue;
    }
    EXPECT_TRUE(row.special == Special::kNone || row.special == Special::kReadv ||
                row.special == Special::kFutex || row.special == Special::kIoctl)
        << row.name;
  }
  for (std::string_view name : {"read", "write", "pread64", "close", "fstat", "newfstatat", "statx",
                                "getpid", "gettid", "clock_gettime"}) {
    EXPECT_TRUE(SemanticsOf(name)->bufferable) << name;
  }
  for (std::string_view name : {"mmap", "clone", "kill", "poll", "execve", "exit_group", "wait4",
                                "sigaltstack", "rt_sigreturn"}) {
    EXPECT_FALSE(SemanticsOf(name)->bufferable) << name;
  }
}

// Of futex's operations a buffer runs only the wakes, which never block and
// write nothing; the private and clock flags do not matter.
TEST(SyscallSemanticsTest, OnlyFutexWakesAreBufferable) {
  const SyscallInfo& futex = *SemanticsOf("futex");
  auto with_op = [](uint64_t op) { return std::array<uint64_t, 6>{0x1000, op, 1, 0, 0, 0}; };
  for (uint64_t wake : {1u /*FUTEX_WAKE*/, 129u /*_PRIVATE*/, 10u /*FUTEX_WAKE_BITSET*/, 138u}) {
    EXPECT_TRUE(BufferableCall(futex, with_op(wake))) << wake;
  }
  for (uint64_t other : {0u /*FUTEX_WAIT*/, 128u, 9u /*FUTEX_WAIT_BITSET*/, 393u, 5u /*WAKE_OP*/,
                         133u, 3u /*REQUEUE*/, 4u /*CMP_REQUEUE*/, 6u /*LOCK_PI*/, 7u /*UNLOCK_PI*/}) {
    EXPECT_FALSE(BufferableCall(futex, with_op(other))) << other;
  }
  EXPECT_TRUE(BufferableCall(*SemanticsOf("read"), with_op(0)));
  EXPECT_FALSE(BufferableCall(*SemanticsOf("mmap"), with_op(1)));
}

// Of ioctl's requests only TCGETS; rt_sigaction and rt_sigprocmask only as
// queries (no new action, no new set): replay runs the others for real.
TEST(SyscallSemanticsTest, OnlyTcgetsAndSignalQueriesOfTheirRowsAreBufferable) {
  const SyscallInfo& ioctl = *SemanticsOf("ioctl");
  EXPECT_TRUE(BufferableCall(ioctl, {1, 0x5401 /*TCGETS*/, 0x1000, 0, 0, 0}));
  for (uint64_t other : {0x5402u /*TCSETS*/, 0x5413u /*TIOCGWINSZ*/, 0x541bu /*FIONREAD*/}) {
    EXPECT_FALSE(BufferableCall(ioctl, {1, other, 0x1000, 0, 0, 0})) << other;
  }
  for (std::string_view name : {"rt_sigaction", "rt_sigprocmask"}) {
    const SyscallInfo& row = *SemanticsOf(name);
    EXPECT_EQ(row.action, ReplayAction::kExecute) << name;
    EXPECT_TRUE(BufferableCall(row, {10, 0, 0x1000, 8, 0, 0})) << name;
    EXPECT_FALSE(BufferableCall(row, {10, 0x2000, 0x1000, 8, 0, 0})) << name;
  }
}

}  // namespace
}  // namespace rwd::arch

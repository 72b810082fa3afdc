// The process tree of synthetic traces: threads and processes made by clone,
// fork and vfork, commands from exec, exits, and traces that end early.
#include <errno.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>

#include <filesystem>
#include <ostream>
#include <string_view>

#include "arch/arch.h"
#include "tests/unit/trace_test_util.h"
#include "trace/process_tree.h"
#include "trace/trace_writer.h"

namespace rwd::trace {

void PrintTo(const ProcessInfo& p, std::ostream* os) {
  static constexpr const char* kEnds[] = {"exited", "running", "unknown"};
  *os << "{pid " << p.pid << ", ppid " << p.ppid << ", \"" << p.command << "\", "
      << kEnds[static_cast<int>(p.end)] << " " << p.wait_status << ", first_event " << p.first_event
      << ", exec_events [";
  for (uint64_t e : p.exec_events) *os << " " << e;
  *os << " ], threads " << p.threads << "}";
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;

// What glibc's pthread_create passes to clone.
constexpr uint64_t kThreadFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                  CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                                  CLONE_CHILD_CLEARTID;
constexpr int kExit0 = 0;
constexpr int kExit1 = 1 << 8;  // waitpid status of exit(1)

// A recording told event by event; each step returns its event number.
class Story {
 public:
  explicit Story(const std::string& arch_name = "x86_64")
      : arch_(arch::ArchByName(arch_name)), header_(testing::SampleHeader()) {
    header_.arch = arch_name;
    header_.argv = {"sh", "-c", "ls | sort"};
  }

  uint64_t Syscall(int32_t tid, std::string_view name, std::array<uint64_t, 6> args,
                   int64_t result) {
    SyscallEvent syscall;
    syscall.nr = Nr(name);
    syscall.args = args;
    syscall.result = result;
    return Add(tid, std::move(syscall));
  }
  uint64_t Entry(int32_t tid, std::string_view name, std::array<uint64_t, 6> args = {}) {
    return Add(tid, SyscallEntryEvent{.nr = Nr(name), .args = args});
  }
  uint64_t Clone(int32_t tid, uint64_t flags, int64_t result) {
    return Syscall(tid, "clone", {flags, 0x7f0000100000, 0, 0, 0, 0}, result);
  }
  uint64_t Fork(int32_t tid, int64_t result) { return Syscall(tid, "fork", {}, result); }
  uint64_t Exec(int32_t tid, std::vector<std::string> argv) {
    ExecEvent exec;
    exec.path = "/usr/bin/" + argv.at(0);
    exec.argv = std::move(argv);
    return Add(tid, std::move(exec));
  }
  uint64_t Exit(int32_t tid, int wait_status, bool whole_process = true) {
    return Add(tid, ExitEvent{.wait_status = wait_status, .whole_process = whole_process});
  }
  uint64_t Other(int32_t tid) {
    Add(tid, PreemptEvent{.fingerprint = std::vector<uint8_t>(16, 1), .stack_hash = 7});
    return Syscall(tid, "getpid", {}, tid);
  }

  TraceHeader& header() { return header_; }
  const std::vector<Event>& events() const { return events_; }

  // Writes the trace (finished or cut short) and reads its process tree.
  Expected<std::vector<ProcessInfo>> Read(bool finish = true) {
    std::string dir = tmp_.Sub("trace" + std::to_string(traces_++));
    testing::WriteTrace(dir, header_, events_, finish);
    auto reader = TraceReader::Open(dir);
    if (!reader.ok()) return reader.status();
    return ReadProcessTree(**reader);
  }

 private:
  int64_t Nr(std::string_view name) {
    const arch::SyscallInfo* row = arch_->syscalls().FindByName(name);
    EXPECT_NE(row, nullptr) << name;
    return row ? row->nr : -1;
  }
  uint64_t Add(int32_t tid, EventBody body) {
    events_.push_back({.tid = tid, .body = std::move(body)});
    return events_.size() - 1;
  }

  const arch::Arch* arch_;
  TraceHeader header_;
  std::vector<Event> events_;
  TempDir tmp_;
  int traces_ = 0;
};

TEST(ProcessTreeTest, RootWithAThreadAndAForkedChildThatExecs) {
  Story s;
  s.Exec(100, {"sh", "-c", "ls | sort"});
  s.Clone(100, kThreadFlags, 101);
  s.Other(101);
  uint64_t fork = s.Fork(100, 102);
  s.Other(102);
  uint64_t exec = s.Exec(102, {"ls", "/usr/include"});
  s.Exit(101, kExit0, /*whole_process=*/false);
  uint64_t child_exit = s.Exit(102, kExit0);
  s.Syscall(100, "wait4", {102, 0, 0, 0, 0, 0}, 102);
  uint64_t root_exit = s.Exit(100, kExit1);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_THAT(*tree, ElementsAre(ProcessInfo{.pid = 100,
                                             .ppid = 0,
                                             .command = "sh -c ls | sort",
                                             .end = ProcessEnd::kExited,
                                             .wait_status = kExit1,
                                             .end_event = root_exit,
                                             .end_tid = 100,
                                             .first_event = 0,
                                             .exec_events = {0},
                                             .threads = 2},
                                 ProcessInfo{.pid = 102,
                                             .ppid = 100,
                                             .command = "ls /usr/include",
                                             .end = ProcessEnd::kExited,
                                             .wait_status = kExit0,
                                             .end_event = child_exit,
                                             .end_tid = 102,
                                             .first_event = fork,
                                             .exec_events = {exec},
                                             .threads = 1}));
  EXPECT_EQ(FormatProcessTable(*tree),
            "PID     PPID    EXIT    CMD\n"
            "100     --      1       sh -c ls | sort\n"
            "102     100     0       ls /usr/include\n");
}

// Before its first exec a process runs its parent's program; the first
// process's is the recorded command line.
TEST(ProcessTreeTest, CommandBeforeExecIsTheParents) {
  Story s;
  s.Other(10);
  s.Fork(10, 11);
  s.Fork(11, 12);
  s.Exec(11, {"cat"});
  s.Exit(12, SIGTERM);
  s.Exit(11, kExit0);
  s.Exit(10, kExit0);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 3u);
  EXPECT_EQ((*tree)[0].command, "sh -c ls | sort");
  EXPECT_TRUE((*tree)[0].exec_events.empty());
  EXPECT_EQ((*tree)[1].command, "cat");
  EXPECT_EQ((*tree)[2].command, "sh -c ls | sort");  // forked before its parent's exec
  EXPECT_EQ((*tree)[2].ppid, 11);
  EXPECT_EQ(FormatProcessTable(*tree),
            "PID     PPID    EXIT    CMD\n"
            "10      --      0       sh -c ls | sort\n"
            "11      10      0       cat\n"
            "12      11      SIGTERM sh -c ls | sort\n");
}

TEST(ProcessTreeTest, ExecNamesTheProcessOfAnyOfItsThreadsAndLastExecWins) {
  Story s;
  s.Clone(1, kThreadFlags, 2);
  s.Clone(2, kThreadFlags, 3);
  uint64_t first = s.Exec(1, {"a"});
  uint64_t second = s.Exec(1, {"b", "x"});
  s.Exit(1, kExit0);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 1u);
  EXPECT_EQ((*tree)[0].threads, 3);
  EXPECT_EQ((*tree)[0].command, "b x");
  EXPECT_THAT((*tree)[0].exec_events, ElementsAre(first, second));
}

// exit_group from any thread ends the process; its other threads vanish with
// it, so their tids may be reused by a later process.
TEST(ProcessTreeTest, WholeProcessExitFromAnyThreadAndTidReuse) {
  Story s;
  s.Fork(1, 2);
  s.Clone(2, kThreadFlags, 3);
  s.Exit(3, SIGKILL);  // a fatal signal, seen by thread 3
  uint64_t refork = s.Fork(1, 3);
  s.Exec(3, {"later"});
  s.Exit(3, kExit0);
  s.Exit(1, kExit0);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 3u);
  EXPECT_EQ((*tree)[1].pid, 2);
  EXPECT_EQ((*tree)[1].threads, 2);
  EXPECT_EQ((*tree)[1].end, ProcessEnd::kExited);
  EXPECT_EQ((*tree)[1].wait_status, SIGKILL);
  EXPECT_EQ((*tree)[2].pid, 3);
  EXPECT_EQ((*tree)[2].ppid, 1);
  EXPECT_EQ((*tree)[2].first_event, refork);
  EXPECT_EQ((*tree)[2].command, "later");
}

TEST(ProcessTreeTest, FailedClonesAndTheChildsZeroCreateNothing) {
  Story s;
  s.Fork(1, -11);                 // EAGAIN
  s.Clone(1, kThreadFlags, -12);  // ENOMEM
  s.Syscall(1, "vfork", {}, -1);  // EPERM
  s.Fork(1, 2);
  s.Fork(2, 0);  // the child's side of a fork, were it recorded
  s.Exit(1, kExit0);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ((*tree)[0].threads, 1);
  EXPECT_EQ((*tree)[1].pid, 2);
}

TEST(ProcessTreeTest, CloneWithoutThreadFlagIsAProcessAndCloneParentMakesASibling) {
  Story s;
  s.Clone(1, SIGCHLD, 2);
  s.Clone(2, CLONE_VM | CLONE_VFORK | SIGCHLD, 3);
  s.Clone(3, CLONE_PARENT | SIGCHLD, 4);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 4u);
  EXPECT_EQ((*tree)[1].ppid, 1);
  EXPECT_EQ((*tree)[2].ppid, 2);
  EXPECT_EQ((*tree)[3].ppid, 2);  // 3's parent
}

// The recorder denies clone3 (its flags are in memory) and glibc falls back
// to clone.
TEST(ProcessTreeTest, DeniedClone3ThenCloneMakesAThread) {
  Story s;
  s.Syscall(1, "clone3", {0x7ffd0000, 88, 0, 0, 0, 0}, -ENOSYS);
  s.Clone(1, kThreadFlags, 2);
  s.Syscall(1, "clone3", {0x7ffd0000, 88, 0, 0, 0, 0}, -ENOSYS);
  s.Fork(1, 3);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ((*tree)[0].threads, 2);
  EXPECT_EQ((*tree)[1].pid, 3);
}

// The parent blocks in vfork until the child execs or exits: the child's
// events come between the parent's syscall entry and its result.
TEST(ProcessTreeTest, VforkChildRunsBeforeItsParentsResult) {
  Story s;
  s.Exec(300, {"sh"});
  s.Entry(300, "vfork");
  s.Other(301);
  uint64_t exec = s.Exec(301, {"true"});
  uint64_t child_exit = s.Exit(301, kExit1);
  uint64_t result = s.Syscall(300, "vfork", {}, 301);
  s.Exit(300, kExit0);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ((*tree)[1], (ProcessInfo{.pid = 301,
                                     .ppid = 300,
                                     .command = "true",
                                     .end = ProcessEnd::kExited,
                                     .wait_status = kExit1,
                                     .end_event = child_exit,
                                     .end_tid = 301,
                                     .first_event = result,
                                     .exec_events = {exec},
                                     .threads = 1}));
}

// Cut short while the parent still waits in vfork: its entry stands in for
// the result that never came.
TEST(ProcessTreeTest, VforkChildOfACutShortTrace) {
  Story s;
  s.Exec(300, {"sh"});
  s.Entry(300, "clone", {kThreadFlags, 0, 0, 0, 0, 0});  // returned below
  s.Syscall(300, "clone", {kThreadFlags, 0, 0, 0, 0, 0}, 302);
  uint64_t entry = s.Entry(300, "vfork");
  s.Exec(301, {"sleep", "100"});

  auto tree = s.Read(/*finish=*/false);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ((*tree)[0].threads, 2);
  EXPECT_EQ((*tree)[0].end, ProcessEnd::kUnknown);
  EXPECT_EQ((*tree)[1].pid, 301);
  EXPECT_EQ((*tree)[1].ppid, 300);
  EXPECT_EQ((*tree)[1].first_event, entry);
  EXPECT_EQ((*tree)[1].command, "sleep 100");
  EXPECT_EQ((*tree)[1].end, ProcessEnd::kUnknown);
}

TEST(ProcessTreeTest, CutShortTraceLeavesLiveProcessesUnknown) {
  Story s;
  s.Exec(50, {"make"});
  s.Fork(50, 51);
  s.Exec(51, {"cc", "-c", "a.c"});
  s.Fork(50, 52);
  s.Exit(52, kExit0);

  auto tree = s.Read(/*finish=*/false);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 3u);
  EXPECT_EQ((*tree)[0].end, ProcessEnd::kUnknown);
  EXPECT_EQ((*tree)[1].end, ProcessEnd::kUnknown);
  EXPECT_EQ((*tree)[2].end, ProcessEnd::kExited);
  EXPECT_EQ(FormatProcessTable(*tree),
            "PID     PPID    EXIT    CMD\n"
            "50      --      -       make\n"
            "51      50      -       cc -c a.c\n"
            "52      50      0       make\n");
}

// A finished recording (the first process exited) can leave others running,
// e.g. a daemon.
TEST(ProcessTreeTest, FinishedTraceLeavesSurvivorsRunning) {
  Story s;
  s.Fork(50, 51);
  s.Exit(50, kExit0);

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ((*tree)[0].end, ProcessEnd::kExited);
  EXPECT_EQ((*tree)[1].end, ProcessEnd::kRunning);
  EXPECT_THAT(FormatProcessTable(*tree), HasSubstr("\n51      50      -       sh -c"));
}

// The recorder killed mid-chunk: the exits in the lost chunk are not known.
TEST(ProcessTreeTest, TruncatedLastChunk) {
  TempDir tmp;
  Story s;
  s.Fork(70, 71);
  s.Exit(71, kExit0);
  s.Exit(70, kExit0);
  {
    auto writer = TraceWriter::Create(tmp.path(), s.header());
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(s.events()[0]).ok());
    ASSERT_TRUE((*writer)->Flush().ok());
    ASSERT_TRUE((*writer)->Append(s.events()[1]).ok());
    ASSERT_TRUE((*writer)->Append(s.events()[2]).ok());
    ASSERT_TRUE((*writer)->Finish().ok());
  }
  std::string events = tmp.Sub("events");
  std::filesystem::resize_file(events, std::filesystem::file_size(events) - 3);

  auto reader = TraceReader::Open(tmp.path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_TRUE((*reader)->truncated());
  auto tree = ReadProcessTree(**reader);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ((*tree)[0].end, ProcessEnd::kUnknown);
  EXPECT_EQ((*tree)[1].end, ProcessEnd::kUnknown);
}

TEST(ProcessTreeTest, ReadsFromTheStartWhereverTheCursorIs) {
  Story s;
  s.Fork(1, 2);
  s.Other(2);
  s.Exit(2, kExit0);
  TempDir tmp;
  testing::WriteTrace(tmp.Sub("t"), s.header(), s.events());
  auto reader = TraceReader::Open(tmp.Sub("t"));
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->Seek(3).ok());
  auto tree = ReadProcessTree(**reader);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(tree->size(), 2u);
  EXPECT_EQ((*reader)->position(), s.events().size());
}

TEST(ProcessTreeTest, AArch64ThreadsAndProcessesComeFromClone) {
  Story s("aarch64");
  s.Clone(1, kThreadFlags, 2);
  s.Clone(1, SIGCHLD, 3);
  s.Exec(3, {"ls"});

  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ((*tree)[0].threads, 2);
  EXPECT_EQ((*tree)[1].pid, 3);
  EXPECT_EQ((*tree)[1].command, "ls");
}

TEST(ProcessTreeTest, EmptyTraceHasNoProcesses) {
  Story s;
  auto tree = s.Read();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_TRUE(tree->empty());
  EXPECT_EQ(FormatProcessTable(*tree), "PID     PPID    EXIT    CMD\n");
}

TEST(ProcessTreeTest, ThreadNoCreationAccountsForIsCorrupt) {
  Story s;
  s.Other(1);
  s.Other(9);
  s.Exec(9, {"ghost"});

  auto tree = s.Read();
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(tree.status().message(),
            "event 4: thread 9 belongs to no process: no clone, fork or vfork in the trace "
            "created it");
}

TEST(ProcessTreeTest, UnknownArchitecture) {
  Story s;
  s.Other(1);
  s.header().arch = "riscv64";
  auto tree = s.Read();
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(tree.status().message(), HasSubstr("'riscv64'"));
}

// Columns stay apart when a cell is wider than the column.
TEST(ProcessTreeTest, TableColumnsNeverTouch) {
  std::vector<ProcessInfo> processes(2);
  processes[0].pid = 4194304;
  processes[0].command = "init";
  processes[1].pid = 12345678;
  processes[1].ppid = 4194304;
  processes[1].command = "rt";
  processes[1].end = ProcessEnd::kExited;
  processes[1].wait_status = SIGRTMIN + 2;
  EXPECT_EQ(FormatProcessTable(processes),
            "PID     PPID    EXIT    CMD\n"
            "4194304 --      -       init\n"
            "12345678 4194304 signal " +
                std::to_string(SIGRTMIN + 2) + " rt\n");
}

}  // namespace
}  // namespace rwd::trace

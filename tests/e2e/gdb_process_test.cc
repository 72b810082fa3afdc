// One process of a recorded tree under gdb (issue #6): `rewind replay -f PID`
// starts history at the creation (fork) of process PID, `rewind replay -p
// PID` at its first exec (for a child that never execs, also at its fork),
// and gdb sees that process alone: its pid, its breakpoints, its exit code,
// reverse execution within it. The pid comes from `rewind ps`, as a user
// would find it.
//
// Targets: tests/programs/mp_child_work.c (only the child calls
// child_work(i), i = 0..4, then exits with 7; expected lines come from its
// "// @name" markers) and tests/programs/mp_pipe.c (the child writes its
// pid and 5000 records into a pipe that the parent drains, so replaying the
// child means replaying the parent's reads in between).
#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

constexpr char kSource[] = "tests/programs/mp_child_work.c";
constexpr char kFile[] = "mp_child_work.c";

// Every run is bounded: a replay that hangs on a process switch fails the
// test with gdb's transcript so far, well inside ctest's 300 s.
constexpr std::chrono::seconds kRecordTimeout{60};
constexpr std::chrono::seconds kGdbTimeout{90};

int Line(const std::string& marker) { return SourceLine(kSource, marker); }

// One row of `rewind ps`.
struct PsRow {
  std::string pid, ppid, exit, command;
};

// The output of `continue` shows a hit of the breakpoint on child_work with
// argument `i`, at the first line of its body.
::testing::AssertionResult HitChildWork(const std::string& output, int i) {
  ::testing::AssertionResult at = StoppedAt(output, kFile, Line("@work-body"), "child_work");
  if (!at) return at;
  return AnyLineMatches(output, R"(^Breakpoint \d+, child_work \(i=)" + std::to_string(i) +
                                    R"(\) at .*)" + kFile + ":" +
                                    std::to_string(Line("@work-body")) + "$");
}

class GdbProcessTest : public GdbTest {
 protected:
  RunOptions Quick() const {
    RunOptions options;
    options.timeout = std::chrono::seconds(30);
    return options;
  }

  // Records `program` (which must exit with 0) and finds its two processes
  // with `rewind ps`: the parent, then its one child, which exited with 7.
  void RecordParentAndChild(const std::string& program) {
    RunOptions options;
    options.timeout = kRecordTimeout;
    rec_ = Record(program, {}, options);
    ASSERT_FALSE(rec_.timed_out) << rec_.Describe();
    ASSERT_EQ(rec_.exit_status, 0) << "recording " << program << " failed: " << rec_.Describe();

    RunResult ps = Rewind({"ps", rec_.trace}, Quick());
    ASSERT_EQ(ps.exit_status, 0) << ps.Describe();
    std::vector<std::string> lines = Lines(ps.out);
    ASSERT_EQ(lines.size(), 3u) << "want a header, the parent and the child:\n" << ps.out;
    EXPECT_EQ(lines[0], "PID     PPID    EXIT    CMD");
    const std::regex row("^([0-9]+) +(--|[0-9]+) +([0-9]+|SIG[A-Z0-9+-]+|-) +(.*)$");
    std::vector<PsRow> rows;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(lines[i], m, row)) << lines[i];
      rows.push_back({m[1], m[2], m[3], m[4]});
    }
    ASSERT_EQ(rows[0].ppid, "--") << ps.out;
    ASSERT_EQ(rows[1].ppid, rows[0].pid) << ps.out;
    EXPECT_EQ(rows[0].exit, "0") << ps.out;
    EXPECT_EQ(rows[1].exit, "7") << ps.out;
    parent_pid_ = rows[0].pid;
    child_pid_ = rows[1].pid;
    ASSERT_NE(child_pid_, parent_pid_);
  }

  // gdb on `rewind replay --stdio MODE PID TRACE`, MODE -f or -p.
  GdbTranscript Gdb(const std::string& program, const std::string& mode, const std::string& pid,
                    const std::vector<std::string>& commands) {
    GdbOptions options;
    options.timeout = kGdbTimeout;
    options.replay_args = {mode, pid};
    return RunGdbOnReplay(rec_.trace, Program(program), commands, options);
  }

  // rewind's report that the debugged process ends here with exit code 7.
  std::string ChildExitLine() const {
    return "rewind: [process " + child_pid_ + " exited with code 07] here";
  }

  Recording rec_;
  std::string parent_pid_;
  std::string child_pid_;
};

class GdbChildWorkTest : public GdbProcessTest {
 protected:
  void SetUp() override {
    GdbProcessTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    RecordParentAndChild("mp_child_work");
    if (HasFatalFailure()) return;
    ASSERT_EQ(rec_.out,
              "child: work 0, total 1\n"
              "child: work 1, total 12\n"
              "child: work 2, total 33\n"
              "child: work 3, total 64\n"
              "child: work 4, total 105\n"
              "parent: child exited with status 7\n");
  }
};

TEST_F(GdbChildWorkTest, ForkedChildFromItsCreation) {
  GdbTranscript t = Gdb("mp_child_work", "-f", child_pid_,
                        {
                            "info inferiors",    // 0
                            "info threads",      // 1
                            "break child_work",  // 2
                            "continue",          // 3: child_work(0)
                            "print i",           // 4
                            "print g_total",     // 5
                            "continue",          // 6: child_work(1)
                            "print i",           // 7
                            "print g_total",     // 8
                            "bt",                // 9
                            "info threads",      // 10
                            "delete",            // 11
                            "continue",          // 12: to the child's _exit(7)
                        });
  SCOPED_TRACE(t.Describe());
  ASSERT_EQ(t.commands.size(), 13u);
  EXPECT_TRUE(AnyLineMatches(t.Output(0), R"(^\* +1 +process )" + child_pid_ + R"(\s)"));
  EXPECT_FALSE(Contains(t.Output(0), "process " + parent_pid_));
  EXPECT_TRUE(Contains(t.Output(1), child_pid_));
  EXPECT_FALSE(Contains(t.Output(1), parent_pid_));

  EXPECT_TRUE(HitChildWork(t.Output(3), 0));
  EXPECT_TRUE(Printed(t.Output(4), "0"));
  EXPECT_TRUE(Printed(t.Output(5), "0"));
  EXPECT_TRUE(HitChildWork(t.Output(6), 1));
  EXPECT_TRUE(Printed(t.Output(7), "1"));
  EXPECT_TRUE(Printed(t.Output(8), "1"));
  std::vector<Frame> frames = Backtrace(t.Output(9));
  ASSERT_EQ(frames.size(), 2u) << t.Output(9);
  EXPECT_EQ(frames[0].function, "child_work");
  EXPECT_EQ(frames[0].args, "i=1");
  EXPECT_EQ(frames[1].function, "main");
  EXPECT_EQ(frames[1].line, Line("@call-work"));
  EXPECT_TRUE(Contains(t.Output(10), child_pid_));

  EXPECT_TRUE(Contains(t.Output(12), ChildExitLine()));
  EXPECT_FALSE(Contains(t.run.out, "rewind: error")) << "the replay reported an error";
}

TEST_F(GdbChildWorkTest, ReverseContinueWithinTheChild) {
  GdbTranscript t = Gdb("mp_child_work", "-p", child_pid_,
                        {
                            "info inferiors",    // 0
                            "break child_work",  // 1
                            "continue",          // 2: child_work(0)
                            "continue",          // 3: child_work(1)
                            "continue",          // 4: child_work(2)
                            "continue",          // 5: child_work(3)
                            "print g_total",     // 6
                            "reverse-continue",  // 7: child_work(2)
                            "print i",           // 8
                            "print g_total",     // 9
                            "reverse-continue",  // 10: child_work(1)
                            "print i",           // 11
                            "print g_total",     // 12
                            "continue",          // 13: child_work(2) again
                            "print g_total",     // 14
                            "delete",            // 15
                            "continue",          // 16: to the exit
                        });
  SCOPED_TRACE(t.Describe());
  ASSERT_EQ(t.commands.size(), 17u);
  EXPECT_TRUE(AnyLineMatches(t.Output(0), R"(^\* +1 +process )" + child_pid_ + R"(\s)"));
  EXPECT_TRUE(HitChildWork(t.Output(2), 0));
  EXPECT_TRUE(HitChildWork(t.Output(3), 1));
  EXPECT_TRUE(HitChildWork(t.Output(4), 2));
  EXPECT_TRUE(HitChildWork(t.Output(5), 3));
  EXPECT_TRUE(Printed(t.Output(6), "33"));

  EXPECT_TRUE(HitChildWork(t.Output(7), 2));
  EXPECT_FALSE(Contains(t.Output(7), "No more reverse-execution history"));
  EXPECT_TRUE(Printed(t.Output(8), "2"));
  EXPECT_TRUE(Printed(t.Output(9), "12"));
  EXPECT_TRUE(HitChildWork(t.Output(10), 1));
  EXPECT_TRUE(Printed(t.Output(11), "1"));
  EXPECT_TRUE(Printed(t.Output(12), "1"));
  EXPECT_TRUE(HitChildWork(t.Output(13), 2));
  EXPECT_TRUE(Printed(t.Output(14), "12"));
  EXPECT_TRUE(Contains(t.Output(16), ChildExitLine()));
  // No message from rewind but the report of the exit.
  for (size_t i = 0; i < t.commands.size(); ++i) {
    std::string output = t.Output(i);
    if (size_t at = output.find(ChildExitLine()); at != std::string::npos) output.erase(at, 7);
    EXPECT_FALSE(Contains(output, "rewind:")) << "[" << i << "] " << t.commands[i].command;
  }
}

// A pid that is not in the trace is refused before anything is replayed,
// with a message that says where to find the right one.
TEST_F(GdbChildWorkTest, UnknownPidIsRefusedWithAPointerToPs) {
  RunResult direct = Rewind({"replay", "--stdio", "-p", "999999", rec_.trace}, Quick());
  ASSERT_FALSE(direct.timed_out) << direct.Describe();
  EXPECT_NE(direct.exit_status, 0) << direct.Describe();
  EXPECT_FALSE(direct.Crashed()) << direct.Describe();
  EXPECT_TRUE(Contains(direct.err, "999999")) << direct.Describe();
  EXPECT_TRUE(Contains(direct.err, "rewind ps")) << direct.Describe();
  EXPECT_TRUE(direct.out.empty()) << "nothing may be sent to gdb: " << direct.Describe();

  // Through gdb, the user sees the same message when connecting.
  GdbOptions options;
  options.timeout = std::chrono::seconds(30);
  options.replay_args = {"-p", "999999"};
  GdbTranscript t =
      RunGdbOnReplay(rec_.trace, Program("mp_child_work"), {"info inferiors"}, options);
  SCOPED_TRACE(t.Describe());
  EXPECT_FALSE(t.run.timed_out);
  EXPECT_TRUE(AnyLineMatches(t.preamble, "^rewind: .*999999.*rewind ps"));
}

class GdbPipeChildTest : public GdbProcessTest {
 protected:
  void SetUp() override {
    GdbProcessTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    RecordParentAndChild("mp_pipe");
  }
};

// mp_pipe's Child(fd) runs only in the child; its first WriteAll sends the
// child's getpid(), which must be the pid `rewind ps` shows for it.
TEST_F(GdbPipeChildTest, ChildWritesItsOwnPidAndExitsWithSeven) {
  GdbTranscript t = Gdb("mp_pipe", "-f", child_pid_,
                        {
                            "break Child",                   // 0
                            "continue",                      // 1
                            "print fd",                      // 2
                            "break WriteAll",                // 3
                            "continue",                      // 4: the pid
                            "print size",                    // 5
                            "print *(unsigned int *)data",   // 6
                            "continue",                      // 7: record 0
                            "print size",                    // 8
                            "print *(struct Record *)data",  // 9
                            "delete",                        // 10
                            "continue",                      // 11: to _exit(7)
                        });
  SCOPED_TRACE(t.Describe());
  ASSERT_EQ(t.commands.size(), 12u);
  EXPECT_TRUE(AnyLineMatches(t.Output(1), R"(^Breakpoint 1, Child \(fd=\d+\) at .*mp_pipe\.c:)"));
  std::optional<std::string> fd = PrintedValue(t.Output(2));
  ASSERT_TRUE(fd.has_value());
  EXPECT_GT(std::stoi(*fd), 2) << "the pipe's write end";
  EXPECT_TRUE(AnyLineMatches(t.Output(4), R"(^Breakpoint 2, WriteAll \(fd=)" + *fd + ", "));
  EXPECT_TRUE(Printed(t.Output(5), "4"));
  EXPECT_TRUE(Printed(t.Output(6), child_pid_));
  EXPECT_TRUE(Printed(t.Output(8), "8"));
  EXPECT_TRUE(Contains(t.Output(9), "seq = 0,"));
  EXPECT_TRUE(Contains(t.Output(11), ChildExitLine()));
  EXPECT_FALSE(Contains(t.run.out, "rewind: error")) << "the replay reported an error";
}

}  // namespace
}  // namespace rwd::e2e

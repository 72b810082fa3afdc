// gdb's `catch syscall` against a replay (QCatchSyscalls and the
// syscall_entry / syscall_return stop reasons), forward and reverse, with a
// real gdb: the stops carry the recorded syscall's number, arguments and
// result; reverse-continue goes to the previous entry or return of a caught
// syscall, as rr does; deleting the catchpoint stops the catching.
#include <gtest/gtest.h>

#include <string>

#include "arch/arch.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

using GdbCatchSyscallTest = GdbTest;

// gdb's names for the syscall number, third argument and result registers.
struct SyscallRegisters {
  std::string number, third_arg, result;
};

SyscallRegisters HostSyscallRegisters() {
  if (arch::HostArch().name() == "x86_64") return {"$orig_rax", "$rdx", "$rax"};
  return {"$x8", "$x2", "$x0"};
}

int SyscallNumber(const std::string& name) {
  const arch::SyscallInfo* row = arch::HostArch().syscalls().FindByName(name);
  return row ? row->nr : -1;
}

// tests/programs/syscall_rounds.c writes "one\n", "round two\n" and
// "the third round\n", each after a getppid.
TEST_F(GdbCatchSyscallTest, WriteStopsAtEntryAndReturnBothWays) {
  Recording rec = Record("syscall_rounds");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const SyscallRegisters regs = HostSyscallRegisters();
  const std::string write_nr = std::to_string(SyscallNumber("write"));
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("syscall_rounds"),
                                   {"catch syscall write",      // 0
                                    "continue",                 // 1
                                    "print " + regs.number,     // 2
                                    "print " + regs.third_arg,  // 3
                                    "continue",                 // 4
                                    "print " + regs.result,     // 5
                                    "continue",                 // 6
                                    "print " + regs.third_arg,  // 7
                                    "reverse-continue",         // 8
                                    "print " + regs.result,     // 9
                                    "reverse-continue",         // 10
                                    "print " + regs.third_arg,  // 11
                                    "reverse-continue",         // 12
                                    "continue",                 // 13
                                    "delete",                   // 14
                                    "continue"});               // 15
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(0), "Catchpoint 1 (syscall 'write' [" + write_nr + "])"));
  EXPECT_TRUE(Contains(t.Output(1), "Catchpoint 1 (call to syscall write)"));
  EXPECT_TRUE(Printed(t.Output(2), write_nr));
  EXPECT_TRUE(Printed(t.Output(3), "4"));
  EXPECT_TRUE(Contains(t.Output(4), "Catchpoint 1 (returned from syscall write)"));
  EXPECT_TRUE(Printed(t.Output(5), "4"));  // the recorded result
  EXPECT_TRUE(Contains(t.Output(6), "Catchpoint 1 (call to syscall write)"));
  EXPECT_TRUE(Printed(t.Output(7), "10"));
  // Back from the second write's entry: the first one's return, then its entry.
  EXPECT_TRUE(Contains(t.Output(8), "Catchpoint 1 (returned from syscall write)"));
  EXPECT_TRUE(Printed(t.Output(9), "4"));
  EXPECT_TRUE(Contains(t.Output(10), "Catchpoint 1 (call to syscall write)"));
  EXPECT_TRUE(Printed(t.Output(11), "4"));
  // No write before the first.
  EXPECT_TRUE(Contains(t.Output(12), "No more reverse-execution history"));
  EXPECT_TRUE(Contains(t.Output(13), "Catchpoint 1 (call to syscall write)"));
  // Without the catchpoint the replay runs to the program's exit.
  EXPECT_FALSE(Contains(t.Output(15), "Catchpoint")) << t.Output(15);
  EXPECT_TRUE(Contains(t.Output(15), "exited normally")) << t.Output(15);
}

// `catch syscall` with no argument (QCatchSyscalls:1), by number, and by
// group (gdb sends the group's numbers).
TEST_F(GdbCatchSyscallTest, AllByNumberAndByGroupAsGdbSendsThem) {
  Recording rec = Record("syscall_rounds");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  const std::string getppid_nr = std::to_string(SyscallNumber("getppid"));
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("syscall_rounds"),
                                   {"break main",                   // 0
                                    "continue",                     // 1
                                    "catch syscall",                // 2
                                    "continue",                     // 3
                                    "continue",                     // 4
                                    "continue",                     // 5
                                    "delete",                       // 6
                                    "catch syscall " + getppid_nr,  // 7
                                    "continue",                     // 8
                                    "continue",                     // 9
                                    "reverse-continue",             // 10
                                    "reverse-continue",             // 11
                                    "delete",                       // 12
                                    "catch syscall group:process",  // 13
                                    "continue"});                   // 14
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(1), "Breakpoint 1, main"));
  EXPECT_TRUE(Contains(t.Output(3), "(call to syscall getppid)"));
  EXPECT_TRUE(Contains(t.Output(4), "(returned from syscall getppid)"));
  EXPECT_TRUE(Contains(t.Output(5), "(call to syscall write)"));
  EXPECT_TRUE(Contains(t.Output(7), "(syscall 'getppid' [" + getppid_nr + "])"));
  // From the first write's entry: the next getppid is the second round's.
  EXPECT_TRUE(Contains(t.Output(8), "(call to syscall getppid)"));
  EXPECT_TRUE(Contains(t.Output(9), "(returned from syscall getppid)"));
  EXPECT_TRUE(Contains(t.Output(10), "(call to syscall getppid)"));
  // Past the first write, back to the first round's getppid.
  EXPECT_TRUE(Contains(t.Output(11), "(returned from syscall getppid)"));
  // The process group holds exit_group, the program's last syscall.
  EXPECT_TRUE(Contains(t.Output(14), "(call to syscall exit_group)")) << t.Output(14);
}

}  // namespace
}  // namespace rwd::e2e

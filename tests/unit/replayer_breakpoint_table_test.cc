// BreakpointTable on a real tracee (/bin/sleep stopped at its exec): planted
// instructions are in memory, hidden from reads, removed again, and planted
// anew over bytes a new mapping brought.
#include <gtest/gtest.h>
#include <sys/ptrace.h>

#include <optional>
#include <vector>

#include "core/process.h"
#include "replayer/breakpoint_table.h"

namespace rwd::replayer {
namespace {

constexpr unsigned long kOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;

class BreakpointTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SpawnOptions options;
    options.exe = "/bin/sleep";
    options.argv = {options.exe, "30"};
    options.trap_tsc = false;
    Expected<Process> process = Process::Spawn(options, kOptions);
    if (!process.ok()) GTEST_SKIP() << "cannot trace here: " << process.status().ToString();
    process_.emplace(std::move(*process));
    tracee_.emplace(process_->pid(), arch::HostArch());
    // From the stop before execve to the exec event: the pc is ld.so's entry.
    ASSERT_TRUE(tracee_->Resume(ResumeMode::kCont).ok());
    Expected<WaitStatus> ws = tracee_->Wait();
    ASSERT_TRUE(ws.ok() && ws->kind == WaitStatus::Kind::kPtraceEvent) << ws->ToString();
    ASSERT_TRUE(tracee_->ReopenMemory().ok());
    Expected<arch::Registers> regs = tracee_->GetRegisters();
    ASSERT_TRUE(regs.ok()) << regs.status().ToString();
    pc_ = tracee_->arch().Pc(*regs);
  }

  std::vector<uint8_t> Read(uint64_t addr, size_t len) {
    Expected<std::vector<uint8_t>> bytes = tracee_->ReadBytes(addr, len);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : std::vector<uint8_t>{};
  }

  std::vector<uint8_t> Insn() const {
    std::span<const uint8_t> bp = tracee_->arch().BreakpointInsn();
    return {bp.begin(), bp.end()};
  }

  std::optional<Process> process_;
  std::optional<Tracee> tracee_;
  uint64_t pc_ = 0;
};

TEST_F(BreakpointTableTest, PlantedInMemoryHiddenFromReadsAndRemovedAgain) {
  const std::vector<uint8_t> code = Read(pc_, 16);
  BreakpointTable table;
  ASSERT_TRUE(table.Plant(*tracee_, pc_ + 4).ok());
  ASSERT_TRUE(table.Plant(*tracee_, pc_ + 4).ok());  // planted already: no change
  EXPECT_TRUE(table.Contains(pc_ + 4));
  EXPECT_FALSE(table.Contains(pc_));
  ASSERT_NE(table.OriginalAt(pc_ + 4), nullptr);
  EXPECT_EQ(*table.OriginalAt(pc_ + 4),
            std::vector<uint8_t>(code.begin() + 4, code.begin() + 4 + Insn().size()));
  EXPECT_TRUE(table.AnyIn(pc_, 16));
  EXPECT_TRUE(table.AnyIn(pc_ + 4, 1));
  EXPECT_FALSE(table.AnyIn(pc_, 4));
  EXPECT_FALSE(table.AnyIn(pc_ + 5, 16));

  std::vector<uint8_t> seen = Read(pc_, 16);
  EXPECT_EQ(std::vector<uint8_t>(seen.begin() + 4, seen.begin() + 4 + Insn().size()), Insn());
  table.Hide(pc_, seen);
  EXPECT_EQ(seen, code);
  // A read that starts inside the instruction.
  std::vector<uint8_t> tail = Read(pc_ + 5, 4);
  table.Hide(pc_ + 5, tail);
  EXPECT_EQ(tail, std::vector<uint8_t>(code.begin() + 5, code.begin() + 9));

  ASSERT_TRUE(table.Unplant(&*tracee_, pc_ + 4).ok());
  EXPECT_FALSE(table.Contains(pc_ + 4));
  EXPECT_EQ(Read(pc_, 16), code);
  EXPECT_TRUE(table.Unplant(&*tracee_, pc_ + 4).ok());  // none there: nothing to do
}

TEST_F(BreakpointTableTest, RefreshPlantsAgainOverNewBytes) {
  const std::vector<uint8_t> code = Read(pc_, 16);
  BreakpointTable table;
  ASSERT_TRUE(table.Plant(*tracee_, pc_).ok());
  // As if a new mapping replaced the code: other bytes, no breakpoint.
  std::vector<uint8_t> other(Insn().size());
  for (size_t i = 0; i < other.size(); ++i) other[i] = static_cast<uint8_t>(code[i] ^ 0x5a);
  ASSERT_TRUE(tracee_->WriteMemory(pc_, other).ok());
  std::vector<uint64_t> lost;
  ASSERT_TRUE(table.Refresh(*tracee_, [&](uint64_t addr) { lost.push_back(addr); }).ok());
  EXPECT_TRUE(lost.empty());
  EXPECT_EQ(Read(pc_, Insn().size()), Insn());
  ASSERT_NE(table.OriginalAt(pc_), nullptr);
  EXPECT_EQ(*table.OriginalAt(pc_), other);
  ASSERT_TRUE(table.Unplant(&*tracee_, pc_).ok());
  EXPECT_EQ(Read(pc_, other.size()), other);
}

}  // namespace
}  // namespace rwd::replayer

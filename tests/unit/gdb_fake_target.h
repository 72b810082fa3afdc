// Test doubles for the gdb server: a tiny register description
// and a scripted DebugTarget whose memory, threads and stops the test sets.
// Header-only so every gdb_*_test.cc can use them.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "arch/register_description.h"
#include "gdbserver/debug_target.h"

namespace rwd::gdbserver::testing {

// A tiny register file: all the gdb server knows of an architecture.
struct FakeArch {
  static constexpr std::string_view kXml =
      "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
      "<target><architecture>i386:x86-64</architecture></target>";

  // rax (gp 0), rip (gp 8), eflags (gp 16, 32 bits), st0 (fp 0, 80 bits),
  // fake (zero, 32 bits), fctrl (fp 10, 16 bits stored, 32 bits to gdb).
  static constexpr arch::GdbRegister kRegisters[] = {
      {"rax", 64, arch::RegSource::kGp, 0},     {"rip", 64, arch::RegSource::kGp, 8},
      {"eflags", 32, arch::RegSource::kGp, 16}, {"st0", 80, arch::RegSource::kFp, 0},
      {"fake", 32, arch::RegSource::kZero, 0},  {"fctrl", 32, arch::RegSource::kFp, 10, 2},
  };

  static constexpr arch::RegisterDescription kDescription = {
      .name = "fake",
      .gp_regs_size = 24,
      .gdb_registers = kRegisters,
      .target_xml = kXml,
      .fp_regset_type = 2,
      .fp_regset_size = 16,
      .tcb_word = std::nullopt,
  };
};

class FakeTarget : public DebugTarget {
 public:
  FakeTarget() {
    threads_ = {{0x101, "main"}, {0x102, "worker<1>"}};
    arch::Registers regs;
    regs.SetWord(0, 0x1122334455667788ull);
    regs.SetWord(1, 0x401000);
    regs.SetWord(2, 0x246);
    registers_[0x101] = regs;
    regs.SetWord(1, 0x402000);
    registers_[0x102] = regs;
    fp_ = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x7f, 0x03, 0, 0, 0, 0};
    last_stop_.kind = StopReply::Kind::kSignal;
    last_stop_.signo = 5;
    last_stop_.tid = 0x101;
  }

  const arch::RegisterDescription& register_description() const override {
    return FakeArch::kDescription;
  }
  int pid() const override { return 0x100; }
  std::vector<ThreadInfo> Threads() override { return threads_; }
  int CurrentThread() override { return current_; }
  Status SelectThread(int tid) override {
    for (const ThreadInfo& t : threads_) {
      if (t.tid == tid) {
        current_ = tid;
        return Status::Ok();
      }
    }
    return Status(ErrorCode::kNotFound, "no thread " + std::to_string(tid));
  }
  Expected<arch::Registers> GetRegisters(int tid) override {
    auto it = registers_.find(tid);
    if (it == registers_.end()) return Status(ErrorCode::kNotFound, "no such thread");
    return it->second;
  }
  Expected<std::vector<uint8_t>> GetFpRegisters(int) override {
    if (fp_fails_) return Status(ErrorCode::kError, "no fp state");
    return fp_;
  }
  Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len) override {
    ++memory_reads_;
    std::vector<uint8_t> out;
    while (out.size() < len) {
      uint64_t at = addr + out.size();
      auto it = memory_.upper_bound(at);
      if (it == memory_.begin()) break;
      --it;
      uint64_t offset = at - it->first;
      if (offset >= it->second.size()) break;
      size_t n = std::min<size_t>(len - out.size(), it->second.size() - offset);
      out.insert(out.end(), it->second.begin() + offset, it->second.begin() + offset + n);
    }
    if (out.empty()) return Status(ErrorCode::kNotFound, "unmapped");
    return out;
  }
  // Writes are refused (as by the default) unless `writable_`.
  Status SetRegisters(int tid, const arch::Registers& regs) override {
    if (!writable_) return DebugTarget::SetRegisters(tid, regs);
    ++register_writes_;
    registers_[tid] = regs;
    return Status::Ok();
  }
  Status SetFpRegisters(int tid, std::span<const uint8_t> bytes) override {
    if (!writable_) return DebugTarget::SetFpRegisters(tid, bytes);
    ++register_writes_;
    fp_.assign(bytes.begin(), bytes.end());
    return Status::Ok();
  }
  Status WriteMemory(uint64_t addr, std::span<const uint8_t> bytes) override {
    if (!writable_) return DebugTarget::WriteMemory(addr, bytes);
    memory_[addr] = std::vector<uint8_t>(bytes.begin(), bytes.end());
    return Status::Ok();
  }
  Status InsertBreakpoint(BreakpointType type, uint64_t addr, int len) override {
    if (addr == kBadBreakpoint) return Status(ErrorCode::kError, "cannot plant there");
    breakpoints_.push_back({type, addr, len});
    return Status::Ok();
  }
  Status RemoveBreakpoint(BreakpointType type, uint64_t addr, int len) override {
    for (auto it = breakpoints_.begin(); it != breakpoints_.end(); ++it) {
      if (it->type == type && it->addr == addr) {
        breakpoints_.erase(it);
        return Status::Ok();
      }
    }
    return Status(ErrorCode::kNotFound, "no such breakpoint");
  }
  StopReply Resume(const ResumeRequest& request,
                   const std::function<bool()>& interrupted) override {
    resumes_.push_back(request);
    if (run_until_interrupted_) {
      // Like a long continue: poll until gdb interrupts (bounded for tests).
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!interrupted() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      last_stop_ = StopReply{};
      last_stop_.signo = 2;  // SIGINT
      last_stop_.tid = current_;
      return last_stop_;
    }
    last_stop_ = next_stop_;
    return last_stop_;
  }
  StopReply LastStop() override { return last_stop_; }
  Expected<std::vector<uint8_t>> Auxv() override { return auxv_; }
  std::string ExecFile() override { return "/usr/bin/fake"; }
  std::string HostPathFor(const std::string& path) override {
    auto it = host_paths_.find(path);
    return it == host_paths_.end() ? path : it->second;
  }
  void SetExecEvents(bool enabled) override { exec_events_ = enabled; }
  Status CatchSyscalls(bool enable, const std::vector<int64_t>& numbers) override {
    catch_enabled_ = enable;
    catch_numbers_ = numbers;
    return Status::Ok();
  }
  std::string Monitor(const std::string& command, const std::function<bool()>&) override {
    monitor_commands_.push_back(command);
    return monitor_echo_ ? command : monitor_output_;
  }
  void Kill() override { killed_ = true; }
  Status Restart() override {
    ++restarts_;
    last_stop_ = StopReply{};
    last_stop_.tid = current_;
    return Status::Ok();
  }

  // Memory helpers.
  void Map(uint64_t addr, std::vector<uint8_t> bytes) { memory_[addr] = std::move(bytes); }
  void Put64(uint64_t addr, uint64_t value) {
    std::vector<uint8_t> bytes(8);
    std::memcpy(bytes.data(), &value, 8);
    Map(addr, bytes);
  }

  struct PlantedBreakpoint {
    BreakpointType type;
    uint64_t addr;
    int len;
  };
  static constexpr uint64_t kBadBreakpoint = 0xdead;

  bool catch_enabled_ = false;
  bool exec_events_ = false;
  std::vector<int64_t> catch_numbers_;
  std::vector<ThreadInfo> threads_;
  int current_ = 0x101;
  std::map<int, arch::Registers> registers_;
  std::vector<uint8_t> fp_;
  bool fp_fails_ = false;
  std::map<uint64_t, std::vector<uint8_t>> memory_;
  bool writable_ = false;
  int register_writes_ = 0;
  int memory_reads_ = 0;
  std::vector<PlantedBreakpoint> breakpoints_;
  std::vector<ResumeRequest> resumes_;
  StopReply next_stop_;
  StopReply last_stop_;
  bool run_until_interrupted_ = false;
  std::vector<uint8_t> auxv_;
  std::map<std::string, std::string> host_paths_;
  std::vector<std::string> monitor_commands_;
  std::string monitor_output_;
  bool monitor_echo_ = false;
  bool killed_ = false;
  int restarts_ = 0;
};

}  // namespace rwd::gdbserver::testing

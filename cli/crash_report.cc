#include "cli/crash_report.h"

#include <signal.h>

#include <cinttypes>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "arch/siginfo_view.h"
#include "base/signal_name.h"
#include "core/wait_status.h"

namespace rwd::cli {

namespace {

constexpr size_t kMaxFrames = 32;

std::string CommandLine(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw) {
    if (c == '\0') c = ' ';
  }
  return raw;
}

// What si_code says about the cause, for the signals a CPU raises.
std::string CodeMeaning(int signo, int si_code) {
  if (si_code == SI_USER) return "sent by kill";
  if (si_code == SI_TKILL) return "sent by tgkill/raise";
  if (si_code == SI_QUEUE) return "sent by sigqueue";
  if (signo == SIGSEGV) {
    if (si_code == SEGV_MAPERR) return "address not mapped";
    if (si_code == SEGV_ACCERR) return "access not permitted";
  }
  if (signo == SIGBUS) {
    if (si_code == BUS_ADRALN) return "misaligned address";
    if (si_code == BUS_ADRERR) return "address beyond the mapped file";
  }
  if (signo == SIGFPE) {
    if (si_code == FPE_INTDIV) return "integer division by zero";
    if (si_code == FPE_INTOVF) return "integer overflow";
  }
  if (signo == SIGILL) {
    if (si_code == ILL_ILLOPC) return "illegal opcode";
    if (si_code == ILL_PRVOPC) return "privileged opcode";
  }
  return "si_code " + std::to_string(si_code);
}

std::string Hex(uint64_t value) {
  char buf[24];
  snprintf(buf, sizeof(buf), "0x%" PRIx64, value);
  return buf;
}

std::string DescribeFrame(size_t n, const StackFrame& f) {
  std::string line = "    #" + std::to_string(n) + (n < 10 ? "  " : " ") + Hex(f.pc) + " in " +
                     (f.function.empty() ? "??" : f.function);
  if (!f.file.empty()) {
    line += " (" + f.file + ":" + std::to_string(f.line) + ")";
  } else if (!f.module.empty()) {
    line += " (" + std::filesystem::path(f.module).filename().string() + ")";
  }
  return line + "\n";
}

}  // namespace

CrashReport CaptureCrash(const recorder::FatalSignalStop& stop) {
  CrashReport report;
  const Tracee& tracee = *stop.tracee;
  report.pid = stop.pid;
  report.tid = tracee.tid();
  report.command = CommandLine(stop.pid);
  report.signo = stop.signo;
  const arch::SiginfoView siginfo(stop.siginfo);
  report.si_code = siginfo.code();
  report.fault_addr = siginfo.addr();
  report.pc = tracee.arch().Pc(stop.regs);
  uint8_t code[16] = {};
  auto n = tracee.ReadMemoryPartial(report.pc, code);
  if (n.ok() && *n > 0) {
    report.instruction =
        tracee.arch().DisassembleInsn(std::span<const uint8_t>(code, *n), report.pc);
  }
  report.frames = LiveBacktrace(stop.pid, tracee.tid(), kMaxFrames, &report.unwind_error);
  return report;
}

std::string FormatCrashReport(const CrashReport& r, const std::string& debug_command) {
  std::string out = "rewind: process " + std::to_string(r.pid) + " crashed: " + r.command + "\n";
  out += "  " + SignalName(r.signo) + " in thread " + std::to_string(r.tid) + " (" +
         CodeMeaning(r.signo, r.si_code) + ")";
  if (r.si_code > 0) out += " at address " + Hex(r.fault_addr);
  out += "\n";
  out += "  faulting instruction: " + Hex(r.pc) + ": " +
         (r.instruction.empty() ? "(unreadable)" : r.instruction) + "\n";
  out += "  backtrace:\n";
  for (size_t i = 0; i < r.frames.size(); ++i) out += DescribeFrame(i, r.frames[i]);
  if (!r.unwind_error.empty()) out += "    (" + r.unwind_error + ")\n";
  if (!debug_command.empty()) out += "  debug it: " + debug_command + "\n";
  return out;
}

}  // namespace rwd::cli

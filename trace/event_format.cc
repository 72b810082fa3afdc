#include "trace/event_format.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>

#include "base/hex.h"
#include "base/signal_name.h"
#include "trace/buffer_records.h"

namespace rwd::trace {

namespace {

std::string Arg(uint64_t v) {
  // Small values read better in decimal (fds, counts, flags); pointers in hex.
  if (v < 0x10000) return std::to_string(v);
  if (static_cast<int64_t>(v) < 0 && static_cast<int64_t>(v) > -4096) {
    return std::to_string(static_cast<int64_t>(v));
  }
  return Hex(v);
}

// Kernel-internal restart codes (512..516) have no libc name.
std::string ErrnoName(int64_t e) {
  static const char* const kRestart[] = {"ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND",
                                         "ENOIOCTLCMD", "ERESTART_RESTARTBLOCK"};
  if (e >= 512 && e <= 516) return kRestart[e - 512];
  const char* name = strerrorname_np(static_cast<int>(e));
  return name ? name : "errno " + std::to_string(e);
}

}  // namespace

const char* TrapInsnName(arch::TrapInsnKind kind) {
  switch (kind) {
    case arch::TrapInsnKind::kRdtsc:
      return "rdtsc";
    case arch::TrapInsnKind::kRdtscp:
      return "rdtscp";
    case arch::TrapInsnKind::kCpuid:
      return "cpuid";
    case arch::TrapInsnKind::kRdrand:
      return "rdrand";
    case arch::TrapInsnKind::kRdseed:
      return "rdseed";
    case arch::TrapInsnKind::kCounterRead:
      return "counter-read";
    case arch::TrapInsnKind::kNone:
      break;
  }
  return "none";
}

std::string DescribeSyscall(const arch::Arch& arch, int64_t nr,
                            const std::array<uint64_t, 6>& args) {
  std::string out = arch.syscalls().NameOf(nr) + "(";
  // The trace keeps all six; a syscall unknown to the table shows them all.
  const arch::SyscallInfo* row = arch.syscalls().Find(nr);
  int n = row ? row->arg_count : 6;
  for (int i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += Arg(args[i]);
  }
  return out + ")";
}

std::string DescribeEvent(const arch::Arch& arch, const Event& event) {
  std::string head = "tid " + std::to_string(event.tid) + " " + EventKindName(event.body) + " ";
  if (auto* s = std::get_if<SyscallEvent>(&event.body)) {
    std::string out = head + DescribeSyscall(arch, s->nr, s->args) + " = " +
                      (s->result < 0 && s->result > -4096
                           ? std::to_string(s->result) + " (" + ErrnoName(-s->result) + ")"
                           : Arg(static_cast<uint64_t>(s->result)));
    size_t bytes = 0;
    for (const MemWrite& w : s->writes) bytes += w.bytes.size();
    if (bytes) out += " [" + std::to_string(bytes) + " bytes written]";
    if (!s->mapped_path.empty()) out += " maps " + s->mapped_path;
    for (const FileWrite& w : s->file_writes) {
      out += " [" + std::to_string(w.bytes.size()) + " bytes at " + std::to_string(w.offset) +
             " of mapped " + w.path + "]";
    }
    return out;
  }
  if (auto* s = std::get_if<SignalEvent>(&event.body)) {
    return head + SignalName(s->signo) + " at pc " + Hex(s->pc) +
           (s->synchronous ? " (fault)" : " (sent)") +
           (s->fingerprint.empty() ? ""
            : s->pass_count ? " placed at arrival " + std::to_string(s->pass_count) + " there"
                            : " placed by register fingerprint");
  }
  if (auto* t = std::get_if<InsnTrapEvent>(&event.body)) {
    std::string out = head + TrapInsnName(t->kind) + " at pc " + Hex(t->pc) + " ->";
    for (uint64_t v : t->values) out += " " + Hex(v);
    return out;
  }
  if (auto* e = std::get_if<ExecEvent>(&event.body)) {
    std::string out = head + e->path;
    for (size_t i = 1; i < e->argv.size(); ++i) out += " " + e->argv[i];
    out += " (" + std::to_string(e->mappings.size()) + " file mappings";
    return out + (e->cpuid_faulting ? ", cpuid recorded)" : ")");
  }
  if (auto* x = std::get_if<ExitEvent>(&event.body)) {
    head += x->whole_process ? "process " : "thread ";
    if (WIFSIGNALED(x->wait_status)) {
      return head + "killed by " + SignalName(WTERMSIG(x->wait_status));
    }
    return head + "status " + std::to_string(WEXITSTATUS(x->wait_status));
  }
  if (auto* b = std::get_if<SyscallBatchEvent>(&event.body)) {
    std::string out = head + std::to_string(b->count) + " buffered syscalls";
    std::map<std::string, int> by_name;
    Status sound = ForEachBufferRecord(
        b->records, b->count, arch.syscalls(),
        [&](const BufferRecord& call) { ++by_name[arch.syscalls().NameOf(call.nr)]; });
    if (!sound.ok()) return out + " (" + sound.message() + ")";
    std::string sep = " (";
    for (const auto& [name, n] : by_name) {
      out += sep + name + (n > 1 ? " x" + std::to_string(n) : "");
      sep = ", ";
    }
    return b->count == 0 ? out : out + ")";
  }
  if (auto* e = std::get_if<SyscallEntryEvent>(&event.body)) {
    return head + DescribeSyscall(arch, e->nr, e->args) + " (others run before it returns)";
  }
  if (auto* p = std::get_if<PreemptEvent>(&event.body)) {
    arch::Registers regs;
    std::memcpy(regs.data(), p->fingerprint.data(),
                std::min(p->fingerprint.size(), arch::Registers::capacity_bytes()));
    return head + "at pc " + Hex(arch.Pc(regs)) + " placed by register fingerprint";
  }
  return head;
}

}  // namespace rwd::trace

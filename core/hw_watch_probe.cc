#include "core/hw_watch_probe.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "arch/arch.h"

namespace rwd {

namespace {

// The word the probe child writes; at the same address in the child, which
// is a fork of us. Aligned to 8 so that every architecture can watch it.
alignas(8) volatile uint64_t g_probe_word = 0;

// Stops and reaps the probe child whatever state it is in.
void KillProbe(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, __WALL) == pid && !WIFEXITED(status) && !WIFSIGNALED(status)) {
  }
}

bool Probe() {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(1);
    raise(SIGSTOP);
    g_probe_word = 1;
    _exit(0);
  }
  int status = 0;
  if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) {
    KillProbe(pid);
    return false;
  }
  const arch::Arch& a = arch::HostArch();
  const arch::HwWatch watch{reinterpret_cast<uint64_t>(&g_probe_word), 8, arch::HwKind::kWrite};
  bool triggered = false;
  if (a.host().SetHwWatchpoints(pid, std::span<const arch::HwWatch>(&watch, 1)).ok() &&
      ptrace(PTRACE_CONT, pid, nullptr, nullptr) == 0 && waitpid(pid, &status, __WALL) == pid) {
    triggered = WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP &&
                a.host().TakeHwWatchpointHit(pid).has_value();
  }
  KillProbe(pid);
  return triggered;
}

}  // namespace

bool SoftwareWatchpointsForced() {
  const char* env = getenv("REWIND_SOFTWARE_WATCHPOINTS");
  return env && *env && strcmp(env, "0") != 0;
}

bool HardwareWatchpointsTrigger() {
  if (SoftwareWatchpointsForced()) return false;
  static const bool triggers = Probe();
  return triggers;
}

}  // namespace rwd

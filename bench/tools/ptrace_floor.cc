// The ptrace floor: the least any ptrace recorder can pay per syscall. Runs
// PROG under a minimal tracer that stops it at every syscall entry and exit
// (PTRACE_SYSCALL + waitpid, as strace does, without decoding anything) and
// prints the stop count to stderr. bench.py times it next to rewind's
// record and replay of the same program, so their ratios can be judged
// against what ptrace itself costs.
//
// Usage: ptrace_floor [--trap-tsc] PROG [ARGS...]
// --trap-tsc runs the program with rdtsc faulting (PR_SET_TSC) and the
// tracer without it: the mode mismatch rewind avoids by giving itself its
// tracees' modes (DESIGN.md, "Measured facts").
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  int first = 1;
  bool trap_tsc = false;
  if (argc > 1 && std::strcmp(argv[1], "--trap-tsc") == 0) {
    trap_tsc = true;
    first = 2;
  }
  if (first >= argc) {
    std::fprintf(stderr, "usage: ptrace_floor [--trap-tsc] PROG [ARGS...]\n");
    return 64;
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 1;
  }
  if (pid == 0) {
    if (trap_tsc) prctl(PR_SET_TSC, PR_TSC_SIGSEGV);
    ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    raise(SIGSTOP);
    execvp(argv[first], argv + first);
    std::perror("execvp");
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
    std::fprintf(stderr, "ptrace_floor: the program did not start under ptrace\n");
    return 1;
  }
  ptrace(PTRACE_SETOPTIONS, pid, nullptr,
         reinterpret_cast<void*>(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
  long stops = 0;
  int deliver = 0;
  while (true) {
    if (ptrace(PTRACE_SYSCALL, pid, nullptr, reinterpret_cast<void*>(long{deliver})) != 0) {
      std::perror("PTRACE_SYSCALL");
      return 1;
    }
    if (waitpid(pid, &status, 0) != pid) {
      std::perror("waitpid");
      return 1;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;
    int sig = WSTOPSIG(status);
    deliver = 0;
    if (sig == (SIGTRAP | 0x80)) {
      ++stops;
    } else if (sig != SIGTRAP) {
      deliver = sig;  // the program's own signal
    }
  }
  std::fprintf(stderr, "ptrace_floor: %ld syscall stops\n", stops);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

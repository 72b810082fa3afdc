// A program that sandboxes itself with seccomp filters, as browsers,
// systemd services and language runtimes do: one filter through seccomp(2)
// answers some syscalls with an errno (one that replay emulates, one it
// would otherwise execute), traps one with SIGSYS (the handler sees the
// filter's data), asks for a tracer on one (none is asked for: ENOSYS), and
// allows the rest; with "kill", a second filter installed through
// prctl(PR_SET_SECCOMP) kills the process at sched_yield.
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define ANSWER(nr, action) \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, (action))

static void OnSigsys(int signo, siginfo_t* info, void* context) {
  (void)context;
  char line[128];
  int n = snprintf(line, sizeof(line), "SIGSYS %d: code %d, syscall %d, filter data %d\n", signo,
                   info->si_code, info->si_syscall, info->si_errno);
  write(1, line, (size_t)n);
}

static int Install(struct sock_filter* code, unsigned short len, int via_prctl) {
  struct sock_fprog prog = {len, code};
  if (via_prctl) return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int main(int argc, char** argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = OnSigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, NULL);
  long page = sysconf(_SC_PAGESIZE);
  void* mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  struct sock_filter sandbox[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      ANSWER(SYS_uname, SECCOMP_RET_ERRNO | EACCES),
      ANSWER(SYS_mprotect, SECCOMP_RET_ERRNO | EPERM),
      ANSWER(SYS_getppid, SECCOMP_RET_TRAP | 42),
      ANSWER(SYS_getpgid, SECCOMP_RET_TRACE),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 2;
  int r = Install(sandbox, sizeof(sandbox) / sizeof(sandbox[0]), 0);
  printf("seccomp(SECCOMP_SET_MODE_FILTER) = %d\n", r);
  fflush(stdout);

  struct utsname u;
  errno = 0;
  r = uname(&u);
  printf("uname = %d errno %d\n", r, errno);
  errno = 0;
  r = mprotect(mem, page, PROT_READ);
  printf("mprotect = %d errno %d\n", r, errno);
  fflush(stdout);
  errno = 0;
  long trapped = syscall(SYS_getppid);
  printf("getppid after its SIGSYS = %ld errno %d\n", trapped, errno);
  errno = 0;
  r = getpgid(0);
  printf("getpgid = %d errno %d\n", r, errno);
  printf("getpid allowed: %s\n", getpid() > 0 ? "yes" : "no");
  fflush(stdout);

  if (argc > 1 && strcmp(argv[1], "kill") == 0) {
    struct sock_filter killer[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        ANSWER(SYS_sched_yield, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    r = Install(killer, sizeof(killer) / sizeof(killer[0]), 1);
    printf("prctl(PR_SET_SECCOMP) = %d\n", r);
    fflush(stdout);
    syscall(SYS_sched_yield);
    printf("still alive after sched_yield\n");
  }
  return 0;
}

// SIGCHLD blocked except inside the waiting syscall, as make does with
// pselect (issue 10): six children exit while the parent waits in pselect6,
// ppoll or epoll_pwait (argv[1]: "pselect", "ppoll", "epoll") with a
// temporary mask that unblocks SIGCHLD. The handler counts; the parent reaps
// each child after the wait the signal ended, outside the handler.
//
// Printed (the same in every run): one line per reaped child in the order
// they were started, and the totals.
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kChildren = 6 };

static volatile sig_atomic_t g_sigchld = 0;

static void OnChild(int signo) {
  (void)signo;
  g_sigchld++;
}

// Waits on a pipe nobody writes to until a signal ends the wait.
static int WaitForSignal(const char* how, int fd, int epfd, const sigset_t* mask) {
  if (strcmp(how, "pselect") == 0) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    return pselect(fd + 1, &readable, NULL, NULL, NULL, mask);
  }
  if (strcmp(how, "ppoll") == 0) {
    struct pollfd p = {fd, POLLIN, 0};
    struct timespec ten_s = {10, 0};
    return ppoll(&p, 1, &ten_s, mask);
  }
  struct epoll_event ev;
  return epoll_pwait(epfd, &ev, 1, 10000, mask);
}

int main(int argc, char** argv) {
  const char* how = argc > 1 ? argv[1] : "pselect";
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnChild;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);

  sigset_t blocked, waiting;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  sigprocmask(SIG_BLOCK, &blocked, &waiting);
  sigdelset(&waiting, SIGCHLD);

  int fds[2];
  if (pipe(fds) != 0) return 1;
  int epfd = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {.fd = fds[0]}};
  epoll_ctl(epfd, EPOLL_CTL_ADD, fds[0], &ev);

  pid_t kids[kChildren];
  for (int i = 0; i < kChildren; ++i) {
    kids[i] = fork();
    if (kids[i] == 0) {
      usleep(20000 * (i + 1));
      _exit(10 + i);
    }
  }
  int reaped = 0, interrupted = 0;
  int status_sum = 0;
  while (reaped < kChildren) {
    int r = WaitForSignal(how, fds[0], epfd, &waiting);
    if (r < 0 && errno == EINTR) interrupted++;
    pid_t pid;
    int status;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (int i = 0; i < kChildren; ++i) {
        if (kids[i] == pid) {
          printf("sig_mask_wait: child %d exited %d\n", i, WEXITSTATUS(status));
          status_sum += WEXITSTATUS(status);
        }
      }
      reaped++;
    }
  }
  printf("sig_mask_wait: %s reaped %d children (status sum %d), interrupted: %s\n", how, reaped,
         status_sum, interrupted > 0 && g_sigchld > 0 ? "yes" : "no");
  return 0;
}

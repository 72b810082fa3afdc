// Calls the syscall buffer takes besides reads and writes (issue 12): the
// queries of a signal's action and of the signal mask, isatty's and
// tcgetattr's ioctl (TCGETS), and mkdir, rename and unlink in their plain
// and *at forms; and the calls next to them that stay with the tracer (a
// handler set, a mask changed, a terminal's settings changed). Prints what
// the queries saw, so a replay that returned other results shows. Ends with
// a signal to the handler the queries saw.
// Argument: a scratch directory to create (default: buffered_queries.tmp).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

enum { kRounds = 60 };

static volatile sig_atomic_t usr1_seen;

static void OnUsr1(int sig) {
  (void)sig;
  ++usr1_seen;
}

static int FileRound(int dir, int round, const char* root) {
  char a[64], b[64], path[512];
  snprintf(a, sizeof(a), "sub%d", round);
  if (mkdirat(dir, a, 0700) != 0) return 1;
  snprintf(b, sizeof(b), "%s/f", a);
  int fd = openat(dir, b, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 2;
  int tty = isatty(fd);  // TCGETS on a regular file: ENOTTY
  int tty_errno = errno;
  close(fd);
  if (tty != 0 || tty_errno != ENOTTY) return 3;
  snprintf(a, sizeof(a), "sub%d/g", round);
  if (renameat(dir, b, dir, a) != 0) return 4;
  snprintf(path, sizeof(path), "%s/sub%d/h", root, round);
  char from[512];
  snprintf(from, sizeof(from), "%s/sub%d/g", root, round);
  if (rename(from, path) != 0) return 5;
  if (unlink(path) != 0) return 6;
  snprintf(path, sizeof(path), "%s/sub%d/d", root, round);
  if (mkdir(path, 0700) != 0) return 7;
  snprintf(a, sizeof(a), "sub%d/d", round);
  if (unlinkat(dir, a, AT_REMOVEDIR) != 0) return 8;
  snprintf(a, sizeof(a), "sub%d", round);
  if (unlinkat(dir, a, AT_REMOVEDIR) != 0) return 9;
  // Already gone: the error is a result too.
  return unlinkat(dir, a, AT_REMOVEDIR) == -1 && errno == ENOENT ? 0 : 10;
}

// A pseudo-terminal's settings, read (buffered), changed (traced) and read
// again: replay must show what recording read.
static void TerminalSettings(void) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
    printf("pty: none\n");
    return;
  }
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  struct termios t;
  if (slave < 0 || tcgetattr(slave, &t) != 0) {
    printf("pty: none\n");
    return;
  }
  printf("pty: isatty %d, echo %d, vintr %d\n", isatty(slave), !!(t.c_lflag & ECHO),
         t.c_cc[VINTR]);
  t.c_lflag &= ~(tcflag_t)ECHO;
  t.c_cc[VINTR] = 7;
  if (tcsetattr(slave, TCSANOW, &t) != 0 || tcgetattr(slave, &t) != 0) {
    printf("pty: tcsetattr failed\n");
    return;
  }
  printf("pty: after, echo %d, vintr %d\n", !!(t.c_lflag & ECHO), t.c_cc[VINTR]);
  close(slave);
  close(master);
}

int main(int argc, char** argv) {
  const char* root = argc > 1 ? argv[1] : "buffered_queries.tmp";
  if (mkdir(root, 0700) != 0) {
    perror(root);
    return 1;
  }
  int dir = open(root, O_RDONLY | O_DIRECTORY);
  if (dir < 0) return 1;

  struct sigaction act;
  memset(&act, 0, sizeof(act));
  act.sa_handler = OnUsr1;
  sigaction(SIGUSR1, &act, NULL);
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &usr2, NULL);

  int handler_seen = 0, usr2_blocked = 0, failed = 0;
  for (int round = 0; round < kRounds; ++round) {
    struct sigaction old;
    if (sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == OnUsr1) ++handler_seen;
    sigset_t now;
    if (sigprocmask(SIG_BLOCK, NULL, &now) == 0 && sigismember(&now, SIGUSR2)) ++usr2_blocked;
    int r = FileRound(dir, round, root);
    if (r != 0 && failed == 0) failed = r;
  }
  printf("queries: handler %d of %d, SIGUSR2 blocked %d of %d\n", handler_seen, kRounds,
         usr2_blocked, kRounds);
  printf("files: %d rounds, first failure %d\n", kRounds, failed);
  TerminalSettings();

  raise(SIGUSR1);
  printf("SIGUSR1 handled %d time(s)\n", (int)usr1_seen);
  rmdir(root);
  return failed;
}

// Relative sleeps interrupted by a signal report the time left through
// their second timespec (the kernel writes it when it stops the sleep, and
// the tracer sees its restart code rather than EINTR). The time left
// differs on every run; replay must show the recorded one.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void OnAlarm(int signo) { (void)signo; }

static void ArmTimer(void) {
  struct itimerval in50ms;
  memset(&in50ms, 0, sizeof(in50ms));
  in50ms.it_value.tv_usec = 50000;
  setitimer(ITIMER_REAL, &in50ms, NULL);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnAlarm;  // no SA_RESTART: the sleep fails with EINTR
  sigaction(SIGALRM, &sa, NULL);

  struct timespec ten_s = {10, 0};
  struct timespec left = {9999, 9998};
  ArmTimer();
  int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ten_s, &left);
  printf("clock_nanosleep = %d (EINTR %s), left %ld.%09ld\n", r, r == EINTR ? "yes" : "no",
         (long)left.tv_sec, left.tv_nsec);

  left.tv_sec = 9999;
  ArmTimer();
  errno = 0;
  r = nanosleep(&ten_s, &left);
  printf("nanosleep = %d errno %d, left %ld.%09ld\n", r, errno, (long)left.tv_sec, left.tv_nsec);
  return 0;
}

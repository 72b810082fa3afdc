// A thread other than the main one execs while the main thread sleeps: the
// kernel ends the main thread and gives the exec'ing thread its tid. Done
// in a few children, one after another; each new image checks it kept the
// process's pid and exits with 7.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char pid_arg[16];

static void* Execer(void* arg) {
  (void)arg;
  snprintf(pid_arg, sizeof pid_arg, "%d", (int)getpid());
  char* args[] = {"/proc/self/exe", pid_arg, NULL};
  execv(args[0], args);
  perror("execv");
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) {
    printf("after exec from a worker: same pid %d, tid is the pid %d\n", atoi(argv[1]) == getpid(),
           gettid() == getpid());
    return 7;
  }
  for (int i = 0; i < 5; ++i) {
    pid_t child = fork();
    if (child == 0) {
      pthread_t thread;
      pthread_create(&thread, NULL, Execer, NULL);
      sleep(1000);
      return 1;
    }
    int status;
    waitpid(child, &status, 0);
    printf("child %d exited %d\n", i, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    fflush(stdout);
  }
  return 0;
}

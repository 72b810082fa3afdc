// A parent kills (SIGKILL) a child whose two threads are blocked in
// sleeps. With "wait" it collects the child and prints how it ended; with
// "nowait" it exits at once, before the child's death is reported.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void* Sleeper(void* arg) {
  (void)arg;
  sleep(1000);
  return NULL;
}

int main(int argc, char** argv) {
  int wait_for_it = argc > 1 && strcmp(argv[1], "wait") == 0;
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    pthread_t thread;
    pthread_create(&thread, NULL, Sleeper, NULL);
    printf("child: two threads sleeping\n");
    fflush(stdout);
    char c = 'x';
    if (write(fds[1], &c, 1) != 1) return 3;
    sleep(1000);
    return 4;
  }
  char c;
  if (read(fds[0], &c, 1) != 1) return 5;
  kill(child, SIGKILL);
  if (wait_for_it) {
    int status = 0;
    if (waitpid(child, &status, 0) != child) return 6;
    printf("parent: child killed by signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  } else {
    printf("parent: leaving without waiting\n");
  }
  return 0;
}

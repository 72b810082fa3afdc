// The main thread execs (itself, with an argument) while another thread
// sleeps: the exec ends that thread. The new image prints and exits.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void* Sleeper(void* arg) {
  (void)arg;
  sleep(1000);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) {
    printf("after exec: %s\n", argv[1]);
    return 0;
  }
  pthread_t thread;
  pthread_create(&thread, NULL, Sleeper, NULL);
  printf("about to exec\n");
  fflush(stdout);
  char* args[] = {"/proc/self/exe", "again", NULL};
  execv(args[0], args);
  perror("execv");
  return 1;
}

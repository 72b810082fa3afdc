// Target of the console's backtrace tests through libc (issue 15): frames
// of the C library between the program's own, as `bt` must unwind them
// with the syscall buffer patching libc's text. main calls strlen (a libc
// leaf), qsort (libc) calls back into by_name, which calls strcmp (libc
// again, two program frames up), and a second thread writes through the
// buffer.
//
// Prints:
//   apple fig kiwi pear
//   worker
//   length 4
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char words[4][8] = {"pear", "fig", "apple", "kiwi"};
size_t length = 0;

int by_name(const void* a, const void* b) {
  int order = strcmp(a, b);  // @compare
  return order;
}

void* worker(void* arg) {
  static const char kLine[] = "worker\n";
  if (write(1, kLine, sizeof kLine - 1) < 0) return NULL;  // @worker-write
  return arg;
}

int main(void) {
  length = strlen(words[0]);                  // @call-strlen
  qsort(words, 4, sizeof words[0], by_name);  // @call-qsort
  printf("%s %s %s %s\n", words[0], words[1], words[2], words[3]);
  fflush(stdout);
  pthread_t thread;
  if (pthread_create(&thread, NULL, worker, NULL) != 0) return 1;
  pthread_join(thread, NULL);  // @join
  printf("length %zu\n", length);
  return 0;
}

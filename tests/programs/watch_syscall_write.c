// Target of a software watchpoint test (tests/e2e/gdb_watch_test.cc): a
// heap object filled by read() from a pipe, which replay emulates by
// writing the recorded bytes, so only the replayer can see that write.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct Message {
  int length;
  char text[12];
};

int main(void) {
  struct Message* m = calloc(1, sizeof(*m));
  int fds[2];
  if (pipe(fds) != 0) return 1;
  const char kText[] = "fresh bytes";
  if (write(fds[1], kText, sizeof(kText)) != (ssize_t)sizeof(kText)) return 1;
  m->length = 1;                                       // @length-write
  ssize_t n = read(fds[0], m->text, sizeof(m->text));  // @read-call
  m->length = (int)n;                                  // @length-update
  printf("watch_syscall_write: %d %s\n", m->length, m->text);
  free(m);
  return 0;
}

// Two processes over a pipe (issue #6): the child of a fork writes 5000
// records, computing each, and exits with status 7; the parent reads them
// (records may arrive split across reads), sums them and reaps the child.
// The child's first record is its getpid(), which the parent compares with
// what fork returned. Only the child prints before the parent has reaped it,
// so the output does not depend on scheduling:
//   child: wrote 5000 records
//   parent: read 5000 records, sum N, child pid matches fork: yes
//   parent: child exited with status 7
//   mp_pipe: checksum N
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRecords = 5000, kChildStatus = 7 };

struct Record {
  uint32_t seq;
  uint32_t value;
};

static uint32_t Value(uint32_t seq) {
  uint32_t x = seq * 2654435761u;
  for (int k = 0; k < 50; ++k) x = x * 1103515245u + 12345u;
  return x % 100003u;
}

static int WriteAll(int fd, const void* data, size_t size) {
  const char* p = data;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n <= 0) return -1;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

// Reads exactly `size` bytes; 0 at a clean end of file, -1 on error or a
// torn record.
static int ReadAll(int fd, void* data, size_t size) {
  char* p = data;
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, p + got, size - got);
    if (n == 0) return got == 0 ? 0 : -1;
    if (n < 0) return -1;
    got += (size_t)n;
  }
  return 1;
}

static void Child(int fd) {
  uint32_t pid = (uint32_t)getpid();
  if (WriteAll(fd, &pid, sizeof(pid)) != 0) _exit(100);
  for (uint32_t seq = 0; seq < kRecords; ++seq) {
    struct Record r = {seq, Value(seq)};
    if (WriteAll(fd, &r, sizeof(r)) != 0) _exit(101);
  }
  close(fd);
  printf("child: wrote %d records\n", kRecords);
  fflush(stdout);
  _exit(kChildStatus);
}

int main(void) {
  int fds[2];
  if (pipe(fds) != 0) {
    perror("pipe");
    return 1;
  }
  fflush(stdout);  // nothing buffered may be printed twice
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 1;
  }
  if (child == 0) {
    close(fds[0]);
    Child(fds[1]);
  }
  close(fds[1]);

  uint32_t child_pid = 0;
  if (ReadAll(fds[0], &child_pid, sizeof(child_pid)) != 1) {
    fprintf(stderr, "mp_pipe: no pid from the child\n");
    return 1;
  }
  uint64_t sum = 0;
  int records = 0, in_order = 1;
  struct Record r;
  int got;
  while ((got = ReadAll(fds[0], &r, sizeof(r))) == 1) {
    if (r.seq != (uint32_t)records || r.value != Value(r.seq)) in_order = 0;
    sum += r.value;
    records++;
  }
  if (got < 0) fprintf(stderr, "mp_pipe: torn record after %d\n", records);
  close(fds[0]);

  int status = 0;
  if (waitpid(child, &status, 0) != child) {
    perror("waitpid");
    return 1;
  }
  printf("parent: read %d records%s, sum %llu, child pid matches fork: %s\n", records,
         in_order ? "" : " (OUT OF ORDER)", (unsigned long long)sum,
         child_pid == (uint32_t)child ? "yes" : "no");
  if (WIFEXITED(status)) {
    printf("parent: child exited with status %d\n", WEXITSTATUS(status));
  } else {
    printf("parent: child ended with wait status 0x%x\n", status);
  }
  printf("mp_pipe: checksum %llu\n", (unsigned long long)(sum * 31 + (uint64_t)records));
  return WIFEXITED(status) && WEXITSTATUS(status) == kChildStatus && in_order ? 0 : 1;
}

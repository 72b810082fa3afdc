// Memory mapped from /dev/zero: private, and shared with a child, which
// writes into it for the parent to read.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int fd = open("/dev/zero", O_RDWR);
  if (fd < 0) return 1;
  char* priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  char* shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (priv == MAP_FAILED || shared == MAP_FAILED) return 2;
  close(fd);
  printf("zero-filled: %d\n", priv[0] == 0 && priv[8191] == 0 && shared[100] == 0);
  strcpy(priv, "private");
  pid_t child = fork();
  if (child == 0) {
    strcpy(priv, "child's private copy");
    strcpy(shared, "written by the child");
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  printf("private: %s, shared: %s\n", priv, shared);
  return 0;
}

// Syscalls the in-process syscall buffer takes (a file of its own written,
// re-opened and read back, a directory listed, stat, lseek, ids) mixed with
// ones it leaves to the tracer (a pipe, unlink); prints a digest of what it
// read. The /dev/urandom bytes make every native run print another line.
// Argument: the scratch file's path (default: buffered_io.tmp here).
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long digest = 1469598103934665603ul;
char chunk[512];  // what ReadChunk read last (gdb tests watch it)

static void Mix(const void* p, size_t n) {
  const unsigned char* b = p;
  for (size_t i = 0; i < n; ++i) digest = (digest ^ b[i]) * 1099511628211ul;
}

int ReadChunk(int fd) { return (int)read(fd, chunk, sizeof(chunk)); }

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "buffered_io.tmp";
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    perror(path);
    return 1;
  }
  // Few lines: reverse execution steps through what runs between two
  // traced events (here the open above and the pipe below) to go back.
  char line[64];
  for (int i = 0; i < 40; ++i) {
    int n =
        snprintf(line, sizeof(line), "line %02d of the scratch file, padded to sixty bytes\n", i);
    if (write(fd, line, (size_t)n) != n) return 1;
  }
  close(fd);

  int again = open(path, O_RDONLY);
  int total = 0;
  int n;
  while ((n = ReadChunk(again)) > 0) {
    Mix(chunk, (size_t)n);
    total += n;
  }
  struct stat st;
  fstat(again, &st);
  lseek(again, 100, SEEK_SET);
  n = ReadChunk(again);
  Mix(chunk, (size_t)n);
  close(again);
  unlink(path);

  unsigned char random[8];
  int r = open("/dev/urandom", O_RDONLY);
  if (r < 0 || read(r, random, sizeof(random)) != sizeof(random)) return 1;
  close(r);

  int entries = 0;
  DIR* dir = opendir("/usr/include");
  for (struct dirent* e; dir && (e = readdir(dir));) {
    Mix(e->d_name, strlen(e->d_name));
    ++entries;
  }
  if (dir) closedir(dir);

  long ids = 0;
  for (int i = 0; i < 100; ++i) {
    struct stat s;
    ids += stat("/usr/include/stdio.h", &s) == 0;
    ids += getpid() == getpid();
  }

  int p[2];
  char c = 'x';
  if (pipe(p) != 0 || write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1) return 1;

  printf("read %d bytes (size %ld), %d entries, %ld ids, digest %016lx\n", total, (long)st.st_size,
         entries, ids, digest);
  printf("random %02x%02x%02x%02x%02x%02x%02x%02x\n", random[0], random[1], random[2], random[3],
         random[4], random[5], random[6], random[7]);
  return 0;
}

// A file mapped MAP_SHARED (read-only, as sqlite and LMDB read their
// databases) and changed through write-family calls: the mapping shows
// each change at once. Writes come from pwrite, write, writev, pwritev, an
// O_APPEND descriptor that grows the file, a forked child, and ftruncate
// growing and shrinking it. Replay emulates those calls; the mapping must
// still show what they did.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kPage = 4096, kPages = 4 };

static unsigned char* map;
static int fd;
static int failures;

// Whether the mapping holds `bytes` at `offset`, and a digest of it all.
static void Check(const char* how, const unsigned char* bytes, size_t n, size_t offset) {
  // Only the pages the file reaches can be read (SIGBUS beyond).
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  size_t readable = ((size_t)st.st_size + kPage - 1) / kPage * kPage;
  unsigned digest = 0;
  for (size_t i = 0; i < readable && i < kPages * kPage; ++i) digest = digest * 31 + map[i];
  int seen = memcmp(map + offset, bytes, n) == 0;
  if (!seen) ++failures;
  printf("%s: mapping shows it: %s, digest %08x\n", how, seen ? "yes" : "no", digest);
}

int main(void) {
  char path[] = "/tmp/rewind-mapped-writes-XXXXXX";
  fd = mkstemp(path);
  if (fd < 0) return 2;
  unsigned char random[kPage * 2];
  if (getrandom(random, sizeof(random), 0) != sizeof(random)) return 3;
  if (pwrite(fd, random, sizeof(random), 0) != (ssize_t)sizeof(random)) return 4;
  map = mmap(NULL, kPages * kPage, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return 5;

  unsigned char chunk[100];
  memcpy(chunk, random + 1000, sizeof(chunk));
  for (size_t i = 0; i < sizeof(chunk); ++i) chunk[i] ^= 0x5a;
  if (pwrite(fd, chunk, sizeof(chunk), 10) != sizeof(chunk)) return 6;
  Check("pwrite", chunk, sizeof(chunk), 10);
  unsigned char first[sizeof(chunk)];
  memcpy(first, chunk, sizeof(chunk));

  chunk[0] ^= 1;
  if (lseek(fd, kPage - 50, SEEK_SET) < 0 || write(fd, chunk, sizeof(chunk)) != sizeof(chunk)) {
    return 7;
  }
  Check("write across a page", chunk, sizeof(chunk), kPage - 50);

  chunk[1] ^= 1;
  struct iovec iov[2] = {{chunk, 40}, {chunk + 40, 60}};
  if (writev(fd, iov, 2) != sizeof(chunk)) return 8;  // right after the write
  Check("writev", chunk, sizeof(chunk), kPage + 50);

  chunk[2] ^= 1;
  if (pwritev(fd, iov, 2, 3 * kPage) != sizeof(chunk)) return 9;
  Check("pwritev past the end", chunk, sizeof(chunk), 3 * kPage);

  char self[64];
  snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
  int append = open(self, O_WRONLY | O_APPEND);
  if (append < 0) return 10;
  chunk[3] ^= 1;
  if (write(append, chunk, sizeof(chunk)) != sizeof(chunk)) return 11;
  Check("O_APPEND", chunk, sizeof(chunk), 3 * kPage + sizeof(chunk));

  chunk[4] ^= 1;
  pid_t child = fork();
  if (child == 0) _exit(pwrite(fd, chunk, sizeof(chunk), 2 * kPage) == sizeof(chunk) ? 0 : 1);
  int status = 0;
  if (waitpid(child, &status, 0) != child || status != 0) return 12;
  Check("a child's pwrite", chunk, sizeof(chunk), 2 * kPage);

  static const unsigned char zeros[kPage / 2];
  if (ftruncate(fd, kPages * kPage) != 0) return 13;
  Check("ftruncate grows the file", zeros, sizeof(zeros), kPages * kPage - sizeof(zeros));
  if (ftruncate(fd, kPage) != 0) return 14;
  Check("ftruncate shrinks the file", first, sizeof(first), 10);

  unlink(path);
  printf("failures: %d\n", failures);
  return failures == 0 ? 0 : 1;
}

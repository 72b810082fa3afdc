// Maps a 64 GiB sparse file shared, as databases (LMDB) do: writes two bytes
// far apart through the mapping, unmaps, punches a hole where the first one
// was, maps it again and prints what it reads. argv[1]: a directory for the
// file. Exits 77 when the filesystem cannot punch holes.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (64ull << 30)
#define FIRST (3ull << 20)
#define LAST (SIZE - 2)

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  char path[4096];
  snprintf(path, sizeof(path), "%s/sparse.db", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, SIZE) != 0) return perror("create"), 1;
  char* map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return perror("mmap"), 1;
  map[FIRST] = 'A';
  map[LAST] = 'Z';
  printf("wrote %c %c\n", map[FIRST], map[LAST]);
  munmap(map, SIZE);
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FIRST & ~4095ull, 4096) != 0) {
    perror("punch hole");
    return 77;
  }
  map = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return perror("mmap again"), 1;
  printf("read %d %c %d\n", map[FIRST], map[LAST], map[SIZE / 2]);
  munmap(map, SIZE);
  close(fd);
  unlink(path);
  return 0;
}

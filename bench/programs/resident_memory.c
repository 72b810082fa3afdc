// Makes the process resident in N MiB (argv[1]) and then idles through a few
// syscalls, so a checkpoint taken near the end copies a process that large.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
  size_t bytes = mib << 20;
  char* block = malloc(bytes);
  if (!block) return 1;
  memset(block, 1, bytes);  // every page resident
  for (int i = 0; i < 8; ++i) getppid();
  printf("resident_memory: %zu MiB touched (%d)\n", mib, block[bytes / 2]);
  return 0;
}

// Built with -fsanitize=address (tests/CMakeLists.txt): writes one byte
// past a heap block. AddressSanitizer's report goes to stderr (with the
// pid, addresses and shadow bytes) and the program exits with 1; before
// that, ASan reserved its huge MAP_NORESERVE shadow, read /proc/self/maps
// and checked its personality. With "leak", it leaks a block and returns
// normally instead, so the leak check (LeakSanitizer) runs at exit.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void* volatile kept;

int main(int argc, char** argv) {
  char* block = malloc(10);
  printf("asan_heap_overflow: block at %p\n", (void*)block);
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "leak") == 0) {
    kept = malloc(77);
    kept = NULL;
    free(block);
    return 0;
  }
  block[argc + 9] = 1;  // block[10]: one past the end
  printf("not reached\n");
  return block[10];
}

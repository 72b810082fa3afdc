// Target of a software watchpoint test (tests/e2e/gdb_watch_test.cc): the
// program write-protects the page holding a watched word itself and then
// writes it. Its SIGSEGV is its own (a handler counts it and makes the
// page writable again, after which the write succeeds); a watchpoint's
// protection of the same page must not hide it or be confused with it.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long* g_word;
static volatile sig_atomic_t g_faults;

static void OnSegv(int sig) {
  (void)sig;
  g_faults = g_faults + 1;  // @handler
  long page = sysconf(_SC_PAGESIZE);
  mprotect((void*)((unsigned long)g_word & ~(unsigned long)(page - 1)), page,
           PROT_READ | PROT_WRITE);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSegv;
  sigaction(SIGSEGV, &sa, NULL);
  long page = sysconf(_SC_PAGESIZE);
  char* mem = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 1;
  g_word = (long*)(mem + 64);
  *g_word = 11;                    // @first-write
  mprotect(mem, page, PROT_READ);  // @protect
  long seen = *g_word;             // @read-protected
  *g_word = seen + 11;             // @faulting-write
  mem[0] = 1;                      // @other-write
  munmap(mem, page);               // @unmap
  printf("watch_own_mprotect: faults %d\n", (int)g_faults);
  return 0;
}

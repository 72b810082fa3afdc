// A target for `catch syscall`: three rounds, each asking getppid and then
// writing a line of a different length, so that a catchpoint's stops tell
// the rounds apart by their registers (write's length argument and result).
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  static const char* const kLines[] = {"one\n", "round two\n", "the third round\n"};
  for (int round = 0; round < 3; ++round) {
    if (getppid() < 0) return 1;
    if (write(1, kLines[round], strlen(kLines[round])) < 0) return 1;
  }
  return 0;
}

// Loads libm while it runs and calls cos from it, twice: a breakpoint on
// cos set before the load stays pending until dlopen has mapped libm.
// strlen and cos are indirect functions: glibc picks their code at run
// time.
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  printf("%d argument(s), the first %zu bytes long\n", argc, strlen(argv[0]));
  void* libm = dlopen("libm.so.6", RTLD_NOW);
  if (!libm) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  double (*cosine)(double) = (double (*)(double))dlsym(libm, "cos");
  printf("cos(0) = %.1f\n", cosine(0.0));        // @first-cos
  printf("cos(0) again = %.1f\n", cosine(0.0));  // @second-cos
  return 0;
}

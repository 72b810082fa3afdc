// Target of the forward-debugging gdb tests (tests/e2e/gdb_forward_test.cc):
// a dynamically linked C++ program (libstdc++ and libc) with a call chain
// Top -> Middle -> Leaf, a qsort comparator called back from libc, a loop,
// a global and a heap object written at known lines, and exit status 3.
//
// The tests find lines by their "// @name" markers, never by number, so this
// file may be edited freely as long as each marker stays on its statement.
// Expected values: sorted values are 3 7 15 19 42 88, the loop sums the first
// four (44), Top(1) = (Leaf(3) + 10) * 3 = ((3 * 2 + 1) + 10) * 3 = 51.
#include <cstdio>
#include <cstdlib>
#include <string>

int g_counter = 0;
const char* g_label = "forward";

struct Box {
  int weight;
  int volume;
};

static int CompareInts(const void* a, const void* b) {
  int lhs = *static_cast<const int*>(a);  // @compare-body
  int rhs = *static_cast<const int*>(b);
  return (lhs > rhs) - (lhs < rhs);
}

int Leaf(int depth) {       // @leaf-open
  int doubled = depth * 2;  // @leaf-body
  return doubled + 1;       // @leaf-return
}

int Middle(int depth) {             // @middle-open
  int from_leaf = Leaf(depth + 1);  // @middle-call
  return from_leaf + 10;            // @middle-after
}

int Top(int depth) {
  int from_middle = Middle(depth + 1);  // @top-call
  return from_middle * 3;               // @top-after
}

int main() {
  int values[6] = {42, 7, 19, 3, 88, 15};           // @main-first
  std::qsort(values, 6, sizeof(int), CompareInts);  // @qsort
  int sum = 0;
  for (int i = 0; i < 4; ++i) {  // @loop-head
    sum += values[i];            // @loop-body
  }
  Box* box = new Box{1, 2};                                                   // @new-box
  g_counter = 5;                                                              // @global-write
  box->weight = 70;                                                           // @heap-write
  int result = Top(1);                                                        // @call-top
  g_counter += result;                                                        // @global-add
  std::string text = std::string(g_label) + ":" + std::to_string(g_counter);  // @after-add
  std::printf("%s smallest=%d sum=%d weight=%d\n", text.c_str(), values[0], sum, box->weight);
  delete box;
  return 3;
}

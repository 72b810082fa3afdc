// C++ runtime nondeterminism: std::random_device (rdrand or getrandom,
// depending on what cpuid reports), system_clock and steady_clock, written
// with iostreams, plus a std::map/std::string workload seeded by the random
// values so the whole output depends on them.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <random>
#include <string>

int main() {
  std::random_device device;
  uint32_t values[4];
  for (uint32_t& v : values) v = device();
  std::cout << "random_device:";
  for (uint32_t v : values) std::cout << ' ' << v;
  std::cout << '\n';

  auto wall = std::chrono::system_clock::now().time_since_epoch();
  auto mono = std::chrono::steady_clock::now().time_since_epoch();
  std::cout << "system_clock ns: "
            << std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count() << '\n';
  std::cout << "steady_clock ns: "
            << std::chrono::duration_cast<std::chrono::nanoseconds>(mono).count() << '\n';

  std::mt19937 engine(values[0]);
  std::map<std::string, int> words;
  for (int i = 0; i < 2000; ++i) {
    std::string word;
    int length = 1 + static_cast<int>(engine() % 3);
    for (int j = 0; j < length; ++j) word += static_cast<char>('a' + engine() % 4);
    ++words[word];
  }
  std::cout << "distinct words: " << words.size() << '\n';
  int shown = 0;
  for (const auto& [word, count] : words) {
    if (shown++ == 8) break;
    std::cout << "  " << word << " x" << count << '\n';
  }
  std::cout << "most common: ";
  auto best = words.begin();
  for (auto it = words.begin(); it != words.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  std::cout << best->first << " (" << best->second << ")" << std::endl;
  return 0;
}

// hello_rewind: the program the README records, replays and debugs.
//
// A small dynamically linked C++ program with the nondeterminism real
// programs have: it reads the clock and random bytes, then runs a
// deterministic computation seeded by them in a few functions. Recording
// captures the seed; every replay (and every reverse step in gdb) sees the
// same values.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

// Length of the Collatz sequence starting at n.
int CollatzSteps(uint64_t n) {
  int steps = 0;
  while (n != 1) {
    n = (n % 2 == 0) ? n / 2 : 3 * n + 1;
    ++steps;
  }
  return steps;
}

// One round of the game: a score that depends on the seed and the round.
long Score(int round, uint32_t seed) {
  uint64_t start = 1 + (seed >> 8) % 1000 + static_cast<uint64_t>(round) * 37;
  long score = CollatzSteps(start);
  if (score % 2 == 0) score *= 2;
  return score;
}

std::string Describe(long total) {
  if (total > 500) return "high";
  if (total > 250) return "medium";
  return "low";
}

}  // namespace

int main() {
  auto now = std::chrono::system_clock::now();
  long long ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::random_device device;
  uint32_t seed = device();
  std::printf("hello from rewind's example\n");
  std::printf("time: %lld ms since the epoch\n", ms);
  std::printf("seed: %u\n", seed);

  std::vector<long> scores;
  long total = 0;
  for (int round = 0; round < 5; ++round) {
    long score = Score(round, seed);
    scores.push_back(score);
    total += score;
    std::printf("round %d: score %ld (total %ld)\n", round, score, total);
  }
  std::printf("total %ld is %s\n", total, Describe(total).c_str());
  return 0;
}

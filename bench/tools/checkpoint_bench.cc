// Times checkpoint creation (fork of the replayed process) and discard for a
// trace, near its end. Usage: checkpoint_bench TRACE_DIR [REPEATS]
// Prints: "checkpoint_ms <median> discard_ms <median> rss_mib <rss>".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "replayer/replay_session.h"

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

long ResidentMiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4096 / (1 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: checkpoint_bench TRACE_DIR [REPEATS]\n");
    return 64;
  }
  int repeats = argc > 2 ? atoi(argv[2]) : 7;
  rwd::replayer::ReplayOptions options;
  options.trace_dir = argv[1];
  options.echo_output = false;
  auto session = rwd::replayer::ReplaySession::Open(options);
  if (!session.ok()) {
    fprintf(stderr, "%s\n", session.status().ToString().c_str());
    return 1;
  }
  rwd::replayer::ReplaySession& s = **session;
  uint64_t target = s.event_count() > 4 ? s.event_count() - 4 : 1;
  s.set_boundary_stop([target](uint64_t e) { return e >= target; });
  while (s.event_number() < target) {
    auto stop = s.Continue();
    if (!stop.ok()) {
      fprintf(stderr, "%s\n", stop.status().ToString().c_str());
      return 1;
    }
  }
  std::vector<double> create, discard;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto copy = s.Fork();
    auto t1 = std::chrono::steady_clock::now();
    if (!copy.ok()) {
      fprintf(stderr, "%s\n", copy.status().ToString().c_str());
      return 1;
    }
    copy->reset();
    auto t2 = std::chrono::steady_clock::now();
    create.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    discard.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  printf("checkpoint_ms %.3f discard_ms %.3f rss_mib %ld\n", Median(create), Median(discard),
         ResidentMiB(s.live_tid().value()));
  return 0;
}

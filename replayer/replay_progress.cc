#include "replayer/replay_progress.h"

#include <cstdio>

#include "core/clock.h"

namespace rwd::replayer {

ReplayProgress::ReplayProgress(std::function<std::string()> describe)
    : describe_(std::move(describe)), last_poll_(CoarseNow()), last_report_(last_poll_) {}

bool ReplayProgress::Tick(const std::function<bool()>& interrupted) {
  auto now = CoarseNow();
  if (now - last_poll_ < kPollEvery) return false;
  last_poll_ = now;
  if (now - last_report_ >= kReportEvery) {
    last_report_ = now;
    fprintf(stderr, "rewind: %s\n", describe_().c_str());
  }
  return interrupted && interrupted();
}

}  // namespace rwd::replayer

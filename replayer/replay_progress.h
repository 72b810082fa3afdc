// ReplayProgress: what a long re-execution is doing (a reverse-continue
// scanning millions of breakpoint hits, a goto across a long recording),
// printed on the user's terminal every few seconds so that it does not look
// like a hang, and the interrupt poll, asked every 50 ms.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace rwd::replayer {

class ReplayProgress {
 public:
  // `describe` gives the line to print (without "rewind: " or a newline);
  // it is called only when a report is due.
  explicit ReplayProgress(std::function<std::string()> describe);

  // True when `interrupted` (may be empty) says the user interrupted. Cheap
  // enough to call at every event or breakpoint hit.
  bool Tick(const std::function<bool()>& interrupted);

 private:
  static constexpr std::chrono::milliseconds kPollEvery{50};
  static constexpr std::chrono::seconds kReportEvery{2};
  std::function<std::string()> describe_;
  std::chrono::steady_clock::time_point last_poll_;
  std::chrono::steady_clock::time_point last_report_;
};

}  // namespace rwd::replayer

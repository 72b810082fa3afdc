// Divergence between record and replay is detected at the next event and
// reported with the event number and what differed. The test takes a real
// recording and rewrites one syscall result (an openat returning another
// fd), as a recorder bug or a changed world would; the program then passes
// that fd to its next syscall, which no longer matches the recording.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "e2e_fixture.h"
#include "arch/arch.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

class DivergenceTest : public E2ETest {};

TEST_F(DivergenceTest, AlteredSyscallResultIsReportedAtTheNextEvent) {
  Recording rec = Record("random_bytes");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();

  auto reader = trace::TraceReader::Open(rec.trace);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::string altered = NewPath("altered");
  auto writer = trace::TraceWriter::Create(altered, (*reader)->header());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // The program's own open of /dev/urandom: the last successful openat.
  std::vector<trace::Event> events;
  int64_t target = -1;
  const int openat = arch::HostArch().syscalls().FindByName("openat")->nr;
  while (true) {
    auto ev = (*reader)->Next();
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    if (!*ev) break;
    auto* sc = std::get_if<trace::SyscallEvent>(&(*ev)->body);
    if (sc && sc->nr == openat && sc->result >= 3) {
      target = static_cast<int64_t>(events.size());
    }
    events.push_back(std::move(**ev));
  }
  ASSERT_GE(target, 0) << "no openat in the recording";
  std::get<trace::SyscallEvent>(events[target].body).result += 7;
  for (const trace::Event& ev : events) ASSERT_TRUE((*writer)->Append(ev).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  fs::copy(rec.trace + "/files", altered + "/files", fs::copy_options::recursive |
                                                          fs::copy_options::skip_existing);

  RunResult replay = ReplayAutopilot(altered);
  EXPECT_FALSE(replay.Crashed()) << replay.Describe();
  EXPECT_NE(replay.exit_status, 0);
  EXPECT_TRUE(Contains(replay.err, "diverged")) << replay.err;
  // Reported at the event right after the altered one, naming the argument.
  std::smatch m;
  std::regex at_event("at event ([0-9]+)");
  ASSERT_TRUE(std::regex_search(replay.err, m, at_event)) << replay.err;
  EXPECT_EQ(std::stoll(m[1]), target + 1) << replay.err;
  EXPECT_TRUE(Contains(replay.err, "argument 1")) << replay.err;
  // The untouched recording still replays.
  RunResult good = ReplayAutopilot(rec.trace);
  EXPECT_EQ(good.exit_status, 0) << good.Describe();
  EXPECT_TRUE(SameBytes(rec.out, good.out));
}

}  // namespace
}  // namespace rwd::e2e

// Divergence between record and replay is detected at the next event and
// reported with the event number and what differed. The test takes a real
// recording and rewrites one syscall result (an openat returning another
// fd), as a recorder bug or a changed world would; the program then passes
// that fd to its next syscall, which no longer matches the recording.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "e2e_fixture.h"
#include "gdb_driver.h"
#include "arch/arch.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

// Writes into `altered` a copy of `trace` whose last successful openat
// returns another fd; returns that event's index (-1 and a failure if none).
int64_t AlterLastOpenat(const std::string& trace, const std::string& altered) {
  auto reader = trace::TraceReader::Open(trace);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return -1;
  auto writer = trace::TraceWriter::Create(altered, (*reader)->header());
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  if (!writer.ok()) return -1;
  // The program's own open of /dev/urandom: the last successful openat.
  std::vector<trace::Event> events;
  int64_t target = -1;
  const int openat = arch::HostArch().syscalls().FindByName("openat")->nr;
  while (true) {
    auto ev = (*reader)->Next();
    EXPECT_TRUE(ev.ok()) << ev.status().ToString();
    if (!ev.ok()) return -1;
    if (!*ev) break;
    auto* sc = std::get_if<trace::SyscallEvent>(&(*ev)->body);
    if (sc && sc->nr == openat && sc->result >= 3) {
      target = static_cast<int64_t>(events.size());
    }
    events.push_back(std::move(**ev));
  }
  EXPECT_GE(target, 0) << "no openat in the recording";
  if (target < 0) return -1;
  std::get<trace::SyscallEvent>(events[target].body).result += 7;
  for (const trace::Event& ev : events) EXPECT_TRUE((*writer)->Append(ev).ok());
  EXPECT_TRUE((*writer)->Finish().ok());
  fs::copy(trace + "/files", altered + "/files",
           fs::copy_options::recursive | fs::copy_options::skip_existing);
  return target;
}

class DivergenceTest : public E2ETest {};

TEST_F(DivergenceTest, AlteredSyscallResultIsReportedAtTheNextEvent) {
  Recording rec = Record("random_bytes");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::string altered = NewPath("altered");
  int64_t target = AlterLastOpenat(rec.trace, altered);
  ASSERT_GE(target, 0);

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

class GdbDivergenceTest : public GdbTest {};

// A motion that fails (here at a divergence) says why in gdb's own console,
// where an IDE shows it too, and the session goes on where it stopped. Going
// back re-executes up to here, so it meets the divergence again, and says so.
TEST_F(GdbDivergenceTest, FailedContinueSaysWhyInGdb) {
  Recording rec = Record("random_bytes");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::string altered = NewPath("altered");
  int64_t target = AlterLastOpenat(rec.trace, altered);
  ASSERT_GE(target, 0);

  GdbTranscript t = RunGdbOnReplay(altered, Program("random_bytes"),
                                   {"continue", "monitor when", "reverse-stepi"});
  const std::string& cont = t.Output(0);
  EXPECT_TRUE(AnyLineMatches(cont, "^rewind: .*diverged.* at event " + std::to_string(target + 1)))
      << t.Describe();
  EXPECT_TRUE(Contains(t.Output(1), "event")) << t.Describe();
  EXPECT_TRUE(AnyLineMatches(t.Output(2), "^rewind: .*diverged")) << t.Describe();
}

}  // namespace
}  // namespace rwd::e2e

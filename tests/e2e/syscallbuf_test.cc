// The in-process syscall buffer (`rewind record --syscallbuf`, issue 12
// step 2): buffered syscalls replay identically and without stops, a static
// binary falls back to ptrace stops, and a replay that departs from a
// buffered batch is reported with its event. gdb around buffered calls:
// syscallbuf_gdb_test.cc.
#include <gtest/gtest.h>
#include <linux/futex.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <regex>

#include "arch/arch.h"
#include "tests/e2e/syscallbuf_fixture.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

size_t BufferedCalls(const std::vector<trace::Event>& events) {
  size_t n = 0;
  for (const trace::Event& ev : events) {
    if (auto* b = std::get_if<trace::SyscallBatchEvent>(&ev.body)) n += b->count;
  }
  return n;
}

// A copy of trace `original` at `altered` with `events` instead of its own
// (its header and file copies kept): a recording that replay must find
// itself leaving.
void WriteAlteredTrace(const std::string& original, const std::vector<trace::Event>& events,
                       const std::string& altered) {
  auto reader = trace::TraceReader::Open(original);
  ASSERT_TRUE(reader.ok());
  auto writer = trace::TraceWriter::Create(altered, (*reader)->header());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (const trace::Event& ev : events) ASSERT_TRUE((*writer)->Append(ev).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  fs::copy(original + "/files", altered + "/files",
           fs::copy_options::recursive | fs::copy_options::skip_existing);
}

TEST_F(SyscallBufferTest, SyscallHeavyProgramReplaysIdentically) {
  Recording rec = Record("buffered_io", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<trace::Event> events = ReadEvents(rec.trace);
  // 40 writes, 7 reads, 100 stats, 200 getpids at least: most of them buffered.
  EXPECT_GT(BufferedCalls(events), 300u);
  EXPECT_LT(events.size(), 300u) << "the buffered syscalls should need few events";
  RunResult dump = Dump(rec.trace);
  EXPECT_TRUE(Contains(dump.out, "syscall-batch")) << dump.out;
  // Pipes stay with the tracer.
  EXPECT_TRUE(AnyLineMatches(dump.out, R"( syscall read\(\d+, )")) << dump.out;

  ExpectReplaysIdentically(rec);
  // The random line comes from the trace, not from this run's /dev/urandom.
  RunResult native = RunNative("buffered_io");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(Lines(native.out).back(), Lines(rec.out).back());
  EXPECT_EQ(Lines(native.out).front(), Lines(rec.out).front());
}

TEST_F(SyscallBufferTest, OutputToAFileIsReplayed) {
  // stdout a regular file: the program's writes to it are buffered, and
  // replay shows them from the trace.
  std::string out = NewPath("out");
  Recording rec;
  {
    std::string trace = NewPath("trace");
    RunResult r = RunCommand({"sh", "-c",
                              std::string(REWIND_BINARY) + " record --syscallbuf -o " + trace +
                                  " " + Program("buffered_io") + " > " + out});
    ASSERT_EQ(r.exit_status, 0) << r.Describe();
    rec.trace = trace;
  }
  std::vector<trace::Event> events = ReadEvents(rec.trace);
  bool echoed = false;
  for (const trace::Event& ev : events) {
    if (auto* b = std::get_if<trace::SyscallBatchEvent>(&ev.body)) {
      for (const trace::SyscallEvent& call : CallsOf(*b)) echoed |= call.output_stream == 1;
    }
  }
  EXPECT_TRUE(echoed) << "no buffered write to stdout";
  RunResult replay = ReplayAutopilot(rec.trace);
  ASSERT_EQ(replay.exit_status, 0) << replay.Describe();
  std::string recorded = RunCommand({"cat", out}).out;
  EXPECT_TRUE(SameBytes(recorded, replay.out));
}

TEST_F(SyscallBufferTest, WritesFollowAnFdReplacedBetweenThem) {
  // The library knows what kind of file each fd is without an fstat per
  // call; here fd 20 changes between buffered writes (dup2, a buffered
  // close, close_range), and only the writes while it is stdout (a
  // file, so they are buffered and their bytes recorded for replay to
  // show) may show, in the recording and in its replay.
  std::string out = NewPath("out");
  std::string trace = NewPath("trace");
  RunResult r = RunCommand({"sh", "-c",
                            std::string(REWIND_BINARY) + " record --syscallbuf -o " + trace + " " +
                                Program("fd_replaced") + " > " + out});
  ASSERT_EQ(r.exit_status, 0) << r.Describe();
  const std::string expected = "through dup2\nthrough F_DUPFD after close_range\n";
  EXPECT_EQ(RunCommand({"cat", out}).out, expected);
  size_t buffered_to_stdout = 0;
  for (const trace::Event& ev : ReadEvents(trace)) {
    if (auto* b = std::get_if<trace::SyscallBatchEvent>(&ev.body)) {
      for (const trace::SyscallEvent& call : CallsOf(*b)) {
        buffered_to_stdout += call.output_stream == 1;
      }
    }
  }
  EXPECT_EQ(buffered_to_stdout, 2u) << "the writes to stdout were not both buffered";
  RunResult replay = ReplayAutopilot(trace);
  ASSERT_EQ(replay.exit_status, 0) << replay.Describe();
  EXPECT_EQ(replay.out, expected);
}

TEST_F(SyscallBufferTest, LsOfADirectoryTreeReplays) {
  Recording rec = Record("/bin/ls", {"-lR", "/usr/include/linux"}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_GT(BufferedCalls(ReadEvents(rec.trace)), 1000u);
  ExpectReplaysIdentically(rec, 1);
}

TEST_F(SyscallBufferTest, ForkExecAndPipelinesReplay) {
  // sh forks, the children exec, pipes carry the data: buffers are copied
  // at fork, replaced at exec, and pipe I/O stays traced.
  Recording rec =
      Record("/bin/sh",
             {"-c", "ls -l /usr/include | sort | head -5; " + Program("buffered_io") + " t1.tmp"},
             kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_GT(BufferedCalls(ReadEvents(rec.trace)), 300u);
  ExpectReplaysIdentically(rec, 1);
}

// Threads that reuse one another's thread descriptor (glibc's stack cache),
// and a forked child, which keeps its parent's: each has a buffer of its
// own (the library tells them apart by the tid in the descriptor), so each
// one's calls are in batches of its own and replay.
TEST_F(SyscallBufferTest, ThreadsInAReusedDescriptorAndForkedChildrenBufferOnTheirOwn) {
  Recording rec = Record("mt_reused_thread_slots", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "thread 7: 600")) << rec.out;
  // Without reuse this would test nothing new.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(rec.out, m, std::regex(R"(first one's descriptor: (\d+))")));
  EXPECT_GT(std::stoi(m[1]), 0) << "glibc did not reuse the first thread's descriptor";
  std::map<int, size_t> buffered_by_tid;
  for (const trace::Event& ev : ReadEvents(rec.trace)) {
    if (auto* b = std::get_if<trace::SyscallBatchEvent>(&ev.body)) {
      buffered_by_tid[ev.tid] += b->count;
    }
  }
  // The main thread, 8 workers and the child, each with most of its 600
  // calls buffered.
  size_t buffering = 0;
  for (const auto& [tid, n] : buffered_by_tid) buffering += n >= 500;
  EXPECT_GE(buffering, 10u) << "threads whose calls were buffered: " << buffering;
  ExpectReplaysIdentically(rec);
}

// A raw clone without CLONE_SETTLS leaves parent and child one thread
// pointer, which is how the library finds a thread's buffer. Both read
// /dev/urandom at once; their calls must not share one buffer: replay
// reproduces what each read. Once the child ended, the parent buffers again.
TEST_F(SyscallBufferTest, ARawCloneSharingTheThreadPointerDoesNotShareTheBuffer) {
  Recording rec = Record("raw_clone_shared_tls", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(AnyLineMatches(rec.out, "^parent [0-9a-f]+ child [0-9a-f]+ after [0-9a-f]+$"))
      << rec.out;
  EXPECT_FALSE(Contains(rec.out, " child 0 ")) << "the child's reads failed: " << rec.out;
  // The 300 rounds after the child's end: read and close each (opening
  // a device is traced).
  EXPECT_GE(BufferedCalls(ReadEvents(rec.trace)), 600u);
  ExpectReplaysIdentically(rec);
}

// Two threads block in pipe reads (left to the tracer) while two others
// make thousands of buffered calls and feed the pipes; then a vfork child
// execs. Nothing deadlocks, and the digests replay.
TEST_F(SyscallBufferTest, ThreadsBlockInPipeReadsWhileOthersRunBufferedCalls) {
  Recording rec = Record("mt_buffered_pipes", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "pair 1: digest ")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "vfork child: 0")) << rec.out;
  std::vector<trace::Event> events = ReadEvents(rec.trace);
  EXPECT_GT(BufferedCalls(events), 20000u);
  RunResult dump = Dump(rec.trace);
  // The readers' 64-byte reads of the pipes.
  EXPECT_TRUE(AnyLineMatches(dump.out, R"( syscall read\(\d+, 0x[0-9a-f]+, 64\))"))
      << "no traced pipe read";
  EXPECT_TRUE(AnyLineMatches(dump.out, R"( syscall vfork\()")) << "no vfork";
  ExpectReplaysIdentically(rec);
}

// A 1 ms process-directed SIGALRM interrupts the threads in buffered calls,
// in pipe reads and in its own handler. Its frame holds the thread's last
// trap, which was the tracer's; and a thread the recorder preempts right
// after a delivery (at the handler's sigreturn) must be stopped there in
// replay too. Each of several recordings, with the buffer and without,
// replays identically: before both were fixed about 1 in 3 diverged. Then
// a tick reaching a thread that chaos mode switched away from at a
// syscall's entry (mt_signal_at_pipe_write).
TEST_F(SyscallBufferTest, SignalsDuringBufferedSyscalls) {
  constexpr int kRecordings = 5;
  for (bool buffered : {true, false}) {
    for (int i = 0; i < kRecordings; ++i) {
      SCOPED_TRACE(std::string(buffered ? "with" : "without") + " the buffer, recording " +
                   std::to_string(i));
      Recording rec =
          Record("mt_buffered_pipes", {"timer"}, buffered ? kBuffered : SyscallBufferOff());
      ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
      ASSERT_TRUE(Contains(rec.out, "vfork child: 0")) << rec.out;
      std::vector<trace::Event> events = ReadEvents(rec.trace);
      size_t alarms = 0;
      for (const trace::Event& ev : events) {
        auto* sig = std::get_if<trace::SignalEvent>(&ev.body);
        alarms += sig && sig->signo == SIGALRM && !sig->synchronous;
      }
      EXPECT_GT(alarms, 0u) << "no SIGALRM was recorded";
      if (buffered) EXPECT_GT(BufferedCalls(events), 1000u);
      ExpectReplaysIdentically(rec, 1);
      if (HasFailure()) return;
    }
  }
  // Chaos mode lets the reader run at many a pipe write's entry, before the
  // write: the writer waits on the syscall instruction in the library, and
  // replay inside the syscall. A tick reaching it there was placed by
  // fingerprint at that instruction, which replay never reaches again
  // (every one of these recordings diverged); it belongs to the syscall.
  constexpr int kChaosRecordings = 3;
  for (int i = 0; i < kChaosRecordings; ++i) {
    SCOPED_TRACE("with --chaos, recording " + std::to_string(i));
    Recording rec;
    rec.trace = NewPath("chaos");
    static_cast<RunResult&>(rec) = Rewind(
        {"record", "--syscallbuf", "--chaos", "-o", rec.trace, Program("mt_signal_at_pipe_write")});
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    ASSERT_TRUE(Contains(rec.out, "reader digest ")) << rec.out;
    std::vector<trace::Event> events = ReadEvents(rec.trace);
    size_t entries = 0;
    for (const trace::Event& ev : events)
      entries += std::holds_alternative<trace::SyscallEntryEvent>(ev.body);
    EXPECT_GT(entries, 0u) << "no syscall waited for its result while another thread ran";
    ExpectReplaysIdentically(rec, 1);
    if (HasFailure()) return;
  }
}

// A SIGALRM the recorder places by fingerprint in a loop of buffered writes
// whose registers, stack and globals repeat (its state lives on the heap):
// the batch flushed before it holds many calls, and every one of their
// passes matches the fingerprint. Replay delivers the signal after the
// batch's last call; before, it did at the first pass and diverged at once.
TEST_F(SyscallBufferTest, SignalAfterABatchOfPassesThatLookAlike) {
  // Whether a tick lands in the loop right after a batch depends on timing:
  // on an idle machine 3 recordings of 40 ticks had none in 1 run of 5, so
  // each recording now takes 120 ticks and up to 12 are made until one has.
  constexpr int kMaxRecordings = 12;
  bool placed_after_batch = false;
  for (int i = 0; i < kMaxRecordings && !placed_after_batch; ++i) {
    SCOPED_TRACE("recording " + std::to_string(i));
    Recording rec = Record("sig_heap_state_writes", {}, kBuffered);
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    ASSERT_TRUE(Contains(rec.out, "sig_heap_state_writes: ticks=")) << rec.out;
    std::vector<trace::Event> events = ReadEvents(rec.trace);
    for (size_t k = 1; k < events.size(); ++k) {
      auto* sig = std::get_if<trace::SignalEvent>(&events[k].body);
      auto* batch = std::get_if<trace::SyscallBatchEvent>(&events[k - 1].body);
      placed_after_batch |= sig && !sig->fingerprint.empty() && batch &&
                            events[k - 1].tid == events[k].tid && batch->count > 1;
    }
    ExpectReplaysIdentically(rec, 1);
    if (HasFailure()) return;
  }
  EXPECT_TRUE(placed_after_batch)
      << "no SIGALRM was placed by fingerprint right after a batch of buffered calls";
}

// Whether a thread's events hold a buffered batch, then a preemption, then
// an asynchronous signal without a fingerprint: a tick that reached the
// thread while it was switched away, delivered where the preemption left it.
bool SignalFollowsAPreemptionAfterABatch(const std::vector<trace::Event>& events) {
  std::map<int32_t, std::vector<const trace::Event*>> last_two;
  for (const trace::Event& ev : events) {
    std::vector<const trace::Event*>& before = last_two[ev.tid];
    auto* sig = std::get_if<trace::SignalEvent>(&ev.body);
    if (sig && !sig->synchronous && sig->fingerprint.empty() && before.size() == 2 &&
        std::holds_alternative<trace::SyscallBatchEvent>(before[0]->body) &&
        std::holds_alternative<trace::PreemptEvent>(before[1]->body)) {
      return true;
    }
    before.push_back(&ev);
    if (before.size() > 2) before.erase(before.begin());
  }
  return false;
}

// Single-threaded processes making buffered calls under a 1 ms SIGALRM,
// recorded with --chaos: a process preempted right after a batch, with a
// tick delivered as soon as it runs again. Replay lets the preemption of a
// thread alone in its address space pass unobserved, so it delivered the
// tick where the thread stood, before the batch, and diverged at the
// handler's sigreturn (4 of 5 recordings). So did a tick the recorder took
// for one at the thread's last event because the loop (its state on the
// stack) had come back to the same registers after a batch (2 of 5 once
// the first was fixed). Recordings are made until 2 have the first
// scenario, at most 10; each of those must replay identically.
TEST_F(SyscallBufferTest, SignalAfterAPreemptionComesAfterTheBatchBeforeIt) {
  constexpr int kMaxRecordings = 10;
  constexpr int kWanted = 2;
  int with_scenario = 0;
  for (int i = 0; i < kMaxRecordings && with_scenario < kWanted; ++i) {
    SCOPED_TRACE("recording " + std::to_string(i));
    Recording rec;
    rec.trace = NewPath("preempt");
    static_cast<RunResult&>(rec) = Rewind({"record", "--syscallbuf", "--chaos", "-o", rec.trace,
                                           Program("mp_signal_after_preempt")});
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    ASSERT_TRUE(Contains(rec.out, "4 of 4 children done")) << rec.out;
    std::vector<trace::Event> events = ReadEvents(rec.trace);
    if (!SignalFollowsAPreemptionAfterABatch(events)) continue;
    ++with_scenario;
    ExpectReplaysIdentically(rec, 1);
    if (HasFailure()) return;
  }
  EXPECT_GT(with_scenario, 0) << "no recording had a SIGALRM delivered right after a preemption "
                                 "that followed a batch of buffered calls";
}

TEST_F(SyscallBufferTest, StaticBinaryFallsBackToStops) {
  Recording rec;
  std::string trace = NewPath("static");
  RunResult r =
      Rewind({"record", "--syscallbuf", "-v", "-o", trace, Program("buffered_io_static")});
  ASSERT_EQ(r.exit_status, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "ran without the syscall buffer")) << r.err;
  EXPECT_EQ(BufferedCalls(ReadEvents(trace)), 0u);
  rec.trace = trace;
  rec.out = r.out;
  rec.err = r.err;
  rec.exit_status = r.exit_status;
  ExpectReplaysIdentically(rec, 1);
  // Without -v the fallback is silent.
  RunResult quiet =
      Rewind({"record", "--syscallbuf", "-o", NewPath("quiet"), Program("buffered_io_static")});
  ASSERT_EQ(quiet.exit_status, 0) << quiet.Describe();
  EXPECT_FALSE(Contains(quiet.err, "syscall buffer")) << quiet.err;
}

// A recorded buffered openat is given another result, as a recorder bug or
// a changed world would: the program passes that fd to its next buffered
// call, which the library finds different from the record.
// Replay shows a buffered write's recorded bytes; a program that computed
// other bytes (same call, same length) has left the recording, and replay
// must say so rather than print what the recording printed. Simulated by
// changing the recorded bytes of one write to stdout.
TEST_F(SyscallBufferTest, ABufferedWriteOfOtherBytesIsADivergence) {
  // Writes to rewind's stdout are buffered when it is a file (a pipe may
  // block): record with both going to one.
  Recording rec;
  rec.trace = NewPath("trace");
  const std::string out_file = NewPath("stdout");
  RunResult recorded = RunCommand({"/bin/sh", "-c",
                                   "exec \"$0\" record -o \"$1\" \"$2\" > \"$3\"", REWIND_BINARY,
                                   rec.trace, Program("buffered_io"), out_file},
                                  kBuffered);
  ASSERT_EQ(recorded.exit_status, 0) << recorded.Describe();
  std::vector<trace::Event> events = ReadEvents(rec.trace);
  int64_t target = -1;
  size_t call_index = 0;
  for (size_t i = 0; i < events.size() && target < 0; ++i) {
    auto* b = std::get_if<trace::SyscallBatchEvent>(&events[i].body);
    if (!b) continue;
    std::vector<trace::SyscallEvent> calls = CallsOf(*b);
    for (size_t k = 0; k < calls.size(); ++k) {
      const trace::SyscallEvent& call = calls[k];
      if (call.output_stream == 1 && !call.writes.empty() && call.writes.front().bytes.size() > 2) {
        target = static_cast<int64_t>(i);
        call_index = k;
        break;
      }
    }
  }
  ASSERT_GE(target, 0) << "no buffered write to stdout";
  auto& batch = std::get<trace::SyscallBatchEvent>(events[target].body);
  std::vector<trace::SyscallEvent> calls = CallsOf(batch);
  calls[call_index].writes.front().bytes[1] ^= 0x20;
  batch = trace::MakeSyscallBatch(calls);

  std::string altered = NewPath("altered");
  ASSERT_NO_FATAL_FAILURE(WriteAlteredTrace(rec.trace, events, altered));

  RunResult replay = ReplayAutopilot(altered, RunOptions{.timeout = std::chrono::seconds(60)});
  EXPECT_FALSE(replay.timed_out) << replay.Describe();
  EXPECT_NE(replay.exit_status, 0) << replay.Describe();
  std::smatch m;
  std::regex other(R"(buffered syscall (\d+) of \d+ in event (\d+)\) writes other bytes than when )"
                   R"(recorded: byte 1 is )");
  ASSERT_TRUE(std::regex_search(replay.err, m, other)) << replay.err;
  EXPECT_EQ(std::stoll(m[1]), static_cast<long long>(call_index) + 1) << replay.err;
  EXPECT_EQ(std::stoll(m[2]), target) << replay.err;
}

TEST_F(SyscallBufferTest, DivergenceInsideABatchIsReportedWithItsEvent) {
  Recording rec = Record("buffered_io", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<trace::Event> events = ReadEvents(rec.trace);
  const arch::SyscallTable& table = arch::HostArch().syscalls();
  const int64_t openat = table.FindByName("openat")->nr;
  const int64_t read = table.FindByName("read")->nr;
  int64_t target = -1;
  size_t call_index = 0;
  for (size_t i = 0; i < events.size() && target < 0; ++i) {
    auto* b = std::get_if<trace::SyscallBatchEvent>(&events[i].body);
    if (!b) continue;
    std::vector<trace::SyscallEvent> calls = CallsOf(*b);
    for (size_t k = 0; k + 1 < calls.size(); ++k) {
      const trace::SyscallEvent& open = calls[k];
      const trace::SyscallEvent& next = calls[k + 1];
      if (open.nr == openat && open.result >= 3 && next.nr == read &&
          next.args[0] == static_cast<uint64_t>(open.result)) {
        target = static_cast<int64_t>(i);
        call_index = k;
        break;
      }
    }
  }
  ASSERT_GE(target, 0) << "no buffered openat followed by a read of its fd";
  auto& batch = std::get<trace::SyscallBatchEvent>(events[target].body);
  std::vector<trace::SyscallEvent> calls = CallsOf(batch);
  calls[call_index].result += 7;
  batch = trace::MakeSyscallBatch(calls);

  std::string altered = NewPath("altered");
  ASSERT_NO_FATAL_FAILURE(WriteAlteredTrace(rec.trace, events, altered));

  RunResult replay = ReplayAutopilot(altered, RunOptions{.timeout = std::chrono::seconds(60)});
  EXPECT_FALSE(replay.timed_out) << replay.Describe();
  EXPECT_FALSE(replay.Crashed()) << replay.Describe();
  EXPECT_NE(replay.exit_status, 0);
  EXPECT_TRUE(Contains(replay.err, "diverged")) << replay.err;
  std::smatch m;
  std::regex in_event(R"(buffered syscall (\d+) of (\d+) in event (\d+)\), saw read\((\d+),)");
  ASSERT_TRUE(std::regex_search(replay.err, m, in_event)) << replay.err;
  EXPECT_EQ(std::stoll(m[1]), static_cast<long long>(call_index) + 2) << replay.err;
  EXPECT_EQ(std::stoll(m[3]), target) << replay.err;
  EXPECT_EQ(std::stoll(m[4]), calls[call_index].result) << replay.err;
  // The untouched recording still replays.
  ExpectReplaysIdentically(rec, 1);
}

// Futex wakes go through the buffer (issue #12): a thread wakes others
// without a stop, and the woken thread runs only after the waker's next
// event, which writes the batch with the wake first. Workers blocking in
// traced futex waits (glibc's condition variables and mutexes) and a
// doorbell of raw wakes replay identically, twice; which worker took how
// many jobs and how many each ring woke depend on the recorded schedule.
TEST_F(SyscallBufferTest, FutexWakesAreBufferedAndReplayInOrder) {
  Recording rec = Record("mt_futex_wakes", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "doorbell: rings 300, woken ")) << rec.out;
  std::vector<trace::Event> events = ReadEvents(rec.trace);
  const int64_t futex = arch::HostArch().syscalls().FindByName("futex")->nr;
  auto is_wake = [](const std::array<uint64_t, 6>& args) {
    return (args[1] & FUTEX_CMD_MASK) == FUTEX_WAKE;
  };
  size_t buffered_wakes = 0, traced_wakes = 0, traced_waits = 0;
  for (const trace::Event& ev : events) {
    if (auto* b = std::get_if<trace::SyscallBatchEvent>(&ev.body)) {
      for (const trace::SyscallEvent& call : CallsOf(*b)) {
        if (call.nr != futex) continue;
        EXPECT_TRUE(is_wake(call.args)) << "a buffered futex call that is not a wake";
        ++buffered_wakes;
      }
    } else if (auto* call = std::get_if<trace::SyscallEvent>(&ev.body)) {
      if (call->nr != futex) continue;
      ++(is_wake(call->args) ? traced_wakes : traced_waits);
    }
  }
  // The doorbell's 301 raw wakes, and the unlocks and signals of 3000 jobs.
  EXPECT_GT(buffered_wakes, 1000u);
  // Only those made before the library patched libc stay traced.
  EXPECT_LT(traced_wakes, 20u);
  EXPECT_GT(traced_waits, 0u) << "no worker ever waited";
  ExpectReplaysIdentically(rec, 2);
}

// The queries of a signal's action and of the signal mask, isatty's and
// tcgetattr's ioctl, and mkdir, rename and unlink are buffered; setting a
// handler or a mask, and other ioctls, stay with the tracer. Replay shows
// what the queries saw, and the handler they saw takes the signal.
TEST_F(SyscallBufferTest, SignalQueriesTcgetsAndDirectoryChangesAreBuffered) {
  Recording rec = Record("buffered_queries", {NewPath("scratch")}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "queries: handler 60 of 60, SIGUSR2 blocked 60 of 60")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "files: 60 rounds, first failure 0")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "SIGUSR1 handled 1 time(s)")) << rec.out;
  const arch::SyscallTable& table = arch::HostArch().syscalls();
  std::map<std::string, size_t> buffered, traced;
  for (const trace::Event& ev : ReadEvents(rec.trace)) {
    if (auto* b = std::get_if<trace::SyscallBatchEvent>(&ev.body)) {
      for (const trace::SyscallEvent& call : CallsOf(*b)) ++buffered[table.NameOf(call.nr)];
    } else if (auto* call = std::get_if<trace::SyscallEvent>(&ev.body)) {
      std::string name = table.NameOf(call->nr);
      bool query = (name == "rt_sigaction" || name == "rt_sigprocmask") && call->args[1] == 0;
      bool tcgets = name == "ioctl" && call->args[1] == 0x5401;
      ++traced[query ? name + " query" : tcgets ? "ioctl TCGETS" : name];
    }
  }
  auto both = [&](std::map<std::string, size_t>& m, const char* a, const char* b) {
    return m[a] + m[b];
  };
  // 60 rounds: a sigaction and a sigprocmask query, a TCGETS, 2 mkdirs,
  // 2 renames, 4 unlinks each (libc picks the plain or the *at form).
  EXPECT_GE(buffered["rt_sigaction"], 60u);
  EXPECT_GE(buffered["rt_sigprocmask"], 60u);
  EXPECT_GE(buffered["ioctl"], 60u);
  EXPECT_GE(both(buffered, "mkdir", "mkdirat"), 120u);
  EXPECT_GE(both(buffered, "rename", "renameat") + buffered["renameat2"], 120u);
  EXPECT_GE(both(buffered, "unlink", "unlinkat"), 240u);
  // What the library's constructor made before it routed libc's calls.
  EXPECT_LT(traced["rt_sigaction query"] + traced["rt_sigprocmask query"], 10u);
  EXPECT_LT(both(traced, "mkdir", "mkdirat") + both(traced, "unlink", "unlinkat"), 5u);
  // Setting a handler or a mask: replay sets them for real, at their stops.
  EXPECT_GE(traced["rt_sigaction"], 1u);
  EXPECT_GE(traced["rt_sigprocmask"], 1u);
  if (Contains(rec.out, "pty: isatty 1")) {
    // tcsetattr's TCSETS stays traced; the two tcgetattr and the isatty
    // on the terminal are buffered, and replay shows what they read.
    EXPECT_TRUE(Contains(rec.out, "pty: after, echo 0, vintr 7")) << rec.out;
    EXPECT_GE(traced["ioctl"], 1u);
    EXPECT_EQ(traced["ioctl TCGETS"], 0u);
    EXPECT_GE(buffered["ioctl"], 63u);
  }
  ExpectReplaysIdentically(rec);
}

// A buffered futex wake's result changed in the trace: the program sees
// another count of woken threads, writes another length after it, and
// replay reports the buffered write that departs from the recording.
TEST_F(SyscallBufferTest, AlteredBufferedFutexWakeIsReportedWithItsEvent) {
  Recording rec = Record("mt_futex_wakes", {}, kBuffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<trace::Event> events = ReadEvents(rec.trace);
  const arch::SyscallTable& table = arch::HostArch().syscalls();
  const int64_t futex = table.FindByName("futex")->nr;
  const int64_t write = table.FindByName("write")->nr;
  int64_t target = -1;
  size_t call_index = 0;
  for (size_t i = 0; i < events.size() && target < 0; ++i) {
    auto* b = std::get_if<trace::SyscallBatchEvent>(&events[i].body);
    if (!b) continue;
    std::vector<trace::SyscallEvent> calls = CallsOf(*b);
    for (size_t k = 0; k + 1 < calls.size(); ++k) {
      const trace::SyscallEvent& wake = calls[k];
      const trace::SyscallEvent& next = calls[k + 1];
      // The doorbell: a wake of up to 4 waiters, then a write of 1 + woken.
      if (wake.nr == futex && wake.args[1] == FUTEX_WAKE_PRIVATE && wake.args[2] == 4 &&
          next.nr == write && next.args[2] == static_cast<uint64_t>(1 + wake.result)) {
        target = static_cast<int64_t>(i);
        call_index = k;
        break;
      }
    }
  }
  ASSERT_GE(target, 0) << "no buffered doorbell wake followed by its write";
  auto& batch = std::get<trace::SyscallBatchEvent>(events[target].body);
  std::vector<trace::SyscallEvent> calls = CallsOf(batch);
  trace::SyscallEvent& wake = calls[call_index];
  const int64_t recorded = wake.result;
  wake.result = recorded < 4 ? recorded + 1 : recorded - 1;
  batch = trace::MakeSyscallBatch(calls);

  std::string altered = NewPath("altered");
  ASSERT_NO_FATAL_FAILURE(WriteAlteredTrace(rec.trace, events, altered));

  RunResult replay = ReplayAutopilot(altered, RunOptions{.timeout = std::chrono::seconds(60)});
  EXPECT_FALSE(replay.timed_out) << replay.Describe();
  EXPECT_FALSE(replay.Crashed()) << replay.Describe();
  EXPECT_NE(replay.exit_status, 0);
  std::smatch m;
  std::regex in_event(
      R"(buffered syscall (\d+) of \d+ in event (\d+)\), saw write\(\d+, 0x[0-9a-f]+, (\d+)\): argument 3 is )");
  ASSERT_TRUE(std::regex_search(replay.err, m, in_event)) << replay.err;
  EXPECT_EQ(std::stoll(m[1]), static_cast<long long>(call_index) + 2) << replay.err;
  EXPECT_EQ(std::stoll(m[2]), target) << replay.err;
  EXPECT_EQ(std::stoll(m[3]), 1 + (recorded < 4 ? recorded + 1 : recorded - 1)) << replay.err;
  // The untouched recording still replays.
  ExpectReplaysIdentically(rec, 1);
}
}  // namespace
}  // namespace rwd::e2e

// Acceptance tests for threads, process trees and asynchronous signals
// (issue #6): record once, replay twice; every replay reproduces the
// recorded stdout, the program's stderr and the exit status byte for byte,
// without a divergence. Where a native run prints the same thing every time,
// the recording must print that too (recording must not change what a
// program does); where it does not (how far a loop got when a signal came),
// only the replays are compared, with the recording.
//
// Until rewind records clone, fork and vfork, the thread and process tests
// fail at their first assertion, on the recording's exit status, with
// rewind's message; until it can place a signal or a preemption inside a
// loop without syscalls, those tests fail at the replays, which say so.
// Every command has a finite timeout, and the replays stop at the first
// that times out, so a hang fails a test well inside ctest's limit.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

extern char** environ;

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

constexpr char kRewindBinary[] = REWIND_BINARY;
constexpr char kSourceDir[] = REWIND_SOURCE_DIR;

// Generous for programs that run in well under a second natively, short
// enough that a recording plus a hung replay stay inside ctest's 300 s.
constexpr std::chrono::seconds kRecordTimeout{120};
constexpr std::chrono::seconds kReplayTimeout{80};

RunOptions WithTimeout(std::chrono::seconds timeout, RunOptions options = {}) {
  options.timeout = timeout;
  return options;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class MultiTask : public E2ETest {
 protected:
  Recording RecordProgram(const std::string& program, const std::vector<std::string>& args = {},
                          RunOptions options = {}) {
    return Record(program, args, WithTimeout(kRecordTimeout, std::move(options)));
  }

  // Replays `rec` twice; each replay must exit as the recording did, print
  // the same stdout and program stderr, and not report a divergence. Stops
  // at the first replay that timed out, so a hanging replayer costs one
  // timeout, not two.
  std::vector<RunResult> ExpectReplaysMatch(const Recording& rec) {
    return ExpectReplaysIdentically(rec, 2, WithTimeout(kReplayTimeout));
  }

  // For programs that print the same in every native run: a native run
  // prints what the recording printed (recording did not change what the
  // program does).
  void ExpectSameAsNative(const Recording& rec, const std::string& program,
                          const std::vector<std::string>& args = {},
                          const RunOptions& options = {}) {
    RunResult native = RunNative(program, args, WithTimeout(kRecordTimeout, options));
    EXPECT_EQ(native.exit_status, rec.exit_status) << "native run: " << native.Describe();
    EXPECT_TRUE(SameBytes(native.out, rec.out)) << "stdout of the recording vs a native run";
    EXPECT_TRUE(SameBytes(ProgramStderr(native.err), ProgramStderr(rec.err)))
        << "stderr of the recording vs a native run";
  }

  // `rewind record -o <new trace> ARGV...`, reading its output as it comes:
  // once a line of stdout matches `ready`, whose first group is a pid, sends
  // `signo` to that pid from this process (a process outside the recorded
  // tree, as `kill` from a shell would). Fails the test if the line never
  // comes.
  Recording RecordAndSignal(const std::vector<std::string>& argv, const std::regex& ready,
                            int signo) {
    Recording rec;
    rec.trace = NewPath("trace-signalled");
    std::vector<std::string> args = {kRewindBinary, "record", "-o", rec.trace};
    args.insert(args.end(), argv.begin(), argv.end());
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "XDG_DATA_HOME=", 14) != 0) env.emplace_back(*e);
    }
    env.push_back("XDG_DATA_HOME=" + data_home());
    auto c_strings = [](std::vector<std::string>& strings) {
      std::vector<char*> out;
      for (std::string& s : strings) out.push_back(s.data());
      out.push_back(nullptr);
      return out;
    };
    std::vector<char*> c_args = c_strings(args);
    std::vector<char*> c_env = c_strings(env);

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return rec;
    }
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      int null_fd = open("/dev/null", O_RDONLY);
      dup2(null_fd, STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      execve(kRewindBinary, c_args.data(), c_env.data());
      _exit(127);
    }
    if (pid > 0) setpgid(pid, pid);
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
      close(out[0]);
      close(err[0]);
      return rec;
    }

    const int64_t deadline = NowMs() + 1000 * kRecordTimeout.count();
    bool signalled = false;
    int status = 0;
    int fds[2] = {out[0], err[0]};
    std::string* sinks[2] = {&rec.out, &rec.err};
    while (fds[0] >= 0 || fds[1] >= 0) {
      if (NowMs() >= deadline) {
        rec.timed_out = true;
        break;
      }
      pollfd polled[2];
      int n = 0;
      for (int fd : fds) {
        if (fd >= 0) polled[n++] = {fd, POLLIN, 0};
      }
      poll(polled, n, 50);
      for (int i = 0; i < n; ++i) {
        if (polled[i].revents == 0) continue;
        int k = polled[i].fd == fds[0] ? 0 : 1;
        char buf[4096];
        ssize_t got = read(fds[k], buf, sizeof(buf));
        if (got > 0) {
          sinks[k]->append(buf, static_cast<size_t>(got));
        } else if (got == 0 || errno != EINTR) {
          close(fds[k]);
          fds[k] = -1;
        }
      }
      std::smatch m;
      if (!signalled && std::regex_search(rec.out, m, ready)) {
        pid_t target = static_cast<pid_t>(std::stol(m[1].str()));
        EXPECT_EQ(kill(target, signo), 0) << "kill " << target << ": " << std::strerror(errno);
        signalled = true;
      }
    }
    kill(-pid, SIGKILL);  // whatever is left, after a timeout
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
    waitpid(pid, &status, 0);
    if (rec.timed_out) {
      rec.exit_status = 128 + SIGKILL;
      rec.term_signal = SIGKILL;
    } else if (WIFEXITED(status)) {
      rec.exit_status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      rec.term_signal = WTERMSIG(status);
      rec.exit_status = 128 + rec.term_signal;
    }
    EXPECT_TRUE(signalled) << "the recorded program never printed a line matching the ready "
                              "pattern; "
                           << rec.Describe();
    return rec;
  }
};

// Threads.

TEST_F(MultiTask, FourThreadsMutexCondvar) {
  Recording rec = RecordProgram("mt_mutex_condvar");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "mt_mutex_condvar");
  ExpectReplaysMatch(rec);
  for (int t = 0; t < 4; ++t) {
    EXPECT_TRUE(
        AnyLineMatches(rec.out, "^thread " + std::to_string(t) + ": turns 250, total [0-9]+$"));
  }
  EXPECT_TRUE(Contains(rec.out, "queue: produced 4000, consumed 4000, sum "));
  EXPECT_TRUE(AnyLineMatches(rec.out, "^mt_mutex_condvar: checksum [0-9]+$"));
}

TEST_F(MultiTask, SpinWaitOnAnAtomicFlag) {
  Recording rec = RecordProgram("mt_spin_flag");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "mt_spin_flag");
  ExpectReplaysMatch(rec);
  EXPECT_TRUE(AnyLineMatches(rec.out, "^spinner: saw flag, result [0-9]+$"));
  EXPECT_TRUE(AnyLineMatches(rec.out, "^ping-pong: 600 passes, value [0-9]+$"));
}

// A loop that waits for the other thread, then counts through the same
// instructions itself: the recorder's breakpoint on a spinning thread's
// loop (recorder/spin_trap.h) meets both kinds of passes and must preempt
// only where the thread spins.
TEST_F(MultiTask, SpinWaitThenCountInTheSameLoop) {
  Recording rec = RecordProgram("mt_spin_then_count");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "mt_spin_then_count");
  ExpectReplaysMatch(rec);
  EXPECT_TRUE(AnyLineMatches(
      rec.out, "^mt_spin_then_count: rounds 100, counter 200200, checksum [0-9]+$"));
}

TEST_F(MultiTask, ThreadLocalStorageAndErrnoPerThread) {
  Recording rec = RecordProgram("mt_tls");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "mt_tls");
  ExpectReplaysMatch(rec);
  EXPECT_FALSE(Contains(rec.out, "CLOBBERED"));
  EXPECT_TRUE(Contains(rec.out, "errno 9 (EBADF) kept"));
  EXPECT_TRUE(Contains(rec.out, "errno 20 (ENOTDIR) kept"));
  EXPECT_TRUE(Contains(rec.out,
                       "main: counter 42, name \"main\", table 1 2 3 4, errno 0, "
                       "destructors 4\n"));
  EXPECT_EQ(Lines(rec.out).size(), 6u) << rec.out;
}

// tgkill between threads of one process, delivered into a syscall-free loop.
TEST_F(MultiTask, SignalsBetweenThreads) {
  Recording rec = RecordProgram("mt_tgkill");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "mt_tgkill");
  ExpectReplaysMatch(rec);
  EXPECT_TRUE(Contains(rec.out, "mt_tgkill: worker handled signal 5\n"));
}

TEST_F(MultiTask, NamedWorkerThreadsTakingTurns) {
  Recording rec = RecordProgram("mt_worker_bp");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "mt_worker_bp");
  ExpectReplaysMatch(rec);
  EXPECT_EQ(rec.out, "mt_worker_bp: 10 steps, last id 2, last i 4, sum 1520\n");
}

// Process trees.

TEST_F(MultiTask, ForkedChildWritesThroughAPipe) {
  Recording rec = RecordProgram("mp_pipe");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "mp_pipe");
  ExpectReplaysMatch(rec);
  EXPECT_TRUE(Contains(rec.out, "child: wrote 5000 records\n"));
  EXPECT_TRUE(Contains(rec.out, "child pid matches fork: yes\n"));
  EXPECT_TRUE(Contains(rec.out, "parent: child exited with status 7\n"));
}

TEST_F(MultiTask, ShellPipeline) {
  const std::vector<std::string> args = {"-c", "ls /usr/include | sort | head -3"};
  Recording rec = RecordProgram("/bin/sh", args);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "/bin/sh", args);
  ExpectReplaysMatch(rec);
  EXPECT_EQ(Lines(rec.out).size(), 3u) << rec.out;
}

TEST_F(MultiTask, ShellPipelineCountingLines) {
  const std::vector<std::string> args = {"-c", "ls /usr/include | sort | wc -l"};
  Recording rec = RecordProgram("/bin/sh", args);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "/bin/sh", args);
  ExpectReplaysMatch(rec);
  EXPECT_TRUE(AnyLineMatches(rec.out, "^[0-9]+$")) << rec.out;
}

// make forks a shell per recipe line, which forks and execs cat. The
// targets are phony and write into a directory of this test's; their files
// are deleted before the replays, which must not need them.
TEST_F(MultiTask, MakeTwoTargets) {
  const std::string out_dir = NewPath("make-out");
  ASSERT_TRUE(fs::create_directory(out_dir));
  // Not a sub-make of whatever runs the tests (jobserver descriptors).
  RunOptions options;
  options.env = {"MAKEFLAGS=", "MFLAGS=", "MAKELEVEL="};
  const std::vector<std::string> args = {"-C", std::string(kSourceDir) + "/tests/programs/make_two",
                                         "OUT=" + out_dir};
  Recording rec = RecordProgram("/usr/bin/make", args, options);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "\nfirst target\nsecond target\n"));
  EXPECT_TRUE(fs::exists(out_dir + "/first.txt"));
  EXPECT_TRUE(fs::exists(out_dir + "/second.txt"));
  fs::remove(out_dir + "/first.txt");
  fs::remove(out_dir + "/second.txt");

  ExpectReplaysMatch(rec);
  // Into the same directory, so the commands make prints are the same.
  ExpectSameAsNative(rec, "/usr/bin/make", args, options);
}

// Two single-threaded processes computing side by side (as make -j2's
// compilers do): each keeps the CPU for 50 ms before it is stopped where it
// is (a PreemptEvent, which costs the recorder a walk to a probe site), not
// the 10 ms of threads that share a process. Each preemption ends a slice
// that began 50 ms or more before (less up to a tick of the coarse clock
// the slices are timed with, 4 ms here), and slices follow one another: at
// most one per 40 ms of the recording, where 10 ms slices make ~4 times as
// many.
TEST_F(MultiTask, LoneThreadsOfTwoProcessesKeepLongSlices) {
  const std::string loop = Program("hot_loop");
  const std::string script =
      "'" + loop + "' 600000000 > /dev/null & '" + loop + "' 600000000; wait";
  Recording rec;
  rec.trace = NewPath("trace-two-loops");
  auto start = std::chrono::steady_clock::now();
  static_cast<RunResult&>(rec) =
      Rewind({"record", "-o", rec.trace, "--snapshot-interval", "0", "/bin/sh", "-c", script},
             WithTimeout(kRecordTimeout));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(AnyLineMatches(rec.out, "^hot_loop: sum [0-9]+$")) << rec.out;
  RunResult dump = Dump(rec.trace);
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  const std::regex preempt("^#[0-9]+ tid [0-9]+ preempt ");
  long preempts = 0;
  for (const std::string& line : Lines(dump.out)) preempts += std::regex_search(line, preempt);
  long slices = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 40;
  EXPECT_LE(preempts, slices + 1) << "recorded in "
                                  << std::chrono::duration<double>(elapsed).count() << " s";
  ExpectReplaysMatch(rec);
}

// CPython: threading (with the GIL's timed waits) and subprocess (vfork or
// fork, then exec).
TEST_F(MultiTask, PythonThreadsAndSubprocesses) {
  const std::vector<std::string> args = {"-B",
                                         std::string(kSourceDir) + "/tests/programs/mt_python.py"};
  Recording rec = RecordProgram("/usr/bin/python3", args);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ExpectSameAsNative(rec, "/usr/bin/python3", args);
  ExpectReplaysMatch(rec);
  EXPECT_TRUE(Contains(rec.out, "run: returncode 0, stdout 'hi\\n'\n"));
  EXPECT_TRUE(Contains(rec.out, "check_output: 'sub\\n'\n"));
  EXPECT_TRUE(AnyLineMatches(rec.out, "^mt_python: checksum [0-9]+$"));
}

// Asynchronous signals.

TEST_F(MultiTask, ItimerSignalsInterruptAComputeLoop) {
  Recording rec = RecordProgram("sig_itimer_compute");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::vector<std::string> lines = Lines(rec.out);
  ASSERT_EQ(lines.size(), 2u) << rec.out;
  // Where the ticks landed depends on timing: only the replays must agree.
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex("sig_itimer_compute: progress at ticks: checksum [0-9]+, first "
                           "[0-9]+, last [0-9]+")))
      << lines[1];

  ExpectReplaysMatch(rec);

  // The handler count and the fixed computation do not.
  RunResult native = RunNative("sig_itimer_compute", {}, WithTimeout(kRecordTimeout));
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  ASSERT_FALSE(Lines(native.out).empty()) << native.Describe();
  EXPECT_EQ(lines[0], Lines(native.out)[0]);
  EXPECT_TRUE(Contains(lines[0], "handler ran 50 times"));
}

// No syscall between the alarm and the flag check: the signal can only be
// placed where it came, in the middle of the loop.
TEST_F(MultiTask, BusyWaitForASignalHandler) {
  Recording rec = RecordProgram("busy_wait_signal");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(std::regex_match(
      rec.out, std::regex("(busy_wait_signal: round [0-2] took [0-9]+ spins\n){3}")))
      << rec.out;

  ExpectReplaysMatch(rec);
}

// The alarm lands in one of hundreds of thousands of calls that pass
// through identical registers; only the caller's counter, on the stack,
// differs. Before replay learned to compare that word in the probe, each
// pass trapped and replay gave up after 100k of them ("unsupported").
TEST_F(MultiTask, AlarmEndsALoopOfIdenticalDigests) {
  Recording rec = RecordProgram("sig_alarm_digest_loop");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(std::regex_match(
      rec.out, std::regex("sig_alarm_digest_loop: [0-9]+ blocks, digest [0-9a-f]+\n")))
      << rec.out;
  ExpectReplaysMatch(rec);
}

// The same in a real program: issue 13's `openssl speed` target.
TEST_F(MultiTask, OpensslSpeed) {
  if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/openssl";
  Recording rec;
  rec.trace = NewPath("trace-openssl");
  static_cast<RunResult&>(rec) = Rewind({"record", "-o", rec.trace, "/usr/bin/openssl", "speed",
                                         "-seconds", "1", "-bytes", "64", "sha256"},
                                        WithTimeout(kRecordTimeout));
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "sha256")) << rec.out;
  ExpectReplaysMatch(rec);
}

// A loop whose state lives only in vector registers: every pass comes back
// to the same general registers, stack and globals. Replay took the first
// pass for the recorded point until fingerprints kept the vector registers
// (and the probe compared xmm0-15): the state it printed differed.
TEST_F(MultiTask, AlarmEndsALoopInVectorRegisters) {
  Recording rec = RecordProgram("sig_vector_loop");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(std::regex_match(rec.out, std::regex("sig_vector_loop: state( [0-9a-f]{8}){4}\n")))
      << rec.out;
  ExpectReplaysMatch(rec);
}

// openssl's software AES-GCM (AES-NI and PCLMULQDQ masked off): the alarm
// lands in bit-sliced AES, whose state lives in xmm registers and in a
// stack frame of over a kilobyte, on every 256-byte call alike.
TEST_F(MultiTask, OpensslSpeedOnSoftwareAes) {
  if (access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/openssl";
  Recording rec;
  rec.trace = NewPath("trace-openssl-aes");
  RunOptions options = WithTimeout(kRecordTimeout);
  options.env.push_back("OPENSSL_ia32cap=~0x200000200000000");
  static_cast<RunResult&>(rec) =
      Rewind({"record", "-o", rec.trace, "/usr/bin/openssl", "speed", "-seconds", "1", "-bytes",
              "256", "-evp", "aes-128-gcm"},
             options);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.err, "AES-128-GCM")) << rec.err;
  ExpectReplaysMatch(rec);
}

// SIGTERM from a process outside the recording, while the program computes;
// its handler prints how far it got and exits 3.
TEST_F(MultiTask, SigtermFromAnotherProcessRunsTheHandler) {
  Recording rec = RecordAndSignal({Program("sigterm_target")},
                                  std::regex("sigterm_target: ready pid ([0-9]+)\n"), SIGTERM);
  ASSERT_EQ(rec.exit_status, 3) << rec.Describe();
  EXPECT_TRUE(std::regex_match(rec.out, std::regex("sigterm_target: ready pid [0-9]+\n"
                                                   "sigterm_target: got signal 15 after [0-9]+\n")))
      << rec.out;

  ExpectReplaysMatch(rec);
}

// No handler: the recorded program, which exec'ed sleep, dies of SIGTERM;
// rewind exits 128+15 and each replay reproduces the death.
TEST_F(MultiTask, SigtermKillsAnExecedProgram) {
  Recording rec = RecordAndSignal({"/bin/sh", "-c", "echo ready pid $$; exec sleep 60"},
                                  std::regex("ready pid ([0-9]+)\n"), SIGTERM);
  ASSERT_EQ(rec.exit_status, 128 + SIGTERM) << rec.Describe();
  EXPECT_EQ(rec.term_signal, 0) << "rewind itself must not be the one killed";
  EXPECT_TRUE(std::regex_match(rec.out, std::regex("ready pid [0-9]+\n"))) << rec.out;

  for (const RunResult& replay : ExpectReplaysMatch(rec)) {
    EXPECT_TRUE(Contains(replay.err, "SIGTERM")) << "replay must say it reproduced the death";
  }
}

// Another process SIGKILLs a child whose threads are blocked in sleeps.
// Replay makes the kill without effect, so it must end the child itself at
// its recorded death, parked threads and all, and go on to the parent's
// events (or to the end, when the parent left first).
TEST_F(MultiTask, ChildKilledWhileItsThreadsSleepEndsInReplay) {
  for (const char* mode : {"wait", "nowait"}) {
    SCOPED_TRACE(mode);
    Recording rec = RecordProgram("mp_kill_sleeping_child", {mode});
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    EXPECT_TRUE(Contains(rec.out, "child: two threads sleeping\n")) << rec.out;
    EXPECT_TRUE(Contains(rec.out, std::string(mode) == "wait" ? "child killed by signal 9"
                                                              : "leaving without waiting"))
        << rec.out;
    ExpectReplaysMatch(rec);
  }
}

// Job control: SIGSTOP and SIGTSTP stop a process until a SIGCONT, as the
// parent's waitpid(WUNTRACED/WCONTINUED) sees; a stopped process's threads
// make no progress. The recorder used to let stopped processes run on at
// once (the child printed before its parent saw it stop).
TEST_F(MultiTask, StoppedProcessesStayStoppedUntilContinued) {
  Recording rec = RecordProgram("mp_job_control");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  for (const char* line :
       {"first child stopped by signal 19\n", "first child continued\n",
        "first child goes on after SIGCONT\n", "first child exited 7\n",
        "threaded child stopped by signal 20\nbytes written while stopped: 0\n"
        "threaded child continued\nworker ticks again: 1\nthreaded child exited 9\n"}) {
    EXPECT_TRUE(Contains(rec.out, line)) << line << " missing in:\n" << rec.out;
  }
  // The first child prints only once continued.
  EXPECT_LT(rec.out.find("first child stopped"), rec.out.find("first child goes on")) << rec.out;
  ExpectReplaysMatch(rec);
}

// A program whose first process ends while a process it started keeps
// running (a daemon, a forgotten background job): the recording ends with
// the first process, as rr's does, killing the rest, and replays. With
// --wait it goes on until they end.
TEST_F(MultiTask, ProcessesLeftRunningAreKilledWhenTheFirstOneEndsUnlessWaitedFor) {
  auto started = std::chrono::steady_clock::now();
  Recording rec = RecordProgram("/bin/sh", {"-c", "(sleep 60; echo late) & echo parent done"});
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_LT(took, std::chrono::seconds(50)) << "the recording waited for the background job";
  EXPECT_EQ(rec.out, "parent done\n");
  EXPECT_TRUE(Contains(rec.err, "were killed")) << rec.err;
  ExpectReplaysMatch(rec);

  Recording all;
  all.trace = NewPath("trace-waited");
  static_cast<RunResult&>(all) =
      Rewind({"record", "--wait", "-o", all.trace, "/bin/sh", "-c",
              "(sleep 0.2; echo late) & echo parent done"},
             WithTimeout(kRecordTimeout));
  ASSERT_EQ(all.exit_status, 0) << all.Describe();
  EXPECT_EQ(all.out, "parent done\nlate\n");
  ExpectReplaysMatch(all);
}

// The main thread execs while another thread sleeps. The kernel ends that
// thread and finishes the exec only once the tracer collected it, which
// replay must do while it waits for the exec (it hung there).
TEST_F(MultiTask, MainThreadExecsWhileAnotherThreadSleeps) {
  Recording rec = RecordProgram("mt_exec_from_main");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, "about to exec\nafter exec: again\n");
  ExpectReplaysMatch(rec);
}

// A thread other than the main one execs: the kernel ends the main thread
// and gives the exec'ing thread its tid, reporting no death for it. The
// recorder failed at the first such exec ("writing 256 bytes ... Bad
// address"), or later when it scheduled a thread the exec was ending.
TEST_F(MultiTask, WorkerThreadExecsAndTakesTheMainThreadsPlace) {
  Recording rec = RecordProgram("mt_exec_from_worker");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::string want;
  for (int i = 0; i < 5; ++i) {
    want += "after exec from a worker: same pid 1, tid is the pid 1\nchild " + std::to_string(i) +
            " exited 7\n";
  }
  EXPECT_EQ(rec.out, want);
  ExpectReplaysMatch(rec);
}

// clone(CLONE_PIDFD) writes the child's pidfd into the parent's memory;
// replay's clone makes another descriptor (the descriptors opened before it
// are emulated),
// so the recorded number is written over it.
TEST_F(MultiTask, ClonePidfdGivesTheRecordedDescriptor) {
  Recording rec = RecordProgram("clone_pidfd");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, "pidfd follows the last descriptor: 1, child exit 7\n");
  ExpectReplaysMatch(rec);
}

// The program signals its own process group, which holds rewind too: each
// handler runs once (the recorder passes none of them on again), and
// kill(0, SIGABRT) kills the program, not the recorder, so the trace is
// complete and replays reproduce the death.
TEST_F(MultiTask, SignalsTheProgramSendsToItsProcessGroupReachItOnce) {
  Recording rec = RecordProgram("group_signals");
  ASSERT_EQ(rec.exit_status, 128 + SIGABRT) << rec.Describe();
  EXPECT_EQ(rec.term_signal, 0) << "rewind itself must not be the one killed";
  EXPECT_EQ(rec.out, RunNative(Program("group_signals")).out);
  EXPECT_TRUE(Contains(rec.out, "User defined signal 1=1\n")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "Terminated=1\n")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "Interrupt=1\n")) << rec.out;
  RunResult info = Rewind({"info", rec.trace});
  EXPECT_FALSE(Contains(info.out, "cut short")) << info.out;
  ExpectReplaysMatch(rec);
}

}  // namespace
}  // namespace rwd::e2e

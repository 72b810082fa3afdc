#include "core/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "base/scoped_fd.h"

namespace rwd {

namespace {

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void ChildExec(const SpawnOptions& o, char* const* argv, char* const* envp) {
  if (o.detach_stdio) {
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
    }
  }
  if (o.new_process_group) setpgid(0, 0);
  if (o.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o.cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
  }
  if (o.disable_aslr) personality(ADDR_NO_RANDOMIZE);
  // Explicit either way: a tracer that adopted its tracees' modes passes
  // rdtsc faulting on to every child.
  prctl(PR_SET_TSC, o.trap_tsc ? PR_TSC_SIGSEGV : PR_TSC_ENABLE);
  if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) _exit(126);
  if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(126);
  raise(SIGSTOP);
  if (!o.seccomp_filter.empty()) {
    sock_fprog prog{static_cast<unsigned short>(o.seccomp_filter.size()),
                    const_cast<sock_filter*>(o.seccomp_filter.data())};
    // Without CAP_SYS_ADMIN a filter needs no_new_privs.
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0 &&
        (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)) {
      _exit(kSeccompFailedStatus);
    }
  }
  execve(o.exe.c_str(), argv, envp);
  _exit(127);
}

}  // namespace

Expected<Process> Process::Spawn(const SpawnOptions& options, unsigned long ptrace_options) {
  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> envp = CStrings(options.envp);
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) ChildExec(options, argv.data(), envp.data());

  Process process(pid);
  int raw = 0;
  if (waitpid(pid, &raw, __WALL) != pid) return ErrnoError("waiting for the new tracee");
  if (!WIFSTOPPED(raw) || WSTOPSIG(raw) != SIGSTOP) {
    process.MarkReaped();
    return Error("the tracee failed to start (could not chdir to '" + options.cwd +
                 "' or ptrace is not permitted)");
  }
  if (ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(ptrace_options)) != 0) {
    return ErrnoError("PTRACE_SETOPTIONS");
  }
  return process;
}

Process::~Process() { Kill(); }

Process::Process(Process&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }

Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    Kill();
    pid_ = o.pid_;
    o.pid_ = -1;
  }
  return *this;
}

void Process::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  ReapEndingProcess(pid_);
  pid_ = -1;
}

std::vector<pid_t> ThreadIdsOf(pid_t pid) {
  std::vector<pid_t> tids;
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(path.c_str());
  if (!dir) return tids;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') tids.push_back(static_cast<pid_t>(atoi(entry->d_name)));
  }
  closedir(dir);
  return tids;
}

bool ThreadEnded(pid_t tid) {
  std::string path = "/proc/" + std::to_string(tid) + "/stat";
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return true;
  char buf[512];
  ssize_t n = read(fd.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return true;
  buf[n] = 0;
  // "pid (comm) S ...": the command may contain spaces and parentheses.
  const char* close = strrchr(buf, ')');
  if (!close || close[1] != ' ') return false;
  return close[2] == 'Z' || close[2] == 'X';
}

std::optional<int> ReapEndingThread(pid_t tid) {
  int raw = 0;
  while (waitpid(tid, &raw, __WALL) == tid) {
    if (WIFEXITED(raw) || WIFSIGNALED(raw)) return raw;
  }
  return std::nullopt;
}

std::optional<int> ReapEndingProcess(pid_t pid) {
  // Listed again after each pass: a thread may have been created just
  // before the end.
  bool reaped_some = true;
  while (reaped_some) {
    reaped_some = false;
    for (pid_t tid : ThreadIdsOf(pid)) {
      if (tid != pid && ReapEndingThread(tid)) reaped_some = true;
    }
  }
  return ReapEndingThread(pid);
}

Expected<std::string> ResolveExecutable(const std::string& prog) {
  auto usable = [](const std::string& p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
  };
  auto absolute = [](const std::string& p) -> std::string {
    if (!p.empty() && p[0] == '/') return p;
    char buf[4096];
    if (!getcwd(buf, sizeof(buf))) return p;
    return std::string(buf) + "/" + p;
  };
  if (prog.find('/') != std::string::npos) {
    if (usable(prog)) return absolute(prog);
    return Status(
        ErrorCode::kNotFound,
        "cannot run '" + prog +
            "': " + (access(prog.c_str(), F_OK) == 0 ? "not an executable file" : "no such file"));
  }
  const char* path_env = getenv("PATH");
  std::stringstream path(path_env ? path_env : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(path, dir, ':')) {
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + prog;
    if (usable(candidate)) return absolute(candidate);
  }
  return Status(ErrorCode::kNotFound, "cannot run '" + prog + "': not found in PATH");
}

Expected<int> PinToCpu(int cpu) {
  if (cpu < 0) cpu = sched_getcpu();
  if (cpu < 0) return ErrnoError("sched_getcpu");
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return ErrnoError("pinning to CPU " + std::to_string(cpu));
  }
  return cpu;
}

}  // namespace rwd

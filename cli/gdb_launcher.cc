#include "cli/gdb_launcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "arch/arch.h"
#include "base/scoped_fd.h"
#include "cli/gdb_init.h"

namespace rwd::cli {

Expected<pid_t> LaunchGdb(const std::string& gdb, const std::string& exe,
                          const std::string& connect_command,
                          const std::vector<std::string>& extra_args,
                          const std::string& init_commands) {
  // The init script reaches gdb as an inherited memory file, so nothing is
  // left on disk.
  ScopedFd init(memfd_create("rewind-gdbinit", 0));
  if (init.get() < 0) return ErrnoError("memfd_create");
  std::string script = GdbInitScript() + init_commands;
  if (write(init.get(), script.data(), script.size()) != static_cast<ssize_t>(script.size())) {
    return ErrnoError("writing the gdb init script");
  }
  std::vector<std::string> argv = {
      gdb, "-q", "-ix", "/proc/self/fd/" + std::to_string(init.get()), exe, "-ex", connect_command};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> c_argv;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) {
    // gdb handles Ctrl-C itself (and forwards it to us as an interrupt).
    signal(SIGINT, SIG_DFL);
    // gdb runs untraced, in the default CPU modes.
    arch::HostArch().host().DropTraceeCpuModes();
    execvp(c_argv[0], c_argv.data());
    fprintf(stderr, "rewind: cannot start %s: %s\n", gdb.c_str(), strerror(errno));
    _exit(127);
  }
  return pid;
}

namespace {

int ShellStatus(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

}  // namespace

std::optional<int> WaitForConnection(int listen_fd, pid_t gdb) {
  while (true) {
    pollfd listening = {listen_fd, POLLIN, 0};
    // No SIGCHLD handling here: look at gdb every 100 ms.
    int ready = poll(&listening, 1, 100);
    if (ready > 0) return std::nullopt;
    if (ready < 0 && errno != EINTR) return std::nullopt;  // Accept() reports it
    int status = 0;
    if (waitpid(gdb, &status, WNOHANG) == gdb) return ShellStatus(status);
  }
}

int WaitForGdb(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return ShellStatus(status);
}

}  // namespace rwd::cli

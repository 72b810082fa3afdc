#include "cli/gdb_launcher.h"

#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rwd::cli {

Expected<pid_t> LaunchGdb(const std::string& gdb, const std::string& exe,
                          const std::string& connect_command,
                          const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {gdb, "-q", exe, "-ex", connect_command};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> c_argv;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) {
    // gdb handles Ctrl-C itself (and forwards it to us as an interrupt).
    signal(SIGINT, SIG_DFL);
    execvp(c_argv[0], c_argv.data());
    fprintf(stderr, "rewind: cannot start %s: %s\n", gdb.c_str(), strerror(errno));
    _exit(127);
  }
  return pid;
}

int WaitForGdb(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace rwd::cli

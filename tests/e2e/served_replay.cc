#include "tests/e2e/served_replay.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>

namespace rwd::e2e {

ServedReplay::ServedReplay(const std::string& trace, const std::vector<std::string>& args) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return;
  std::vector<std::string> words = {REWIND_BINARY, "replay", "-s", "0"};
  words.insert(words.end(), args.begin(), args.end());
  words.push_back(trace);
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  pid_t middle = fork();
  if (middle == 0) {
    setpgid(0, 0);
    if (fork() == 0) {
      dup2(out[1], STDOUT_FILENO);
      int null_fd = open("/dev/null", O_RDWR);
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDERR_FILENO);
      execv(argv[0], argv.data());
    }
    _exit(0);
  }
  waitpid(middle, nullptr, 0);
  group_ = middle;
  close(out[1]);
  out_fd_ = out[0];
}

ServedReplay::~ServedReplay() {
  if (out_fd_ >= 0) close(out_fd_);
  if (group_ > 0) kill(-group_, SIGKILL);
}

bool ServedReplay::Alive() const { return group_ > 0 && kill(-group_, 0) == 0; }

int ServedReplay::Port() {
  static const std::regex kServing(R"(serving .* on 127\.0\.0\.1:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    if (std::regex_search(printed_, m, kServing)) return std::stoi(m[1].str());
    pollfd pfd = {out_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    char buf[1024];
    ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) return 0;
    printed_.append(buf, static_cast<size_t>(n));
  }
  return 0;
}

}  // namespace rwd::e2e

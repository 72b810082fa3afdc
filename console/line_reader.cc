#include "console/line_reader.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/user_dirs.h"
#include "console/interrupt.h"

namespace rwd::console {

namespace {

constexpr int kHistoryLines = 1000;

Completer* active_completer = nullptr;
bool completing_first_word = false;

char* NextMatch(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t next = 0;
  if (state == 0) {
    matches = active_completer ? (*active_completer)(text, completing_first_word)
                               : std::vector<std::string>{};
    next = 0;
  }
  if (next >= matches.size()) return nullptr;
  return strdup(matches[next++].c_str());
}

char** Complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // no file names
  completing_first_word =
      std::string(rl_line_buffer, start).find_first_not_of(" \t") == std::string::npos;
  return rl_completion_matches(text, NextMatch);
}

// readline's character reader, except that Ctrl-C drops the line being
// typed and ends it. SIGINT is blocked except inside ppoll, so a Ctrl-C
// that comes between the check and the wait is not lost.
int GetChar(FILE* in) {
  sigset_t sigint, waiting;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigint, &waiting);
  sigdelset(&waiting, SIGINT);
  int result = EOF;
  while (true) {
    if (TakeInterrupt()) {
      rl_replace_line("", 0);
      fputs("^C", rl_outstream ? rl_outstream : stdout);
      result = '\n';
      break;
    }
    struct pollfd fd = {fileno(in), POLLIN, 0};
    int ready = ppoll(&fd, 1, nullptr, &waiting);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    unsigned char c = 0;
    ssize_t n = read(fileno(in), &c, 1);
    if (n == 1) result = c;
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  pthread_sigmask(SIG_UNBLOCK, &sigint, nullptr);
  return result;
}

class TerminalReader : public LineReader {
 public:
  TerminalReader(std::string history_file, Completer completer)
      : history_file_(std::move(history_file)), completer_(std::move(completer)) {
    active_completer = &completer_;
    rl_readline_name = "rewind";
    rl_catch_signals = 0;
    rl_getc_function = GetChar;
    rl_attempted_completion_function = Complete;
    using_history();
    if (!history_file_.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(history_file_).parent_path(), ec);
      read_history(history_file_.c_str());
    }
  }
  ~TerminalReader() override { active_completer = nullptr; }

  std::optional<std::string> Read(const std::string& prompt) override {
    char* raw = readline(prompt.c_str());
    if (!raw) return std::nullopt;
    std::string line = raw;
    free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) {
      add_history(line.c_str());
      if (!history_file_.empty()) {
        // Appending needs the file; the first line creates it.
        if (access(history_file_.c_str(), F_OK) != 0) {
          write_history(history_file_.c_str());
        } else {
          append_history(1, history_file_.c_str());
        }
        history_truncate_file(history_file_.c_str(), kHistoryLines);
      }
    }
    return line;
  }

 private:
  std::string history_file_;
  Completer completer_;
};

class StreamReader : public LineReader {
 public:
  StreamReader(FILE* in, FILE* echo) : in_(in), echo_(echo) {}

  std::optional<std::string> Read(const std::string& prompt) override {
    std::string line;
    while (true) {
      int c = fgetc(in_);
      if (c == EOF) {
        // A read interrupted by Ctrl-C is not the end of input.
        if (ferror(in_) && errno == EINTR) {
          clearerr(in_);
          TakeInterrupt();
          continue;
        }
        if (line.empty()) return std::nullopt;
        break;
      }
      if (c == '\n') break;
      line += static_cast<char>(c);
    }
    if (echo_) {
      fprintf(echo_, "%s%s\n", prompt.c_str(), line.c_str());
      fflush(echo_);
    }
    return line;
  }

 private:
  FILE* in_;
  FILE* echo_;
};

}  // namespace

std::unique_ptr<LineReader> LineReader::Terminal(const std::string& history_file,
                                                 Completer completer) {
  return std::make_unique<TerminalReader>(history_file, std::move(completer));
}

std::unique_ptr<LineReader> LineReader::Stream(FILE* in, FILE* echo) {
  return std::make_unique<StreamReader>(in, echo);
}

std::string DefaultHistoryFile() {
  std::string base = UserDataDir();
  return base.empty() ? "" : base + "/rewind/history";
}

}  // namespace rwd::console

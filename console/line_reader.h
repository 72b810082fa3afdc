// LineReader: where the console's commands come from. On a terminal,
// GNU readline: line editing, history kept in a file across sessions, tab
// completion, Ctrl-C dropping the line being typed. Otherwise plain lines
// from a stream (a pipe, a file of commands), echoed after the prompt so
// that a log shows what ran.
//
// One terminal reader at a time (readline's state is global).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rwd::console {

// Candidates for completing `word`; `first` when it is the line's first word.
using Completer = std::function<std::vector<std::string>(const std::string& word, bool first)>;

class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its newline; nullopt at the end of input.
  virtual std::optional<std::string> Read(const std::string& prompt) = 0;

  // `history_file`: read at start, appended to with every line; its folder
  // is created. Empty: no history file.
  static std::unique_ptr<LineReader> Terminal(const std::string& history_file, Completer completer);
  static std::unique_ptr<LineReader> Stream(FILE* in, FILE* echo);
};

// $XDG_DATA_HOME/rewind/history (default ~/.local/share/rewind/history).
std::string DefaultHistoryFile();

}  // namespace rwd::console

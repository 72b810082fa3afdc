#include "console/console.h"

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "console/command_table.h"
#include "console/context.h"
#include "console/interrupt.h"
#include "console/line_reader.h"

namespace rwd::console {

namespace {

constexpr const char* kPrompt = "(rewind) ";

std::vector<std::string> CompleteWord(Context& cx, const std::string& word, bool first) {
  std::vector<std::string> out;
  if (first) {
    for (const Command& c : Commands()) {
      std::string_view name = c.name.substr(0, c.name.find(' '));
      if (name.substr(0, word.size()) == word && (out.empty() || out.back() != name)) {
        out.emplace_back(name);
      }
    }
    return out;
  }
  return cx.symbols().Names(word);
}

// Runs the commands `reader` gives; false after quit.
bool Drive(Context& cx, LineReader& reader) {
  while (std::optional<std::string> line = reader.Read(kPrompt)) {
    TakeInterrupt();  // a Ctrl-C at the prompt is not one for the command
    if (line->find_first_not_of(" \t") == std::string::npos ||
        (*line)[line->find_first_not_of(" \t")] == '#') {
      continue;
    }
    std::string args;
    const Command* command = FindCommand(*line, &args);
    if (!command) {
      fprintf(cx.out(), "error: unknown command '%s' (see 'help')\n", line->c_str());
    } else if (command->name == "quit") {
      return false;
    } else if (Status s = command->handler(cx, args); !s.ok()) {
      fprintf(cx.out(), "error: %s\n", s.message().c_str());
    }
    cx.CommandDone();
    fflush(cx.out());
  }
  return true;
}

}  // namespace

int RunConsole(debugger::DebuggerSession& session, const ConsoleOptions& options) {
  InstallInterruptHandler();
  Context cx(session, stdout, [] { return TakeInterrupt(); });
  cx.PrintWhere();
  fflush(stdout);
  if (!options.script.empty()) {
    std::unique_ptr<FILE, int (*)(FILE*)> script(fopen(options.script.c_str(), "r"), fclose);
    if (!script) {
      fprintf(stderr, "rewind: cannot read %s: %s\n", options.script.c_str(), strerror(errno));
      return 1;
    }
    std::unique_ptr<LineReader> reader = LineReader::Stream(script.get(), stdout);
    if (!Drive(cx, *reader)) return 0;
  }
  std::unique_ptr<LineReader> reader =
      isatty(STDIN_FILENO) ? LineReader::Terminal(options.history_file,
                                                  [&cx](const std::string& word, bool first) {
                                                    return CompleteWord(cx, word, first);
                                                  })
                           : LineReader::Stream(stdin, stdout);
  Drive(cx, *reader);
  return 0;
}

}  // namespace rwd::console

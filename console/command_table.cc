#include "console/command_table.h"

#include <sstream>

namespace rwd::console {

namespace {

Status HelpCommand(Context& cx, const std::string& args) {
  cx.Print(HelpText(args));
  return Status::Ok();
}

// quit is the console's own (it ends the loop); the row is for help and
// completion.
Status QuitCommand(Context&, const std::string&) { return Status::Ok(); }

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"break",
       {"b", "br"},
       "FUNCTION|FILE:LINE|*ADDR",
       "stop when the program gets there",
       BreakCommand},
      {"catch syscall",
       {},
       "[NAME|NUMBER]...",
       "stop at the entry and return of these syscalls (any without one)",
       CatchSyscallCommand},
      {"delete",
       {"d"},
       "[N]",
       "delete breakpoint, watchpoint or catchpoint N (all without N)",
       DeleteCommand},
      {"info breakpoints",
       {"info b", "info watchpoints"},
       "",
       "list breakpoints, watchpoints and catchpoints",
       InfoBreakpointsCommand},
      {"watch", {}, "SYMBOL|ADDR [LEN]", "stop after each write to that memory", WatchCommand},
      {"continue", {"c"}, "", "run forward to the next stop", ContinueCommand},
      {"reverse-continue",
       {"rc"},
       "",
       "run backwards to the previous stop",
       ReverseContinueCommand},
      {"step", {"s"}, "", "to the next source line, into calls", StepCommand},
      {"next", {"n"}, "", "to the next source line, over calls", NextCommand},
      {"finish", {"fin"}, "", "run until the current function returns", FinishCommand},
      {"stepi", {"si"}, "", "one instruction forward", StepiCommand},
      {"reverse-stepi", {"rsi"}, "", "one instruction back", ReverseStepiCommand},
      {"reverse-step",
       {"rs"},
       "",
       "back to the previous source line, into calls",
       ReverseStepCommand},
      {"reverse-next",
       {"rn"},
       "",
       "back to the previous source line, over calls",
       ReverseNextCommand},
      {"reverse-finish",
       {},
       "",
       "back to where the current function was called",
       ReverseFinishCommand},
      {"backtrace", {"bt", "where"}, "[N]", "the call stack (N frames)", BacktraceCommand},
      {"disas",
       {"disassemble"},
       "[ADDR] [N]",
       "N instructions at ADDR (default: the pc)",
       DisasCommand},
      {"info registers",
       {"info reg", "i r"},
       "[NAME]",
       "the general-purpose registers",
       InfoRegistersCommand},
      {"x", {}, "/NFU ADDR", "memory: N units (U: b h w g) in format F (x d u c)", ExamineCommand},
      {"print", {"p"}, "SYMBOL|$REG", "a global variable or a register", PrintCommand},
      {"info threads", {}, "", "the threads of the process", InfoThreadsCommand},
      {"thread", {}, "N", "select thread N (number or tid)", ThreadCommand},
      {"when", {}, "", "the current event (of how many) and pc", WhenCommand},
      {"goto", {}, "EVENT", "go to the point where EVENT events have been replayed", GotoCommand},
      {"checkpoint", {}, "[NAME]", "save this point", CheckpointCommand},
      {"checkpoints", {"info checkpoints"}, "", "list checkpoints", CheckpointsCommand},
      {"restart",
       {},
       "NAME|ID",
       "return to a checkpoint, or to where the program called rewind_checkpoint(NAME)",
       RestartCommand},
      {"events",
       {},
       "[N]",
       "the N events around the current point (as rewind dump)",
       EventsCommand},
      {"info proc mappings",
       {"info proc map"},
       "",
       "the memory map, as the program saw it",
       InfoMappingsCommand},
      {"help", {"h"}, "[COMMAND]", "this list, or one command", HelpCommand},
      {"quit", {"q", "exit"}, "", "end the session", QuitCommand},
  };
  return kCommands;
}

const Command* FindCommand(const std::string& line, std::string* args) {
  std::string text = Trim(line);
  const Command* best = nullptr;
  size_t best_len = 0;
  auto consider = [&](const Command& c, std::string_view name) {
    if (text.compare(0, name.size(), name) != 0) return;
    if (text.size() > name.size() && text[name.size()] != ' ' && text[name.size()] != '\t' &&
        text[name.size()] != '/') {
      return;
    }
    if (name.size() > best_len) {
      best = &c;
      best_len = name.size();
    }
  };
  for (const Command& c : Commands()) {
    consider(c, c.name);
    for (std::string_view alias : c.aliases) consider(c, alias);
  }
  if (best) *args = Trim(text.substr(best_len));
  return best;
}

std::string HelpText(const std::string& topic) {
  std::ostringstream out;
  if (!topic.empty()) {
    std::string args;
    const Command* c = FindCommand(topic, &args);
    if (!c) return "no command '" + topic + "' (see 'help')\n";
    out << c->name << (c->usage.empty() ? "" : " ") << c->usage << "\n  " << c->help << "\n";
    if (!c->aliases.empty()) {
      out << "  also:";
      for (std::string_view a : c->aliases) out << " " << a;
      out << "\n";
    }
    return out.str();
  }
  out << "rewind debug commands (gdb's names; full expressions, conditions and\n"
         "scripting are gdb's job: rewind replay starts gdb on the same trace):\n";
  for (const Command& c : Commands()) {
    std::string head = std::string(c.name) + (c.usage.empty() ? "" : " ") + std::string(c.usage);
    out << "  " << head;
    for (size_t i = head.size(); i < 34; ++i) out << ' ';
    out << " " << c.help << "\n";
  }
  return out.str();
}

}  // namespace rwd::console

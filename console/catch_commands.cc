// `catch syscall`: catchpoints on the DebuggerSession the gdb server's
// QCatchSyscalls uses too (console/command_table.h).
#include <charconv>
#include <sstream>

#include "console/command_table.h"

namespace rwd::console {

namespace {

// gdb's wording: "syscall 'write' [1]", "syscalls 'write' [1] 'read' [0]",
// "any syscall".
std::string Describe(const arch::SyscallTable& table, const replayer::SyscallCatch& syscalls) {
  if (syscalls.all) return "any syscall";
  std::string out = syscalls.numbers.size() == 1 ? "syscall" : "syscalls";
  for (int64_t nr : syscalls.numbers) {
    out += " '" + table.NameOf(nr) + "' [" + std::to_string(nr) + "]";
  }
  return out;
}

}  // namespace

std::string DescribeCatchpoint(Context& cx, const debugger::Catchpoint& c) {
  return Describe(cx.arch().syscalls(), c.syscalls);
}

Status CatchSyscallCommand(Context& cx, const std::string& args) {
  const arch::SyscallTable& table = cx.arch().syscalls();
  replayer::SyscallCatch syscalls;
  std::istringstream words(args);
  for (std::string word; words >> word;) {
    int64_t nr = -1;
    auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), nr);
    if (ec == std::errc() && end == word.data() + word.size() && nr >= 0) {
      syscalls.numbers.insert(nr);
    } else if (const arch::SyscallInfo* row = table.FindByName(word)) {
      syscalls.numbers.insert(row->nr);
    } else {
      return Status(ErrorCode::kInvalidInput,
                    "unknown syscall '" + word + "' (a name such as write, or a number)");
    }
  }
  syscalls.all = syscalls.numbers.empty();
  ASSIGN_OR_RETURN(int id, cx.session().AddCatchpoint(syscalls));
  cx.Print("Catchpoint " + std::to_string(id) + " (" + Describe(table, syscalls) + ")\n");
  return Status::Ok();
}

}  // namespace rwd::console

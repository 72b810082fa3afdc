// Symbols: names, source lines and globals of the replayed process, read
// with elfutils (libdwfl) from the ELF files its mappings name (the trace's
// copies, which are the bytes that ran) and their DWARF line tables.
//
// Refresh() follows the process: after an exec, a dlopen or a jump back in
// time its mappings differ, and the modules are read again. Single-threaded.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct Dwfl;
struct Dwfl_Module;

namespace rwd::console {

// A row of a line table: the instructions [start, end) belong to file:line.
struct SourceLine {
  std::string file;  // as compiled, made absolute with the compilation dir
  int line = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  bool SameLine(const SourceLine& o) const { return line == o.line && file == o.file; }
};

struct CodeLocation {
  std::string function;  // empty when no symbol covers the address
  uint64_t offset = 0;   // from the function's start
  uint64_t function_start = 0;
  std::optional<SourceLine> source;
  std::string module;  // the ELF file, as the program mapped it
};

// A symbol of the program or a library: a function or a data object.
struct SymbolInfo {
  std::string name;
  uint64_t addr = 0;
  uint64_t size = 0;
  bool is_function = false;
  // A GNU indirect function (strlen, memcpy, cos): `addr` is its resolver,
  // which picks the implementation calls reach when the program runs.
  bool is_indirect = false;
};

class Symbols {
 public:
  Symbols();
  ~Symbols();
  Symbols(const Symbols&) = delete;
  Symbols& operator=(const Symbols&) = delete;

  // Reads the modules of process `pid` again when its mappings changed.
  Status Refresh(pid_t pid);

  // `addr` is a return address when `after_call`: its line is the call's.
  CodeLocation Describe(uint64_t addr, bool after_call = false) const;
  std::optional<SourceLine> LineAt(uint64_t addr) const;
  // By name: the executable's first, then the libraries'.
  std::optional<SymbolInfo> Find(std::string_view name) const;
  // Where a breakpoint on a function goes: after its prologue (the first
  // line-table row past the function's first line), else its entry.
  std::optional<uint64_t> BreakpointAddress(const SymbolInfo& function) const;
  // The first address of FILE:LINE (a file name matches by its tail), or
  // of the next line that has code.
  std::optional<uint64_t> LineAddress(std::string_view file, int line) const;
  // The GOT slots that relocations naming symbol `name` fill in, in every
  // module: once bound, each holds the address calls through it reach.
  std::vector<uint64_t> GotSlots(std::string_view name) const;
  // Function and object names, for tab completion.
  std::vector<std::string> Names(std::string_view prefix) const;
  // The module mapped at `addr` (nullptr for none), with its load bias
  // however its mappings are split (console/backtrace.cc).
  Dwfl_Module* ModuleOf(uint64_t addr) const;

 private:
  std::unique_ptr<Dwfl, void (*)(Dwfl*)> dwfl_;
  pid_t pid_ = 0;
  std::string maps_;  // the /proc/PID/maps the modules were read from
};

}  // namespace rwd::console

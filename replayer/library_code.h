// LibraryCode: where rewind's own code runs inside a replayed process: the
// syscall buffer library's text and the stubs that lead there from libc's
// patched syscall sites (preload/x86_64/patch.c).
//
// That code stands in for one syscall instruction of the program, so the
// debugger never stops in it: a step that ends there goes on to the
// program's own code (ReplayExecution::Step), and the instructions inside it
// are never a reverse step's answer (Position::in_library). rr hides its
// syscallbuf the same way.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "core/proc_maps.h"
#include "core/tracee.h"

namespace rwd::replayer {

class LibraryCode {
 public:
  bool Contains(uint64_t pc) const;
  bool empty() const { return ranges_.empty(); }

  // Found in `maps`: the library's executable mappings, and the anonymous
  // executable mappings whose first word, the stubs' pointer to the
  // library's entry (patch.c), points into them. Replay maps the trace's
  // copies of files: `mapped_files` (the path the program saw -> the copy)
  // names the library's.
  static LibraryCode Find(const Tracee& tracee, const std::vector<MemoryMapping>& maps,
                          const std::map<std::string, std::string>& mapped_files);
  static Expected<LibraryCode> Find(const Tracee& tracee,
                                    const std::map<std::string, std::string>& mapped_files);

 private:
  std::vector<std::pair<uint64_t, uint64_t>> ranges_;  // [start, end)
};

}  // namespace rwd::replayer

// SharedFileCopies: writable stand-ins for files the recording mapped
// MAP_SHARED.
//
// Replay maps the trace's copy of a mapped file, opened read-only so the
// trace cannot change. A shared mapping that the program may write (a temp
// file it unlinked, a database, a ring buffer between processes) cannot be
// made from a read-only file: mmap fails with EACCES. For those, replay maps
// a memfd holding the recorded bytes instead. Every shared mapping of the
// same path whose recorded contents equal the memfd's current contents maps
// the same memfd, so processes and mappings that shared pages when recorded
// share them in replay and see each other's stores.
//
// Owned by one replay session and shared with its checkpoints (a cache: an
// entry whose contents moved on is simply replaced). Not thread-safe.
#pragma once

#include <map>
#include <string>

#include "base/scoped_fd.h"
#include "base/status.h"
#include "trace/event.h"

namespace rwd::replayer {

class SharedFileCopies {
 public:
  // A path the tracee can open O_RDWR to map `mapped_path` (as recorded)
  // with the bytes of `trace_copy` (the trace's copy at the time of the
  // mmap). `writable`: the mapping is writable; otherwise the memfd is used
  // only when one already holds exactly these bytes, and "" is returned when
  // none does (map the trace's copy as usual).
  Expected<std::string> PathFor(const std::string& mapped_path, const std::string& trace_copy,
                                bool writable);
  // Puts bytes the recording wrote into a mapped file (write(), not a store
  // to the mapping) into its copy, where every mapping of it shows them.
  Status Write(const trace::FileWrite& write);

 private:
  std::map<std::string, ScopedFd> copies_;  // by recorded path
};

}  // namespace rwd::replayer

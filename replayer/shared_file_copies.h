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
#include <memory>
#include <string>

#include "base/scoped_fd.h"
#include "base/status.h"
#include "core/tracee.h"
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

  // A checkpoint's own copies. The processes of a checkpoint and of the
  // replay it was forked from map the same copies, so every store or file
  // write one makes would show in the other: GiveCopiesTo (below) moves the
  // checkpoint's mappings onto duplicates taken now.
  struct Duplicate;
  Expected<Duplicate> Duplicated() const;
  bool empty() const { return copies_.empty(); }

 private:
  std::map<std::string, ScopedFd> copies_;  // by recorded path
};

struct SharedFileCopies::Duplicate {
  std::shared_ptr<SharedFileCopies> copies;
  // The inode of each original copy -> the path of its duplicate.
  std::map<uint64_t, std::string> moved;
};

// Maps the duplicates of `duplicate` where process `copy` (stopped at a
// signal stop, as a fresh checkpoint is) maps their originals.
Status GiveCopiesTo(const SharedFileCopies::Duplicate& duplicate, Tracee& copy,
                    uint64_t syscall_insn);

}  // namespace rwd::replayer

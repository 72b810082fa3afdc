// ReplayCodeGuard: a ReplaySession's part that keeps the replayer's
// breakpoints in code the program writes (see CodePageGuard): it guards
// their pages, takes the program's writes there, and gives copies of the
// address space (forked children, checkpoints) the program's protections.
#pragma once

#include <cstdint>
#include <optional>

#include "replayer/replay_part.h"

namespace rwd::replayer {

class ReplayCodeGuard : public ReplayPart {
 public:
  explicit ReplayCodeGuard(ReplaySession& session) : ReplayPart(session) {}

  // Guards the writable pages holding `mm`'s planted breakpoints (and no
  // others) through one of its stopped threads.
  Status Protect(AddressSpace& mm);
  // Whether `addr` lies in memory the program may write (a JIT's code),
  // where an in-process probe's patch would not survive: its bytes are
  // rewritten, and the program reads them back when it moves its code.
  Expected<bool> InWritableMemory(AddressSpace& mm, uint64_t addr);
  // At a SIGSEGV of the current thread: nullopt when our guard did not
  // cause it; else the program's write ran with the breakpoints planted
  // again over the new bytes, and this is what came of it.
  Expected<std::optional<std::optional<ReplayStop>>> OnFault(bool step);
  // Around a mapping syscall of the current thread that runs for real,
  // changing [start, end): the kernel must act on the program's own
  // protections, probe trampolines the replay put there must move, and
  // what the program maps afterwards is new.
  Status BeforeMappingChange(uint64_t start, uint64_t end);
  Status AfterMappingChange(uint64_t start, uint64_t end);
  // A copy of `mm` (a forked child, a checkpoint's leader) inherited our
  // guards; gives it the program's protections.
  Status ReleaseIn(const AddressSpace& mm, Tracee& copy);

 private:
  // A stopped thread of `mm` that can run an injected mprotect by a step.
  Tracee* InjectorIn(const AddressSpace& mm) const;
};

}  // namespace rwd::replayer

// ExecStaging: makes a replayed execve run the trace's copies, not whatever
// is on disk now at the recorded paths (a rebuilt binary, a deleted one, an
// upgraded ld.so, another machine).
//
// The kernel loads three things by path at execve: the file execve names,
// the interpreter of a #! script, and an ELF's PT_INTERP (ld.so). Their
// lengths shape the new stack (the filename and the argv strings sit at its
// top, and every address below depends on them), so the replay must hand the
// kernel paths of exactly the recorded lengths. ExecStaging owns a private
// directory (0700, inside the user's file cache so it is on an exec-capable
// filesystem; removed on destruction) that is the replayed processes' working
// directory. For each exec it places there, under short relative names padded
// with '/' to the recorded length:
//   - the executed ELF: a copy of the trace's copy whose PT_INTERP names the
//     staged ld.so (again a relative path of the recorded length);
//   - ld.so: a link to the trace's copy;
//   - for a script: a one-line script whose #! names the staged interpreter.
// After the exec, Fixup() writes the recorded strings back over the
// substitutes (AT_EXECFN, the argv strings the kernel built, PT_INTERP in
// the executable's image) before the new program runs an instruction, so the
// process is byte for byte the recorded one. Its working directory is not the
// recorded one, but replay never uses it: syscalls that take paths are
// emulated, and those it executes get trace copies by absolute path.
//
// Not thread-safe. Shared by a replay and its checkpoints (shared_ptr).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/tracee.h"

namespace rwd::replayer {

class ExecStaging {
 public:
  // What one staged exec needs.
  struct Plan {
    std::string filename;  // relative to dir(), as long as the recorded one
    // Strings to write back after the exec: substitute -> recorded.
    std::map<std::string, std::string> restore;
    // The recorded PT_INTERP bytes (with their NUL) at this address of the
    // ELF's image, relative to its load bias; empty for a static ELF.
    uint64_t interp_vaddr = 0;
    std::string interp;
    uint64_t entry = 0;  // the ELF's e_entry, to find its load bias
  };

  // Where the files of a staged exec come from (plain local copies,
  // trace::TraceReader::LocalFileCopy).
  struct Inputs {
    std::string recorded_filename;  // the filename the kernel saw
    std::string elf;                // the ELF that ran
    std::string elf_name;           // its recorded path (for its basename)
    std::string interp;             // its PT_INTERP's copy, "" for none
    std::string script;             // the #! script execve was given, or ""
  };

  static Expected<std::shared_ptr<ExecStaging>> Create(const std::string& parent);
  ~ExecStaging();
  ExecStaging(const ExecStaging&) = delete;
  ExecStaging& operator=(const ExecStaging&) = delete;

  const std::string& dir() const { return dir_; }

  Expected<Plan> Prepare(const Inputs& in);

  // Run at the stop right after the exec: puts back the recorded strings.
  static Status Fixup(Tracee& tracee, const Plan& plan);

 private:
  explicit ExecStaging(std::string dir) : dir_(std::move(dir)) {}

  // A fresh subdirectory name for staged files.
  std::string NewSlot();
  // dir()-relative path of slot/base padded with '/' to `length` characters.
  static Expected<std::string> Padded(const std::string& slot, const std::string& base,
                                      size_t length, const std::string& what);
  // Stages `elf` (with its PT_INTERP naming a staged link to `interp`) and
  // returns its padded relative path of `length` characters; cached.
  Expected<std::string> StageElf(const std::string& elf, const std::string& base, size_t length,
                                 const std::string& interp, Plan* plan);

  std::string dir_;
  pid_t owner_ = 0;
  uint64_t slots_ = 0;
  std::map<std::string, std::string> staged_;  // key -> relative name
};

}  // namespace rwd::replayer

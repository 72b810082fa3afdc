// GdbSysroot: a directory from which the gdb that `rewind replay` starts
// reads the recorded program's libraries (`set sysroot`), so that it loads
// the trace's copies locally instead of fetching each library and each
// candidate debug file through the protocol's vFile packets ("Reading ...
// from remote target..." and gdb's warning to set a sysroot). rr likewise
// hands its gdb commands that point at its trace's files.
//
// It holds, at each path a process of the trace mapped a file from, a
// hard link to the trace's copy of that file (it lives beside the copies;
// a symbolic link where it cannot), and this host's top-level
// links (/lib -> usr/lib), so the dynamic linker's names for the libraries
// resolve too. A name that still does not (a link to a link, such as
// /lib64/ld-linux-x86-64.so.2) is found by its file name in by_name/, which
// gdb searches next (solib-search-path). The directory is removed on
// destruction, or by the next replay once its owner is gone. Move-only; not
// thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/status.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

class GdbSysroot {
 public:
  // Reads every event of `reader` for the files the trace mapped.
  static Expected<std::unique_ptr<GdbSysroot>> Create(trace::TraceReader& reader);
  ~GdbSysroot();
  GdbSysroot(const GdbSysroot&) = delete;
  GdbSysroot& operator=(const GdbSysroot&) = delete;

  // gdb commands that make gdb read libraries from here.
  std::string GdbCommands() const;
  const std::string& dir() const { return dir_; }
  // The sysroot's file for a path the trace mapped, or "" if it has none.
  std::string PathFor(const std::string& recorded_path) const;

 private:
  static constexpr const char* kDirPrefix = ".rewind-sysroot-";
  explicit GdbSysroot(std::string dir) : dir_(std::move(dir)) {}
  // A fresh directory beside `a_copy` (any of the copies), else in $TMPDIR.
  static Expected<std::string> MakeDirectory(const std::string& a_copy);
  static void RemoveAbandoned(const std::string& parent);
  static void LinkTo(const std::string& copy, const std::filesystem::path& link);
  // Links `recorded_path` (and its file name in by_name/) to `copy`.
  void Add(const std::string& recorded_path, const std::string& copy);

  std::string dir_;
};

}  // namespace rwd::cli

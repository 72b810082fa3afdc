#include "cli/gdb_sysroot.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <variant>

namespace rwd::cli {

namespace fs = std::filesystem;

namespace {

// This host's merged-/usr links, which the dynamic linker's names go through.
constexpr const char* kTopLevelLinks[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};

}  // namespace

Expected<std::unique_ptr<GdbSysroot>> GdbSysroot::Create(trace::TraceReader& reader) {
  // Recorded path -> file id, over every process and exec of the trace.
  std::map<std::string, std::string> files;
  while (true) {
    ASSIGN_OR_RETURN(std::optional<trace::Event> event, reader.Next());
    if (!event) break;
    if (auto* exec = std::get_if<trace::ExecEvent>(&event->body)) {
      for (const trace::FileMapping& m : exec->mappings) {
        if (!m.file_id.empty() && !m.path.empty()) files.emplace(m.path, m.file_id);
      }
    } else if (auto* call = std::get_if<trace::SyscallEvent>(&event->body)) {
      if (!call->mapped_file_id.empty() && !call->mapped_path.empty()) {
        files.emplace(call->mapped_path, call->mapped_file_id);
      }
    }
  }
  std::map<std::string, std::string> copies;  // recorded path -> copy
  for (const auto& [path, id] : files) {
    ASSIGN_OR_RETURN(std::string copy, reader.LocalFileCopy(id));
    copies.emplace(path, copy);
  }
  ASSIGN_OR_RETURN(std::string dir, MakeDirectory(copies.empty() ? "" : copies.begin()->second));
  std::unique_ptr<GdbSysroot> sysroot(new GdbSysroot(dir));
  std::error_code ec;
  fs::create_directory(sysroot->dir_ + "/by_name", ec);
  for (const char* top : kTopLevelLinks) {
    fs::path target = fs::read_symlink(top, ec);
    if (!ec && target.is_relative()) fs::create_directory_symlink(target, sysroot->dir_ + top, ec);
  }
  std::set<std::string> dirs;
  for (const auto& [path, copy] : copies) {
    sysroot->Add(path, copy);
    dirs.insert(fs::path(path).parent_path().string());
  }
  // The dynamic linker opens libraries by their sonames, links beside the
  // files (libstdc++.so.6 -> libstdc++.so.6.0.30): where this machine has
  // such a link to a file the trace mapped, the sysroot has it too.
  for (const std::string& lib_dir : dirs) {
    std::error_code walk;
    for (fs::directory_iterator entry(lib_dir, walk), end; !walk && entry != end;
         entry.increment(walk)) {
      if (!entry->is_symlink(ec)) continue;
      auto it = copies.find(fs::canonical(entry->path(), ec).string());
      if (!ec && it != copies.end()) sysroot->Add(entry->path().string(), it->second);
    }
  }
  return sysroot;
}

Expected<std::string> GdbSysroot::MakeDirectory(const std::string& a_copy) {
  // Beside the copies, where hard links to them can be made: gdb names a
  // library by its symbolic links' target, the copy's content hash, so
  // `bt` and `info sharedlibrary` would show hashes instead of libc.so.6.
  std::string prefix = kDirPrefix + std::to_string(getpid()) + "-";
  if (!a_copy.empty()) {
    std::string beside = fs::path(a_copy).parent_path().string();
    RemoveAbandoned(beside);
    std::string pattern = beside + "/" + prefix + "XXXXXX";
    if (mkdtemp(pattern.data())) return pattern;
  }
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  if (!mkdtemp(pattern.data())) return ErrnoError("creating a sysroot directory for gdb");
  return pattern;
}

void GdbSysroot::RemoveAbandoned(const std::string& parent) {
  // A replay killed by SIGKILL leaves its sysroot behind; its pid is in the
  // name. Only links are removed, never the copies they point at.
  std::error_code ec;
  for (fs::directory_iterator entry(parent, ec), end; !ec && entry != end; entry.increment(ec)) {
    std::string name = entry->path().filename().string();
    if (name.rfind(kDirPrefix, 0) != 0) continue;
    pid_t owner = static_cast<pid_t>(atol(name.c_str() + strlen(kDirPrefix)));
    if (owner <= 0 || (kill(owner, 0) != 0 && errno == ESRCH)) {
      std::error_code ignored;
      fs::remove_all(entry->path(), ignored);
    }
  }
}

void GdbSysroot::Add(const std::string& recorded_path, const std::string& copy) {
  // Anything gdb still misses here it fetches through the protocol, as
  // without a sysroot.
  std::error_code ec;
  if (recorded_path.empty() || recorded_path[0] != '/') return;
  fs::path link = dir_ + recorded_path;
  fs::create_directories(link.parent_path(), ec);
  if (!ec) LinkTo(copy, link);
  LinkTo(copy, dir_ + "/by_name/" + fs::path(recorded_path).filename().string());
}

void GdbSysroot::LinkTo(const std::string& copy, const fs::path& link) {
  // A symbolic link where a hard one cannot be made (the sysroot had to go
  // to another file system).
  std::error_code ec;
  fs::create_hard_link(copy, link, ec);
  if (ec) fs::create_symlink(copy, link, ec);
}

std::string GdbSysroot::PathFor(const std::string& recorded_path) const {
  std::error_code ec;
  std::string path = dir_ + recorded_path;
  return !recorded_path.empty() && recorded_path[0] == '/' && fs::exists(path, ec) ? path : "";
}

GdbSysroot::~GdbSysroot() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string GdbSysroot::GdbCommands() const {
  return "set sysroot " + dir_ + "\nset solib-search-path " + dir_ + "/by_name\n";
}

}  // namespace rwd::cli

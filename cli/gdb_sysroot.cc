#include "cli/gdb_sysroot.h"

#include <cstdlib>
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
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/rewind-sysroot-XXXXXX";
  if (!mkdtemp(pattern.data())) return ErrnoError("creating a sysroot directory for gdb");
  std::unique_ptr<GdbSysroot> sysroot(new GdbSysroot(pattern));
  std::error_code ec;
  fs::create_directory(sysroot->dir_ + "/by_name", ec);
  for (const char* top : kTopLevelLinks) {
    fs::path target = fs::read_symlink(top, ec);
    if (!ec && target.is_relative()) fs::create_directory_symlink(target, sysroot->dir_ + top, ec);
  }
  std::map<std::string, std::string> copies;  // recorded path -> copy
  std::set<std::string> dirs;
  for (const auto& [path, id] : files) {
    ASSIGN_OR_RETURN(std::string copy, reader.LocalFileCopy(id));
    sysroot->Add(path, copy);
    copies.emplace(path, copy);
    dirs.insert(fs::path(path).parent_path().string());
  }
  // The dynamic linker opens libraries by their sonames, links beside the
  // files (libstdc++.so.6 -> libstdc++.so.6.0.30): where this machine has
  // such a link to a file the trace mapped, the sysroot has it too.
  for (const std::string& dir : dirs) {
    std::error_code walk;
    for (fs::directory_iterator entry(dir, walk), end; !walk && entry != end;
         entry.increment(walk)) {
      if (!entry->is_symlink(ec)) continue;
      auto it = copies.find(fs::canonical(entry->path(), ec).string());
      if (!ec && it != copies.end()) sysroot->Add(entry->path().string(), it->second);
    }
  }
  return sysroot;
}

void GdbSysroot::Add(const std::string& recorded_path, const std::string& copy) {
  // Anything gdb still misses here it fetches through the protocol, as
  // without a sysroot.
  std::error_code ec;
  if (recorded_path.empty() || recorded_path[0] != '/') return;
  fs::path link = dir_ + recorded_path;
  fs::create_directories(link.parent_path(), ec);
  if (!ec) fs::create_symlink(copy, link, ec);
  fs::create_symlink(copy, dir_ + "/by_name/" + fs::path(recorded_path).filename().string(), ec);
}

GdbSysroot::~GdbSysroot() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string GdbSysroot::GdbCommands() const {
  return "set sysroot " + dir_ + "\nset solib-search-path " + dir_ + "/by_name\n";
}

}  // namespace rwd::cli

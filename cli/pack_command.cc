// `rewind pack`: makes a trace self-contained, or writes it as one file.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/trace_location.h"
#include "trace/trace_archive.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

namespace {

// The content ids of the files the trace's events refer to.
Expected<std::set<std::string>> ReferencedFiles(trace::TraceReader& reader) {
  std::set<std::string> ids;
  while (true) {
    ASSIGN_OR_RETURN(std::optional<trace::Event> ev, reader.Next());
    if (!ev) break;
    if (auto* sc = std::get_if<trace::SyscallEvent>(&ev->body)) {
      if (!sc->mapped_file_id.empty()) ids.insert(sc->mapped_file_id);
    } else if (auto* ex = std::get_if<trace::ExecEvent>(&ev->body)) {
      if (!ex->exe_file_id.empty()) ids.insert(ex->exe_file_id);
      for (const trace::FileMapping& m : ex->mappings) {
        if (!m.file_id.empty()) ids.insert(m.file_id);
      }
    }
  }
  return ids;
}

// Checks that `dir` holds an intact copy of every file its events refer to
// (the recorder stores private copies, never links: trace/file_store.h), by
// unpacking each into the user's file cache. Prints a summary when `report`.
Status PackInPlace(const std::string& dir, bool report) {
  ASSIGN_OR_RETURN(auto reader, trace::TraceReader::Open(dir));
  ASSIGN_OR_RETURN(std::set<std::string> ids, ReferencedFiles(*reader));
  uint64_t bytes = 0;
  for (const std::string& id : ids) {
    Expected<std::string> copy = reader->LocalFileCopy(id);
    if (!copy.ok()) {
      return Status(ErrorCode::kCorrupt, "the trace " + dir + " lacks an intact copy of file " +
                                             id + " (" + copy.status().message() +
                                             "); it cannot be made self-contained");
    }
    struct stat st;
    if (stat(copy->c_str(), &st) == 0) bytes += static_cast<uint64_t>(st.st_size);
  }
  if (report) {
    printf("rewind: %s is self-contained: %zu file copies, %.1f MiB\n", dir.c_str(), ids.size(),
           static_cast<double>(bytes) / (1 << 20));
  }
  return Status::Ok();
}

}  // namespace

int PackCommand(const Args& args) {
  CommandLine line("pack", "[-o FILE] [TRACE_DIR|FILE]",
                   "Checks that a trace is self-contained: that it holds an intact private\n"
                   "copy of every file the recorded programs executed or mapped, so nothing\n"
                   "outside the trace directory is needed to replay it. With -o, writes the\n"
                   "trace as one file (tar + zstd) instead, which 'rewind replay FILE'\n"
                   "accepts anywhere.");
  std::string out_file, trace;
  line.app()
      .add_option("-o,--output", out_file, "write the trace as this one file")
      ->type_name("FILE");
  line.AddTraceArgument(&trace);
  if (std::optional<int> done = line.Parse(args)) return *done;
  auto dir = ResolveTraceDir(trace);
  if (!dir.ok()) {
    PrintError(dir.status().message());
    return kExitFailure;
  }
  Status checked = PackInPlace(*dir, /*report=*/out_file.empty());
  if (!checked.ok()) {
    PrintError(checked.message());
    return kExitFailure;
  }
  if (out_file.empty()) return 0;
  auto size = trace::PackTraceDir(*dir, out_file);
  if (!size.ok()) {
    PrintError(size.status().message());
    return kExitFailure;
  }
  printf("rewind: wrote %s (%.1f MiB); replay it with 'rewind replay %s'\n", out_file.c_str(),
         static_cast<double>(*size) / (1 << 20), out_file.c_str());
  return 0;
}

}  // namespace rwd::cli

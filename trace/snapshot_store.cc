#include "trace/snapshot_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "trace/file_io.h"
#include "trace/layout.h"

namespace rwd::trace {

namespace {

std::string SnapshotsDir(const std::string& trace_dir) {
  return trace_dir + "/" + kSnapshotsDirName;
}

// A name we write: six or more digits, nothing else.
bool IsSnapshotName(const std::string& name) {
  return name.size() >= 6 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string SnapshotPath(const std::string& trace_dir, uint32_t seq) {
  char name[16];
  snprintf(name, sizeof name, "%06u", seq);
  return SnapshotsDir(trace_dir) + "/" + name;
}

std::string SkipsPath(const std::string& trace_dir) { return SnapshotsDir(trace_dir) + "/skipped"; }

Status WriteSnapshotSkips(const std::string& trace_dir, const SnapshotSkips& skips) {
  std::string dir = SnapshotsDir(trace_dir);
  if (mkdir(dir.c_str(), kTraceDirMode) != 0 && errno != EEXIST) {
    return ErrnoError("creating " + dir);
  }
  // One "COUNT REASON" line per reason (reasons are one line of text).
  std::string text;
  for (const auto& [reason, count] : skips) text += std::to_string(count) + " " + reason + "\n";
  return WriteFileAtomically(SkipsPath(trace_dir),
                             {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

Expected<SnapshotSkips> ReadSnapshotSkips(const std::string& trace_dir) {
  SnapshotSkips skips;
  std::string path = SkipsPath(trace_dir);
  if (!PathExists(path)) return skips;
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadWholeFile(path));
  std::string text(bytes.begin(), bytes.end());
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 1;
    size_t space = line.find(' ');
    uint64_t count = 0;
    bool digits = space != std::string::npos && space > 0 && space <= 19 &&
                  std::all_of(line.begin(), line.begin() + space,
                              [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return Status(ErrorCode::kCorrupt, path + ": a line is not 'COUNT REASON'");
    count = std::stoull(line.substr(0, space));
    skips[line.substr(space + 1)] += count;
  }
  return skips;
}

Status WriteSnapshot(const std::string& trace_dir, const Snapshot& snapshot,
                     std::span<const uint8_t> compressed_pages) {
  std::string dir = SnapshotsDir(trace_dir);
  if (mkdir(dir.c_str(), kTraceDirMode) != 0 && errno != EEXIST) {
    return ErrnoError("creating " + dir);
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, EncodeSnapshotFile(snapshot, compressed_pages));
  return WriteFileAtomically(SnapshotPath(trace_dir, snapshot.seq), bytes);
}

Expected<std::vector<SnapshotListing>> ListSnapshots(const std::string& trace_dir) {
  std::string dir = SnapshotsDir(trace_dir);
  std::vector<SnapshotListing> out;
  DIR* d = opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return ErrnoError("listing " + dir);
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (IsSnapshotName(name)) names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    SnapshotListing l;
    l.path = dir + "/" + name;
    Expected<ScopedFd> fd = OpenFile(l.path, O_RDONLY);
    if (!fd.ok()) {
      l.header = fd.status();
      out.push_back(std::move(l));
      continue;
    }
    struct stat st;
    if (fstat(fd->get(), &st) == 0) l.bytes = static_cast<uint64_t>(st.st_size);
    std::vector<uint8_t> head(kSnapshotHeaderBytes);
    Expected<size_t> n = PreadFull(fd->get(), head.data(), head.size(), 0, l.path);
    if (!n.ok()) {
      l.header = n.status();
    } else {
      head.resize(*n);
      l.header = DecodeSnapshotHeader(head, l.bytes);
    }
    if (l.header.ok()) {
      std::vector<uint8_t> desc(l.header->description_z);
      Expected<size_t> got =
          PreadFull(fd->get(), desc.data(), desc.size(), kSnapshotHeaderBytes, l.path);
      Expected<Snapshot> described =
          got.ok() ? DecodeSnapshotDescription(*l.header, std::span(desc).first(*got))
                   : Expected<Snapshot>(got.status());
      if (described.ok()) {
        l.name = described->name;
        l.pid = described->pid;
        l.processes = described->processes;
        l.threads = static_cast<uint32_t>(described->threads.size());
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

Expected<std::vector<SnapshotHeader>> SnapshotLibrary::Headers() {
  ASSIGN_OR_RETURN(std::vector<SnapshotListing> list, ListSnapshots(dir_));
  std::vector<SnapshotHeader> out;
  for (const SnapshotListing& l : list) {
    if (l.header.ok()) out.push_back(*l.header);
  }
  return out;
}

Expected<const DecodedSnapshot*> SnapshotLibrary::Load(uint32_t seq) {
  if (auto it = loaded_.find(seq); it != loaded_.end()) return it->second.get();
  std::string path = SnapshotPath(dir_, seq);
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadWholeFile(path));
  Expected<DecodedSnapshot> decoded = DecodeSnapshotFile(bytes);
  if (!decoded.ok())
    return Status(decoded.status().code(), path + ": " + decoded.status().message());
  if (decoded->snapshot.seq != seq) {
    return Status(ErrorCode::kCorrupt,
                  path + ": says it is snapshot " + std::to_string(decoded->snapshot.seq));
  }
  auto owned = std::make_unique<DecodedSnapshot>(std::move(*decoded));
  const DecodedSnapshot* raw = owned.get();
  loaded_[seq] = std::move(owned);
  return raw;
}

Status SnapshotLibrary::ForEachPage(
    const Snapshot& snapshot,
    const std::function<Status(uint64_t, std::span<const uint8_t>)>& page) {
  static const std::vector<uint8_t> kZeroPage(kSnapshotPageBytes, 0);
  for (const PageRun& run : snapshot.pages) {
    uint64_t addr = run.start;
    for (const PageRef& ref : run.refs) {
      std::span<const uint8_t> bytes = kZeroPage;
      if (ref.snapshot != PageRef::kZero) {
        ASSIGN_OR_RETURN(const DecodedSnapshot* from, Load(ref.snapshot));
        if (ref.index >= from->snapshot.stored_pages) {
          return Status(ErrorCode::kCorrupt, SnapshotPath(dir_, snapshot.seq) +
                                                 ": a page refers to page " +
                                                 std::to_string(ref.index) + " of snapshot " +
                                                 std::to_string(ref.snapshot) + ", which stores " +
                                                 std::to_string(from->snapshot.stored_pages));
        }
        bytes = std::span<const uint8_t>(from->pages)
                    .subspan(uint64_t{ref.index} * kSnapshotPageBytes, kSnapshotPageBytes);
      }
      RETURN_IF_ERROR(page(addr, bytes));
      addr += kSnapshotPageBytes;
    }
  }
  return Status::Ok();
}

}  // namespace rwd::trace

#include "trace/snapshot_codec.h"

#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <string>

#include "trace/byte_codec.h"

namespace rwd::trace {

namespace {

constexpr char kMagic[8] = {'R', 'W', 'N', 'D', 'S', 'N', 'P', '\0'};
// Fast: the recorder's writer thread shares the machine with the program.
constexpr int kZstdLevel = 1;
// A description larger than this is not one we wrote.
constexpr uint64_t kMaxDescriptionBytes = uint64_t{1} << 32;
constexpr uint64_t kMaxPageBytes = uint64_t{1} << 40;

Status Corrupt(const std::string& why) {
  return Status(ErrorCode::kCorrupt, "snapshot file: " + why);
}

Expected<std::vector<uint8_t>> Compress(std::span<const uint8_t> raw) {
  std::vector<uint8_t> out(ZSTD_compressBound(raw.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), kZstdLevel);
  if (ZSTD_isError(n)) return Error(std::string("compressing a snapshot: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Expected<std::vector<uint8_t>> Decompress(std::span<const uint8_t> z, uint64_t raw_size,
                                          const char* what) {
  std::vector<uint8_t> raw(raw_size);
  size_t n = ZSTD_decompress(raw.data(), raw.size(), z.data(), z.size());
  if (ZSTD_isError(n) || n != raw_size) {
    return Corrupt(std::string("its ") + what + " do not decompress to the size its header says");
  }
  return raw;
}

void PutRegs(ByteWriter& w, const std::vector<SnapshotRegset>& sets) {
  w.PutUvarint(sets.size());
  for (const SnapshotRegset& s : sets) {
    w.PutUvarint(s.note_type);
    w.PutBytes(s.bytes);
  }
}

bool HasSyscallBuffers(const Snapshot& s) {
  for (const SnapshotThread& t : s.threads) {
    if (t.syscallbuf != 0) return true;
  }
  return false;
}

// The lowest format version that holds `s`.
uint32_t VersionFor(const Snapshot& s) {
  // Several threads: which of them wait in a syscall (parked) is first
  // written in version 2, whose sets have several processes; version 3
  // holds it for a set of one. Versions of rewind that restore one thread
  // per process refuse these cleanly (they say how many threads ran).
  // Fork advice is first written in version 4: older versions of rewind
  // would restore the memory without it, and fork it into the program's
  // children.
  if (!s.dont_fork.empty() || !s.wipe_on_fork.empty()) return 4;
  if (HasSyscallBuffers(s) || s.threads.size() > 1) return 3;
  return s.processes > 1 ? 2 : 1;
}

void PutDescription(ByteWriter& w, const Snapshot& s) {
  w.PutString(s.name);
  w.PutSvarint(s.pid);
  w.PutSvarint(s.current_tid);
  w.PutString(s.exec_path);
  w.PutUvarint(s.exec_event);
  w.PutUvarint(s.brk);
  w.PutUvarint(s.threads.size());
  for (const SnapshotThread& t : s.threads) {
    w.PutSvarint(t.tid);
    w.PutBytes(t.regs);
    w.PutBytes(t.fp);
    PutRegs(w, t.regsets);
    w.PutFixed64(t.sigmask);
    w.PutUvarint(t.clear_child_tid);
    w.PutString(t.name);
  }
  w.PutUvarint(s.maps.size());
  for (const SnapshotMapping& m : s.maps) {
    w.PutUvarint(m.start);
    w.PutUvarint(m.end);
    w.PutUvarint(m.prot);
    w.PutBool(m.shared);
    w.PutUvarint(m.offset);
    w.PutString(m.path);
    w.PutString(m.file_id);
  }
  w.PutUvarint(s.pages.size());
  for (const PageRun& run : s.pages) {
    w.PutUvarint(run.start);
    w.PutUvarint(run.refs.size());
    // Runs of pages stored together refer to consecutive indexes of one
    // snapshot: as deltas they compress to almost nothing.
    PageRef prev{0, 0};
    for (const PageRef& r : run.refs) {
      w.PutUvarint(r.snapshot == PageRef::kZero ? 0 : uint64_t{r.snapshot} + 1);
      if (r.snapshot != PageRef::kZero) w.PutSvarint(int64_t{r.index} - int64_t{prev.index} - 1);
      if (r.snapshot != PageRef::kZero) prev = r;
    }
  }
  w.PutUvarint(s.patches.size());
  for (const SnapshotPatch& p : s.patches) {
    w.PutUvarint(p.addr);
    w.PutBytes(p.original);
    w.PutBool(p.has_trap);
    w.PutU8(p.trap_kind);
    w.PutU8(p.trap_length);
    w.PutSvarint(p.trap_dest_reg);
    w.PutU8(p.trap_operand_bytes);
  }
  w.PutUvarint(s.vdso_syscall_insn);
  w.PutBool(s.patch_tsc_reads);
  w.PutUvarint(s.sigactions.size());
  for (const SnapshotSigaction& a : s.sigactions) {
    w.PutSvarint(a.signo);
    w.PutBytes(a.bytes);
  }
  w.PutBool(s.patch_cpuid);
  for (const SnapshotThread& t : s.threads) {
    w.PutBytes(t.altstack);
    w.PutUvarint(t.robust_list);
    w.PutUvarint(t.robust_list_len);
  }
  uint32_t version = VersionFor(s);
  if (version >= 2) {
    w.PutUvarint(s.processes);
    w.PutSvarint(s.parent_pid);
    for (const SnapshotThread& t : s.threads) w.PutBool(t.parked);
  }
  if (version >= 3) {
    for (const SnapshotThread& t : s.threads) w.PutUvarint(t.syscallbuf);
  }
  if (version >= 4) {
    for (const std::vector<SnapshotRange>* ranges : {&s.dont_fork, &s.wipe_on_fork}) {
      w.PutUvarint(ranges->size());
      for (const SnapshotRange& range : *ranges) {
        w.PutUvarint(range.start);
        w.PutUvarint(range.end - range.start);
      }
    }
  }
}

Status ReadRegsets(ByteReader& r, std::vector<SnapshotRegset>* sets) {
  size_t n = 0;
  RETURN_IF_ERROR(r.ReadCount(2, &n));
  sets->resize(n);
  for (SnapshotRegset& s : *sets) {
    RETURN_IF_ERROR(r.ReadUvarint32(&s.note_type));
    RETURN_IF_ERROR(r.ReadBytes(&s.bytes));
  }
  return Status::Ok();
}

Status ReadDescription(ByteReader& r, uint32_t version, Snapshot* s) {
  RETURN_IF_ERROR(r.ReadString(&s->name));
  RETURN_IF_ERROR(r.ReadSvarint32(&s->pid));
  RETURN_IF_ERROR(r.ReadSvarint32(&s->current_tid));
  RETURN_IF_ERROR(r.ReadString(&s->exec_path));
  RETURN_IF_ERROR(r.ReadUvarint(&s->exec_event));
  if (s->exec_event > s->event) return Corrupt("its exec comes after it");
  RETURN_IF_ERROR(r.ReadUvarint(&s->brk));
  size_t n = 0;
  RETURN_IF_ERROR(r.ReadCount(8, &n));
  s->threads.resize(n);
  for (SnapshotThread& t : s->threads) {
    RETURN_IF_ERROR(r.ReadSvarint32(&t.tid));
    RETURN_IF_ERROR(r.ReadBytes(&t.regs));
    RETURN_IF_ERROR(r.ReadBytes(&t.fp));
    RETURN_IF_ERROR(ReadRegsets(r, &t.regsets));
    RETURN_IF_ERROR(r.ReadFixed64(&t.sigmask));
    RETURN_IF_ERROR(r.ReadUvarint(&t.clear_child_tid));
    RETURN_IF_ERROR(r.ReadString(&t.name));
  }
  RETURN_IF_ERROR(r.ReadCount(7, &n));
  s->maps.resize(n);
  for (SnapshotMapping& m : s->maps) {
    RETURN_IF_ERROR(r.ReadUvarint(&m.start));
    RETURN_IF_ERROR(r.ReadUvarint(&m.end));
    RETURN_IF_ERROR(r.ReadUvarint32(&m.prot));
    RETURN_IF_ERROR(r.ReadBool(&m.shared));
    RETURN_IF_ERROR(r.ReadUvarint(&m.offset));
    RETURN_IF_ERROR(r.ReadString(&m.path));
    RETURN_IF_ERROR(r.ReadString(&m.file_id));
    if (m.end < m.start) return Corrupt("a mapping ends before it starts");
  }
  RETURN_IF_ERROR(r.ReadCount(2, &n));
  s->pages.resize(n);
  for (PageRun& run : s->pages) {
    RETURN_IF_ERROR(r.ReadUvarint(&run.start));
    size_t count = 0;
    RETURN_IF_ERROR(r.ReadCount(1, &count));
    run.refs.resize(count);
    PageRef prev{0, 0};
    for (PageRef& ref : run.refs) {
      uint64_t snap = 0;
      RETURN_IF_ERROR(r.ReadUvarint(&snap));
      if (snap == 0) {
        ref = PageRef{};
        continue;
      }
      if (snap - 1 > s->seq) return Corrupt("a page refers to a later snapshot");
      int64_t delta = 0;
      RETURN_IF_ERROR(r.ReadSvarint(&delta));
      int64_t index = int64_t{prev.index} + 1 + delta;
      if (index < 0 || index > int64_t{UINT32_MAX} - 1)
        return Corrupt("a page index is out of range");
      ref.snapshot = static_cast<uint32_t>(snap - 1);
      ref.index = static_cast<uint32_t>(index);
      if (ref.snapshot == s->seq && ref.index >= s->stored_pages) {
        return Corrupt("a page refers past the pages the file stores");
      }
      prev = ref;
    }
  }
  RETURN_IF_ERROR(r.ReadCount(6, &n));
  s->patches.resize(n);
  for (SnapshotPatch& p : s->patches) {
    RETURN_IF_ERROR(r.ReadUvarint(&p.addr));
    RETURN_IF_ERROR(r.ReadBytes(&p.original));
    RETURN_IF_ERROR(r.ReadBool(&p.has_trap));
    RETURN_IF_ERROR(r.ReadU8(&p.trap_kind));
    RETURN_IF_ERROR(r.ReadU8(&p.trap_length));
    int32_t dest = 0;
    RETURN_IF_ERROR(r.ReadSvarint32(&dest));
    p.trap_dest_reg = static_cast<int8_t>(dest);
    RETURN_IF_ERROR(r.ReadU8(&p.trap_operand_bytes));
  }
  RETURN_IF_ERROR(r.ReadUvarint(&s->vdso_syscall_insn));
  RETURN_IF_ERROR(r.ReadBool(&s->patch_tsc_reads));
  RETURN_IF_ERROR(r.ReadCount(2, &n));
  s->sigactions.resize(n);
  for (SnapshotSigaction& a : s->sigactions) {
    RETURN_IF_ERROR(r.ReadSvarint32(&a.signo));
    RETURN_IF_ERROR(r.ReadBytes(&a.bytes));
  }
  // Added after format 1 was in use: absent in older snapshots.
  if (!r.AtEnd()) RETURN_IF_ERROR(r.ReadBool(&s->patch_cpuid));
  if (!r.AtEnd()) {
    for (SnapshotThread& t : s->threads) {
      RETURN_IF_ERROR(r.ReadBytes(&t.altstack));
      RETURN_IF_ERROR(r.ReadUvarint(&t.robust_list));
      RETURN_IF_ERROR(r.ReadUvarint(&t.robust_list_len));
    }
  }
  // Version 2: the set of processes it belongs to (in version 3 also a
  // set of one).
  if (version >= 2 && !r.AtEnd()) {
    RETURN_IF_ERROR(r.ReadUvarint32(&s->processes));
    if (s->processes < (version >= 3 ? 1u : 2u)) {
      return Corrupt("it belongs to a set of " + std::to_string(s->processes) + " processes");
    }
    RETURN_IF_ERROR(r.ReadSvarint32(&s->parent_pid));
    for (SnapshotThread& t : s->threads) RETURN_IF_ERROR(r.ReadBool(&t.parked));
  }
  // Version 3: the threads' syscall buffers.
  if (version >= 3) {
    for (SnapshotThread& t : s->threads) RETURN_IF_ERROR(r.ReadUvarint(&t.syscallbuf));
  }
  // Version 4: the fork advice.
  if (version >= 4) {
    for (std::vector<SnapshotRange>* ranges : {&s->dont_fork, &s->wipe_on_fork}) {
      RETURN_IF_ERROR(r.ReadCount(2, &n));
      ranges->resize(n);
      for (SnapshotRange& range : *ranges) {
        uint64_t len = 0;
        RETURN_IF_ERROR(r.ReadUvarint(&range.start));
        RETURN_IF_ERROR(r.ReadUvarint(&len));
        range.end = range.start + len;
        if (range.end <= range.start) return Corrupt("a fork advice range is empty or wraps");
      }
    }
  }
  if (!r.AtEnd()) return Corrupt("its description has bytes after its end");
  return Status::Ok();
}

struct Sizes {
  uint64_t desc_raw = 0, desc_z = 0, pages_raw = 0, pages_z = 0, checksum = 0;
};

// `file`: at least the header; `file_size`: of the whole file.
Expected<std::pair<SnapshotHeader, Sizes>> ReadHeader(std::span<const uint8_t> file,
                                                      uint64_t file_size) {
  if (file.size() < kSnapshotHeaderBytes) {
    return Corrupt("only " + std::to_string(file.size()) +
                   " bytes, shorter than its header (cut short?)");
  }
  if (memcmp(file.data(), kMagic, sizeof kMagic) != 0) return Corrupt("bad magic (not a snapshot)");
  ByteReader r(file.subspan(sizeof kMagic, kSnapshotHeaderBytes - sizeof kMagic));
  SnapshotHeader h;
  Sizes z;
  RETURN_IF_ERROR(r.ReadFixed32(&h.version));
  if (h.version < 1 || h.version > kSnapshotFormatVersion) {
    return Status(ErrorCode::kUnsupported,
                  "snapshot file: format version " + std::to_string(h.version) +
                      ", this rewind reads version " + std::to_string(kSnapshotFormatVersion));
  }
  RETURN_IF_ERROR(r.ReadFixed32(&h.seq));
  RETURN_IF_ERROR(r.ReadFixed64(&h.event));
  RETURN_IF_ERROR(r.ReadFixed32(&h.stored_pages));
  RETURN_IF_ERROR(r.ReadFixed32(&h.stop_us));
  RETURN_IF_ERROR(r.ReadFixed32(&h.fork_us));
  RETURN_IF_ERROR(r.ReadFixed64(&z.desc_raw));
  RETURN_IF_ERROR(r.ReadFixed64(&z.desc_z));
  RETURN_IF_ERROR(r.ReadFixed64(&z.pages_raw));
  RETURN_IF_ERROR(r.ReadFixed64(&z.pages_z));
  RETURN_IF_ERROR(r.ReadFixed64(&z.checksum));
  h.description_z = z.desc_z;
  h.description_raw = z.desc_raw;
  if (z.desc_raw > kMaxDescriptionBytes || z.pages_raw > kMaxPageBytes ||
      z.pages_raw != uint64_t{h.stored_pages} * kSnapshotPageBytes) {
    return Corrupt("its header's sizes are impossible");
  }
  uint64_t body = file_size - kSnapshotHeaderBytes;
  if (z.desc_z > body || z.pages_z != body - z.desc_z) {
    return Corrupt("it holds " + std::to_string(body) + " bytes after its header, not the " +
                   std::to_string(z.desc_z + z.pages_z) + " its header says (cut short?)");
  }
  return std::make_pair(h, z);
}

}  // namespace

SnapshotPageCompressor::SnapshotPageCompressor() : cctx_(ZSTD_createCCtx()) {
  ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(cctx_), ZSTD_c_compressionLevel, kZstdLevel);
}

SnapshotPageCompressor::~SnapshotPageCompressor() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

Status SnapshotPageCompressor::Drain(int mode, std::span<const uint8_t> bytes) {
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  uint8_t chunk[1 << 16];
  while (true) {
    ZSTD_outBuffer out{chunk, sizeof chunk, 0};
    size_t left = ZSTD_compressStream2(static_cast<ZSTD_CCtx*>(cctx_), &out, &in,
                                       static_cast<ZSTD_EndDirective>(mode));
    if (ZSTD_isError(left)) {
      return Error(std::string("compressing snapshot pages: ") + ZSTD_getErrorName(left));
    }
    out_.insert(out_.end(), chunk, chunk + out.pos);
    bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
    if (done) return Status::Ok();
  }
}

Status SnapshotPageCompressor::Add(std::span<const uint8_t> page) {
  if (page.size() != kSnapshotPageBytes) return Error("a snapshot page must be 4096 bytes");
  ++pages_;
  return Drain(ZSTD_e_continue, page);
}

Expected<std::vector<uint8_t>> SnapshotPageCompressor::Finish() {
  RETURN_IF_ERROR(Drain(ZSTD_e_end, {}));
  return std::move(out_);
}

Expected<std::vector<uint8_t>> EncodeSnapshotFileWithPages(const Snapshot& snapshot,
                                                           std::span<const uint8_t> pages) {
  if (pages.size() != uint64_t{snapshot.stored_pages} * kSnapshotPageBytes) {
    return Error("EncodeSnapshotFile: " + std::to_string(pages.size()) + " page bytes for " +
                 std::to_string(snapshot.stored_pages) + " stored pages");
  }
  SnapshotPageCompressor z;
  for (size_t off = 0; off < pages.size(); off += kSnapshotPageBytes) {
    RETURN_IF_ERROR(z.Add(pages.subspan(off, kSnapshotPageBytes)));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> compressed, z.Finish());
  return EncodeSnapshotFile(snapshot, compressed);
}

Expected<std::vector<uint8_t>> EncodeSnapshotFile(const Snapshot& snapshot,
                                                  std::span<const uint8_t> pages_z) {
  ByteWriter desc;
  PutDescription(desc, snapshot);
  ASSIGN_OR_RETURN(std::vector<uint8_t> desc_z, Compress(desc.bytes()));
  uint64_t raw_pages = uint64_t{snapshot.stored_pages} * kSnapshotPageBytes;
  XXH64_state_t* state = XXH64_createState();
  XXH64_reset(state, 0);
  XXH64_update(state, desc_z.data(), desc_z.size());
  XXH64_update(state, pages_z.data(), pages_z.size());
  uint64_t checksum = XXH64_digest(state);
  XXH64_freeState(state);
  ByteWriter w;
  w.PutRaw({reinterpret_cast<const uint8_t*>(kMagic), sizeof kMagic});
  w.PutFixed32(VersionFor(snapshot));
  w.PutFixed32(snapshot.seq);
  w.PutFixed64(snapshot.event);
  w.PutFixed32(snapshot.stored_pages);
  w.PutFixed32(snapshot.stop_us);
  w.PutFixed32(snapshot.fork_us);
  w.PutFixed64(desc.size());
  w.PutFixed64(desc_z.size());
  w.PutFixed64(raw_pages);
  w.PutFixed64(pages_z.size());
  w.PutFixed64(checksum);
  w.PutRaw(desc_z);
  w.PutRaw(pages_z);
  return w.bytes();
}

Expected<SnapshotHeader> DecodeSnapshotHeader(std::span<const uint8_t> head, uint64_t file_size) {
  ASSIGN_OR_RETURN(auto header, ReadHeader(head, file_size));
  return header.first;
}

Expected<DecodedSnapshot> DecodeSnapshotFile(std::span<const uint8_t> file) {
  ASSIGN_OR_RETURN(auto header, ReadHeader(file, file.size()));
  const auto& [h, z] = header;
  std::span<const uint8_t> body = file.subspan(kSnapshotHeaderBytes);
  if (XXH64(body.data(), body.size(), 0) != z.checksum) {
    return Corrupt("checksum mismatch (the file was damaged)");
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> desc,
                   Decompress(body.subspan(0, z.desc_z), z.desc_raw, "description bytes"));
  DecodedSnapshot out;
  out.snapshot.seq = h.seq;
  out.snapshot.event = h.event;
  out.snapshot.stored_pages = h.stored_pages;
  out.snapshot.stop_us = h.stop_us;
  out.snapshot.fork_us = h.fork_us;
  ByteReader r(desc);
  Status read = ReadDescription(r, h.version, &out.snapshot);
  if (!read.ok()) return Corrupt("its description does not decode: " + read.message());
  ASSIGN_OR_RETURN(out.pages, Decompress(body.subspan(z.desc_z), z.pages_raw, "page bytes"));
  return out;
}

Expected<Snapshot> DecodeSnapshotDescription(const SnapshotHeader& header,
                                             std::span<const uint8_t> desc_z) {
  if (desc_z.size() != header.description_z) return Corrupt("its description is cut short");
  ASSIGN_OR_RETURN(std::vector<uint8_t> desc,
                   Decompress(desc_z, header.description_raw, "description bytes"));
  Snapshot out;
  out.seq = header.seq;
  out.event = header.event;
  out.stored_pages = header.stored_pages;
  out.stop_us = header.stop_us;
  out.fork_us = header.fork_us;
  ByteReader r(desc);
  Status read = ReadDescription(r, header.version, &out);
  if (!read.ok()) return Corrupt("its description does not decode: " + read.message());
  return out;
}

}  // namespace rwd::trace

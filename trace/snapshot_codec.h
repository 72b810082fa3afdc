// The bytes of one snapshot file (snapshots/<seq> in a trace; see
// trace/snapshot_store.h):
//   header  magic "RWNDSNP\0", then fixed-width: u32 version, u32 seq,
//           u64 event, u32 stored pages, u32 stop_us, u32 fork_us,
//           u64 description bytes (raw, compressed), u64 page bytes (raw,
//           compressed), u64 XXH64 of everything after the header
//   description  zstd: the Snapshot without its page bytes
//   pages        zstd: the stored pages, 4096 bytes each, in index order
// The header alone says what `rewind info` shows; decoding the rest checks
// the checksum first, so a cut-short or damaged file is refused with
// kCorrupt naming what is wrong, never half-read.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "trace/snapshot.h"

namespace rwd::trace {

// Version 2: a snapshot of a set of several processes (Snapshot::processes);
// version 3: threads with a syscall buffer (SnapshotThread::syscallbuf), or
// several threads in the process (each one's SnapshotThread::parked);
// version 4: fork advice (Snapshot::dont_fork, Snapshot::wipe_on_fork).
// A snapshot needs the lowest version that holds it, so what older versions
// of rewind can restore they still read.
inline constexpr uint32_t kSnapshotFormatVersion = 4;
inline constexpr size_t kSnapshotHeaderBytes = 76;

struct SnapshotHeader {
  uint32_t version = 0;
  uint32_t seq = 0;
  uint64_t event = 0;
  uint32_t stored_pages = 0;
  uint32_t stop_us = 0;
  uint32_t fork_us = 0;
  // The description's size in the file (compressed) and decompressed.
  uint64_t description_z = 0;
  uint64_t description_raw = 0;
};

struct DecodedSnapshot {
  Snapshot snapshot;
  std::vector<uint8_t> pages;  // stored_pages * kSnapshotPageBytes
};

// Compresses a snapshot's stored pages as they are found, so that the
// writer never holds them all uncompressed (fresh memory is slow to touch
// in a VM, and a first snapshot holds the whole heap).
class SnapshotPageCompressor {
 public:
  SnapshotPageCompressor();
  ~SnapshotPageCompressor();
  SnapshotPageCompressor(const SnapshotPageCompressor&) = delete;
  SnapshotPageCompressor& operator=(const SnapshotPageCompressor&) = delete;

  Status Add(std::span<const uint8_t> page);  // kSnapshotPageBytes
  // The compressed pages, for EncodeSnapshotFile. Call once.
  Expected<std::vector<uint8_t>> Finish();
  uint32_t pages() const { return pages_; }

 private:
  Status Drain(int mode, std::span<const uint8_t> in);
  void* cctx_;
  uint32_t pages_ = 0;
  std::vector<uint8_t> out_;
};

// `compressed_pages`: from a SnapshotPageCompressor given
// snapshot.stored_pages pages.
Expected<std::vector<uint8_t>> EncodeSnapshotFile(const Snapshot& snapshot,
                                                  std::span<const uint8_t> compressed_pages);
// The same, compressing `pages` (snapshot.stored_pages of them) itself.
Expected<std::vector<uint8_t>> EncodeSnapshotFileWithPages(const Snapshot& snapshot,
                                                           std::span<const uint8_t> pages);
// From the first kSnapshotHeaderBytes (or fewer, if the file is shorter) of
// a file of `file_size` bytes: checks magic, version and that the file is as
// long as its header says.
Expected<SnapshotHeader> DecodeSnapshotHeader(std::span<const uint8_t> head, uint64_t file_size);
Expected<DecodedSnapshot> DecodeSnapshotFile(std::span<const uint8_t> file);
// The description alone (`desc_z`: header.description_z bytes that follow
// the header), without the page bytes and without checking the checksum
// (DecodeSnapshotFile does): for listing snapshots by name and process.
Expected<Snapshot> DecodeSnapshotDescription(const SnapshotHeader& header,
                                             std::span<const uint8_t> desc_z);

}  // namespace rwd::trace

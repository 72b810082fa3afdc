#include "core/code_patcher.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>
#include <unordered_map>

#include <xxhash.h>

#include "core/elf_image.h"
#include "core/proc_maps.h"

namespace rwd {

namespace {

// Scanning a large text segment with Capstone takes a while; the same bytes
// (libc, libstdc++) are mapped by every process, so results are cached by a
// hash of the code for the life of this rewind process.
std::vector<uint64_t>* CachedScan(uint64_t key) {
  static std::unordered_map<uint64_t, std::vector<uint64_t>> cache;
  return &cache[key];
}

// The same results by file, for ranges that hold a file's bytes as mapped:
// found without reading the range (~20 MB of cc1's code, read and hashed at
// each of its execs otherwise). The length is in the key: a range's
// readable prefix may end before it does.
using FileScanKey = std::tuple<std::string, uint64_t, uint64_t, bool, bool>;
std::map<FileScanKey, std::vector<uint64_t>>& FileScans() {
  static std::map<FileScanKey, std::vector<uint64_t>> scans;
  return scans;
}

// The longest trap instruction DecodeTrapInsn looks at.
constexpr size_t kMaxInsnBytes = 16;

}  // namespace

Status CodePatcher::Apply(Tracee& tracee, uint64_t addr, std::span<const uint8_t> bytes,
                          std::optional<arch::TrapInsn> trap) {
  Patch patch;
  patch.original.resize(bytes.size());
  RETURN_IF_ERROR(tracee.ReadMemory(addr, patch.original));
  RETURN_IF_ERROR(tracee.WriteMemory(addr, bytes));
  patch.trap = trap;
  patches_[addr] = std::move(patch);
  return Status::Ok();
}

std::vector<CodePatcher::SavedPatch> CodePatcher::Saved() const {
  std::vector<SavedPatch> out;
  for (const auto& [addr, patch] : patches_) out.push_back({addr, patch.original, patch.trap});
  return out;
}

CodePatcher CodePatcher::FromSaved(const std::vector<SavedPatch>& patches, uint64_t syscall_insn,
                                   arch::TrapScanKinds kinds) {
  CodePatcher p;
  for (const SavedPatch& s : patches) p.patches_[s.addr] = Patch{s.original, s.trap};
  p.syscall_insn_ = syscall_insn;
  p.kinds_ = kinds;
  return p;
}

Expected<uint64_t> CodePatcher::PatchVdso(Tracee& tracee) {
  const arch::Arch& arch = tracee.arch();
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  std::optional<MemoryMapping> vdso = FindMapping(maps, "[vdso]");
  if (!vdso) return Error("the tracee has no vDSO mapping");
  ASSIGN_OR_RETURN(std::vector<uint8_t> image,
                   tracee.ReadBytes(vdso->start, vdso->end - vdso->start));
  ElfImage elf(image);
  if (!elf.Valid()) return Error("the vDSO is not an ELF64 image");
  for (const arch::VdsoFunction& fn : arch.VdsoFunctions()) {
    std::optional<uint64_t> offset = elf.SymbolOffset(fn.symbol);
    if (!offset) continue;
    const arch::SyscallInfo* info = arch.syscalls().FindByName(fn.syscall);
    if (!info) return Error("vDSO patch: no syscall named " + std::string(fn.syscall));
    uint64_t addr = vdso->start + *offset;
    if (patches_.count(addr)) continue;  // aliases share code
    std::vector<uint8_t> stub = arch.SyscallStub(info->nr);
    RETURN_IF_ERROR(Apply(tracee, addr, stub, std::nullopt));
    if (syscall_insn_ == 0) {
      std::span<const uint8_t> insn = arch.SyscallInsn();
      auto it = std::search(stub.begin(), stub.end(), insn.begin(), insn.end());
      if (it != stub.end()) syscall_insn_ = addr + (it - stub.begin());
    }
  }
  if (syscall_insn_ == 0) return Error("found no vDSO function to patch");
  return syscall_insn_;
}

Expected<std::vector<uint64_t>> CodePatcher::PatchTrapSites(Tracee& tracee, uint64_t start,
                                                            uint64_t end, const MappedFile* file) {
  const arch::Arch& arch = tracee.arch();
  std::optional<FileScanKey> file_key;
  if (file && !file->file_id.empty()) {
    file_key = FileScanKey{file->file_id, file->offset, end - start, kinds_.tsc_reads, kinds_.cpuid};
    if (auto known = FileScans().find(*file_key); known != FileScans().end()) {
      std::vector<uint64_t> patched;
      std::span<const uint8_t> bp = arch.BreakpointInsn();
      for (uint64_t off : known->second) {
        uint8_t insn[kMaxInsnBytes] = {};
        ASSIGN_OR_RETURN(size_t n, tracee.ReadMemoryPartial(start + off, insn));
        RETURN_IF_ERROR(Apply(tracee, start + off, bp,
                              arch.DecodeTrapInsn(std::span<const uint8_t>(insn, n))));
        patched.push_back(start + off);
      }
      return patched;
    }
  }
  // Only the readable prefix: a mapping may extend past the end of its file
  // (AArch64 ld.so maps a library's whole span with its first, executable
  // segment), and those pages cannot be read, let alone executed.
  std::vector<uint8_t> code(end - start);
  ASSIGN_OR_RETURN(size_t readable, tracee.ReadMemoryPartial(start, code));
  code.resize(readable);
  uint64_t key =
      XXH3_64bits(code.data(), code.size()) ^ (kinds_.tsc_reads ? 1 : 0) ^ (kinds_.cpuid ? 2 : 0);
  std::vector<uint64_t>* offsets = CachedScan(key);
  if (offsets->empty()) {
    for (const arch::TrapSite& site : arch.ScanForTrapSites(code, 0, kinds_)) {
      offsets->push_back(site.addr);
    }
    // A sentinel past the end marks "scanned, nothing found" as non-empty.
    offsets->push_back(UINT64_MAX);
  }
  if (file_key) {
    std::vector<uint64_t>& sites = FileScans()[*file_key];
    std::copy_if(offsets->begin(), offsets->end(), std::back_inserter(sites),
                 [](uint64_t off) { return off != UINT64_MAX; });
  }
  std::vector<uint64_t> patched;
  std::span<const uint8_t> bp = arch.BreakpointInsn();
  for (uint64_t off : *offsets) {
    if (off == UINT64_MAX) continue;
    arch::TrapInsn insn = arch.DecodeTrapInsn(std::span(code).subspan(off));
    RETURN_IF_ERROR(Apply(tracee, start + off, bp, insn));
    patched.push_back(start + off);
  }
  return patched;
}

std::optional<arch::TrapInsn> CodePatcher::TrapSiteAt(uint64_t addr) const {
  auto it = patches_.find(addr);
  if (it == patches_.end()) return std::nullopt;
  return it->second.trap;
}

void CodePatcher::Unpatch(uint64_t addr, std::span<uint8_t> bytes) const {
  uint64_t end = addr + bytes.size();
  // Patches are at most a few bytes long; start a little before addr.
  for (auto it = patches_.lower_bound(addr >= 16 ? addr - 16 : 0);
       it != patches_.end() && it->first < end; ++it) {
    for (size_t i = 0; i < it->second.original.size(); ++i) {
      uint64_t a = it->first + i;
      if (a >= addr && a < end) bytes[a - addr] = it->second.original[i];
    }
  }
}

}  // namespace rwd

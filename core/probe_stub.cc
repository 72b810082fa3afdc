#include "core/probe_stub.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "base/hex.h"
#include "core/proc_maps.h"
#include "core/remote_syscall.h"

namespace rwd {

namespace {

// Slots per area: one page pair serves a typical replay's probes, and an
// area costs only address space until a slot is written.
constexpr size_t kSlotsPerArea = 64;
// Never below 1 MiB: mmap_min_addr forbids the lowest pages, and programs
// with fixed low addresses (emulators, old binaries) use that range.
constexpr uint64_t kLowestArea = 1 << 20;
// Keep this much free below the stack: it grows down into the hole that
// the first candidate uses.
constexpr uint64_t kStackGrowthRoom = uint64_t{64} << 20;
// Keep this much free above the start of the program's brk heap, which
// grows up into the hole after the executable.
constexpr uint64_t kHeapGrowthRoom = uint64_t{1} << 30;
// Code around the site that PlanSite sweeps for branches into the patch.
constexpr uint64_t kSiteWindow = 4096;

Status Unsupported(const std::string& why) {
  return Status(ErrorCode::kUnsupported, "cannot place a probe: " + why);
}

uint64_t PageSize() { return static_cast<uint64_t>(sysconf(_SC_PAGESIZE)); }
uint64_t PageUp(uint64_t v) { return (v + PageSize() - 1) & ~(PageSize() - 1); }

bool InReach(uint64_t start, uint64_t end, uint64_t pc, uint64_t reach) {
  return start + reach >= pc && end <= pc + reach;
}

bool Free(const std::vector<MemoryMapping>& maps, uint64_t start, uint64_t end) {
  return std::none_of(maps.begin(), maps.end(),
                      [&](const MemoryMapping& m) { return m.start < end && start < m.end; });
}

// Where the process's brk heap starts (start_brk, field 47 of
// /proc/PID/stat), 0 if unknown.
uint64_t HeapStart(pid_t tid) {
  FILE* f = fopen(("/proc/" + std::to_string(tid) + "/stat").c_str(), "r");
  if (f == nullptr) return 0;
  char buf[2048];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  // Fields after the command name, which may hold spaces: field 3 first.
  const char* p = strrchr(buf, ')');
  if (p == nullptr) return 0;
  int field = 2;
  unsigned long long value = 0;
  for (p = p + 1; *p != 0 && field < 47; ++p) {
    if (*p == ' ') ++field;
  }
  if (field != 47 || sscanf(p, "%llu", &value) != 1) return 0;
  return value;
}

// Where a new area of `size` bytes may go, best first (ProbePages::Allocate
// says why in this order). A page is left free on each side so the area
// never merges with a neighbouring mapping in /proc/PID/maps.
std::vector<uint64_t> AreaCandidates(const std::vector<MemoryMapping>& maps, uint64_t pc,
                                     uint64_t size, uint64_t reach, uint64_t heap_start) {
  const uint64_t page = PageSize();
  std::vector<uint64_t> wanted;
  auto stack = std::find_if(maps.begin(), maps.end(),
                            [](const MemoryMapping& m) { return m.path == "[stack]"; });
  if (stack != maps.end() && stack != maps.begin()) {
    const uint64_t above = std::prev(stack)->end + page;
    if (above + size + kStackGrowthRoom <= stack->start) wanted.push_back(above);
  }
  auto object = std::find_if(maps.begin(), maps.end(),
                             [&](const MemoryMapping& m) { return m.start <= pc && pc < m.end; });
  if (object != maps.end()) {
    uint64_t lowest = object->start;
    for (const MemoryMapping& m : maps) {
      if (object->is_file() && m.path == object->path) lowest = std::min(lowest, m.start);
    }
    if (lowest >= size + 2 * page) wanted.push_back(lowest - size - page);
  }
  // Every other hole below the stack, at its end nearest pc.
  std::vector<uint64_t> holes;
  for (size_t i = 0; i + 1 < maps.size() && maps[i + 1].path != "[vsyscall]"; ++i) {
    if (maps[i].path == "[stack]") break;
    const uint64_t lo = maps[i].end + page;
    const uint64_t hi = maps[i + 1].start;
    if (hi < lo + size + page) continue;
    holes.push_back(hi <= pc ? hi - size - page : lo);
  }
  std::sort(holes.begin(), holes.end(), [&](uint64_t a, uint64_t b) {
    return (a > pc ? a - pc : pc - a) < (b > pc ? b - pc : pc - b);
  });
  wanted.insert(wanted.end(), holes.begin(), holes.end());

  std::vector<uint64_t> out;
  for (uint64_t a : wanted) {
    if (heap_start != 0 && a < heap_start + kHeapGrowthRoom && a + size > heap_start) {
      a = heap_start + kHeapGrowthRoom;
    }
    if (a >= kLowestArea && InReach(a, a + size, pc, reach) &&
        Free(maps, a - page, a + size + page) &&
        std::find(out.begin(), out.end(), a) == out.end()) {
      out.push_back(a);
    }
  }
  return out;
}

Expected<int64_t> Syscall(Tracee& tracee, uint64_t syscall_insn, const char* name,
                          const SyscallArgs& args) {
  const arch::SyscallInfo* info = tracee.arch().syscalls().FindByName(name);
  if (info == nullptr) return Error(std::string("this architecture has no syscall ") + name);
  return InjectSyscall(tracee, syscall_insn, info->nr, args);
}

// Maps `size` bytes exactly at `addr` (read+write), or fails without
// touching anything already mapped.
Expected<bool> MapAt(Tracee& tracee, uint64_t syscall_insn, uint64_t addr, uint64_t size) {
  SyscallArgs args;
  args.v = {addr,
            size,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
            static_cast<uint64_t>(-1),
            0};
  ASSIGN_OR_RETURN(int64_t got, Syscall(tracee, syscall_insn, "mmap", args));
  if (got < 0 && got > -4096) return false;  // taken (EEXIST) or refused
  if (static_cast<uint64_t>(got) == addr) return true;
  // A kernel older than 4.17 took MAP_FIXED_NOREPLACE as a mere hint.
  SyscallArgs unmap;
  unmap.v = {static_cast<uint64_t>(got), size};
  RETURN_IF_ERROR(Syscall(tracee, syscall_insn, "munmap", unmap).status());
  return false;
}

}  // namespace

std::optional<int32_t> VaryingStackWord(std::span<const uint8_t> first,
                                        std::span<const uint8_t> second) {
  const size_t size = std::min(first.size(), second.size());
  for (size_t at = 0; at + 8 <= size; at += 8) {
    if (!std::equal(first.begin() + at, first.begin() + at + 8, second.begin() + at)) {
      return static_cast<int32_t>(at) - kVaryingStackBelowSp;
    }
  }
  return std::nullopt;
}

std::optional<ProbeMemCheck> WordSeparatingPasses(std::span<const uint8_t> recorded,
                                                  std::span<const uint8_t> previous,
                                                  std::span<const uint8_t> current) {
  const size_t size = std::min({recorded.size(), previous.size(), current.size()});
  auto word = [](std::span<const uint8_t> bytes, size_t at) {
    uint64_t value = 0;
    std::memcpy(&value, bytes.data() + at, sizeof(value));
    return value;
  };
  std::optional<ProbeMemCheck> in_red_zone;
  for (size_t at = 0; at + 8 <= size; at += 8) {
    uint64_t want = word(recorded, at);
    if (word(previous, at) == word(current, at) || word(current, at) == want) continue;
    ProbeMemCheck check{static_cast<int32_t>(at) - kVaryingStackBelowSp, want};
    if (check.sp_offset >= 0) return check;
    if (!in_red_zone) in_red_zone = check;
  }
  return in_red_zone;
}

Status ProbePages::Release(Tracee& tracee, uint64_t syscall_insn) {
  std::vector<Area> areas = std::exchange(areas_, {});
  for (const Area& area : areas) {
    SyscallArgs unmap;
    unmap.v = {area.start, area.end - area.start};
    ASSIGN_OR_RETURN(int64_t err, Syscall(tracee, syscall_insn, "munmap", unmap));
    if (err != 0) return SystemError("unmapping probe trampolines", static_cast<int>(-err));
  }
  return Status::Ok();
}

Expected<ProbePages::Slot> ProbePages::Allocate(Tracee& tracee, uint64_t syscall_insn, uint64_t pc,
                                                const arch::ProbeEncoder& encoder) {
  const uint64_t reach = encoder.reach();
  for (Area& area : areas_) {
    if (area.used < kSlotsPerArea && InReach(area.start, area.end, pc, reach)) {
      Slot slot{area.start + area.used * encoder.code_slot_size(),
                area.data + area.used * encoder.data_slot_size()};
      ++area.used;
      return slot;
    }
  }
  const uint64_t code_size = PageUp(kSlotsPerArea * encoder.code_slot_size());
  const uint64_t size = code_size + PageUp(kSlotsPerArea * encoder.data_slot_size());
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  for (uint64_t addr : AreaCandidates(maps, pc, size, reach, HeapStart(tracee.tid()))) {
    ASSIGN_OR_RETURN(bool mapped, MapAt(tracee, syscall_insn, addr, size));
    if (!mapped) continue;
    SyscallArgs protect;
    protect.v = {addr, code_size, PROT_READ | PROT_EXEC};
    ASSIGN_OR_RETURN(int64_t err, Syscall(tracee, syscall_insn, "mprotect", protect));
    if (err != 0) return SystemError("making probe trampolines executable", static_cast<int>(-err));
    areas_.push_back({addr, addr + code_size, addr + size, 1});
    return Slot{addr, addr + code_size};
  }
  return Unsupported("no free address range within reach of " + Hex(pc) + " for trampolines");
}

namespace {

// The patch a probe at `pc` would make, or kUnsupported with the reason;
// `maps` are the thread's current mappings.
Expected<arch::ProbeSite> PlanAt(const Tracee& tracee, uint64_t pc,
                                 const std::vector<MemoryMapping>& maps,
                                 const ProbeStub::CodeFixup& fixup = nullptr) {
  const arch::Arch& arch = tracee.arch();
  const arch::ProbeEncoder* encoder = arch::ProbeEncoderFor(arch);
  if (encoder == nullptr) {
    return Unsupported("no probe stubs for " + std::string(arch.name()) + " yet");
  }
  auto mapping = std::find_if(maps.begin(), maps.end(),
                              [&](const MemoryMapping& m) { return m.start <= pc && pc < m.end; });
  if (mapping == maps.end() || !(mapping->prot & PROT_EXEC)) {
    return Unsupported(Hex(pc) + " is not in executable memory");
  }
  if (mapping->path == "[vsyscall]") return Unsupported("the vsyscall page cannot be patched");

  const uint64_t start = std::max(mapping->start, pc >= kSiteWindow ? pc - kSiteWindow : 0);
  std::vector<uint8_t> window(std::min(mapping->end, pc + kSiteWindow) - start);
  ASSIGN_OR_RETURN(size_t readable, tracee.ReadMemoryPartial(start, window));
  window.resize(readable);
  if (fixup) fixup(start, window);
  arch::ProbeSite site = encoder->PlanSite(window, start, pc);
  if (!site.refusal.empty()) return Unsupported(site.refusal);
  return site;
}

}  // namespace

Status ProbeStub::CheckSite(const Tracee& tracee, uint64_t pc) {
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  return PlanAt(tracee, pc, maps).status();
}

Status ProbeStub::CheckSite(const Tracee& tracee, uint64_t pc,
                            const std::vector<MemoryMapping>& maps) {
  return PlanAt(tracee, pc, maps).status();
}

Status ProbeStub::CheckSite(const Tracee& tracee, uint64_t pc, const CodeFixup& fixup) {
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  return PlanAt(tracee, pc, maps, fixup).status();
}

Expected<ProbeStub> ProbeStub::Install(Tracee& tracee, ProbePages& pages, uint64_t syscall_insn,
                                       uint64_t pc, const arch::Registers& target,
                                       std::optional<ProbeMemCheck> mem,
                                       std::span<const uint8_t> vectors,
                                       const Placement& placement) {
  return InstallBuilt(
      tracee, pages, syscall_insn, pc,
      [&](const arch::ProbeEncoder& encoder, const arch::ProbeSite& site,
          const ProbePages::Slot& slot) {
        return encoder.Build(site, target, slot.code, slot.data, mem, false, vectors);
      },
      placement);
}

Expected<ProbeStub> ProbeStub::InstallCounting(Tracee& tracee, ProbePages& pages,
                                               uint64_t syscall_insn, uint64_t pc,
                                               const arch::Registers& target,
                                               std::optional<ProbeMemCheck> mem) {
  return InstallBuilt(tracee, pages, syscall_insn, pc,
                      [&](const arch::ProbeEncoder& encoder, const arch::ProbeSite& site,
                          const ProbePages::Slot& slot) {
                        return encoder.Build(site, target, slot.code, slot.data, mem, true, {});
                      });
}

Expected<ProbeStub> ProbeStub::InstallCountdown(Tracee& tracee, ProbePages& pages,
                                                uint64_t syscall_insn, uint64_t pc,
                                                uint64_t passes, const Placement& placement) {
  return InstallBuilt(
      tracee, pages, syscall_insn, pc,
      [&](const arch::ProbeEncoder& encoder, const arch::ProbeSite& site,
          const ProbePages::Slot& slot) {
        return encoder.BuildCountdown(site, passes, slot.code, slot.data);
      },
      placement);
}

Expected<ProbeStub> ProbeStub::InstallBuilt(
    Tracee& tracee, ProbePages& pages, uint64_t syscall_insn, uint64_t pc,
    const std::function<arch::ProbeCode(const arch::ProbeEncoder&, const arch::ProbeSite&,
                                        const ProbePages::Slot&)>& build,
    const Placement& placement) {
  const arch::Arch& arch = tracee.arch();
  const arch::ProbeEncoder* encoder = arch::ProbeEncoderFor(arch);
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  ASSIGN_OR_RETURN(arch::ProbeSite site, PlanAt(tracee, pc, maps, placement.program_code));

  ASSIGN_OR_RETURN(arch::Registers now, tracee.GetRegisters());
  const uint64_t now_pc = arch.Pc(now);
  const bool inside = now_pc > pc && now_pc < pc + site.original.size();
  const auto refuse_inside = [&] {
    return Unsupported("thread " + std::to_string(tracee.tid()) + " is stopped at " + Hex(now_pc) +
                       ", inside the bytes a probe at " + Hex(pc) + " would replace");
  };
  if (inside && !placement.move_tracee_inside) return refuse_inside();

  // A slot whose Build fails below stays unused; slots are cheap.
  ASSIGN_OR_RETURN(ProbePages::Slot slot, pages.Allocate(tracee, syscall_insn, pc, *encoder));
  arch::ProbeCode code = build(*encoder, site, slot);
  if (!code.refusal.empty()) return Unsupported(code.refusal);
  std::optional<uint64_t> moved_to;
  if (inside) {
    for (const arch::ProbeCode::Relocated& r : code.relocated) {
      if (r.original == now_pc) moved_to = r.copy;
    }
    if (!moved_to) return refuse_inside();
  }
  // The trampoline is complete before the jump to it exists.
  RETURN_IF_ERROR(tracee.WriteMemory(slot.data, code.data));
  RETURN_IF_ERROR(tracee.WriteMemory(slot.code, code.code));
  RETURN_IF_ERROR(tracee.WriteMemory(pc, code.patch));
  if (moved_to) {
    arch.SetPc(now, *moved_to);
    RETURN_IF_ERROR(tracee.SetRegisters(now));
  }

  ProbeStub stub;
  stub.pc_ = pc;
  stub.trap_pc_ = code.trap_pc;
  stub.bypass_pc_ = code.bypass_pc;
  stub.pass_counter_ = code.pass_counter;
  stub.original_ = std::move(site.original);
  stub.patch_ = std::move(code.patch);
  stub.relocated_ = std::move(code.relocated);
  stub.installed_ = true;
  return stub;
}

std::optional<uint64_t> ProbeStub::CopyOf(uint64_t addr) const {
  for (const arch::ProbeCode::Relocated& r : relocated_) {
    if (r.original == addr) return r.copy;
  }
  return std::nullopt;
}

std::optional<uint64_t> ProbeStub::OriginalOf(uint64_t copy) const {
  for (const arch::ProbeCode::Relocated& r : relocated_) {
    if (r.copy == copy) return r.original;
  }
  return std::nullopt;
}

Expected<uint64_t> ProbeStub::Passes(const Tracee& tracee) const {
  if (!pass_counter_) {
    return Status(ErrorCode::kInvalidInput, "the probe at " + Hex(pc_) + " counts no passes");
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, tracee.ReadBytes(pass_counter_, 8));
  uint64_t passes = 0;
  std::memcpy(&passes, bytes.data(), 8);
  return passes;
}

Status ProbeStub::SetPasses(Tracee& tracee, uint64_t passes) const {
  if (!pass_counter_) {
    return Status(ErrorCode::kInvalidInput, "the probe at " + Hex(pc_) + " counts no passes");
  }
  std::vector<uint8_t> bytes(8);
  std::memcpy(bytes.data(), &passes, 8);
  return tracee.WriteMemory(pass_counter_, bytes);
}

Expected<bool> ProbeStub::TakeHit(const Tracee& tracee, arch::Registers& regs) const {
  const arch::Arch& arch = tracee.arch();
  if (arch.Pc(regs) != trap_pc_) return false;
  arch.SetPc(regs, pc_);
  RETURN_IF_ERROR(tracee.SetRegisters(regs));
  return true;
}

Status ProbeStub::Remove(Tracee& tracee) {
  if (!installed_) return Status::Ok();
  RETURN_IF_ERROR(tracee.WriteMemory(pc_, original_));
  installed_ = false;
  return Status::Ok();
}

Status ProbeStub::Reinstall(Tracee& tracee) {
  if (installed_) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<uint8_t> now, tracee.ReadBytes(pc_, original_.size()));
  if (now != original_) return Unsupported("the code at " + Hex(pc_) + " changed");
  RETURN_IF_ERROR(tracee.WriteMemory(pc_, patch_));
  installed_ = true;
  return Status::Ok();
}

Status ProbeStub::RemoveFrom(Tracee& other) const {
  if (!installed_) return Status::Ok();
  return other.WriteMemory(pc_, original_);
}

void ProbeStub::Unpatch(uint64_t addr, std::span<uint8_t> bytes) const {
  if (!installed_) return;
  for (size_t i = 0; i < original_.size(); ++i) {
    const uint64_t a = pc_ + i;
    if (a >= addr && a - addr < bytes.size()) bytes[a - addr] = original_[i];
  }
}

}  // namespace rwd

#include "console/backtrace.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <libunwind-ptrace.h>

#include <cstring>
#include <memory>
#include <optional>

// libunwind's binary search of a remote .eh_frame_hdr table: exported by
// every libunwind (its ptrace accessors use it) but not declared by its
// headers. UNW_OBJ gives the target architecture's name for it.
extern "C" int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip,
                                                  unw_dyn_info_t* di, unw_proc_info_t* pi,
                                                  int need_unwind_info, void* arg);

namespace rwd::console {

namespace {

// .eh_frame_hdr's encodings (the LSB's DW_EH_PE_*): the binary search table
// libunwind can search holds pairs of 4-byte offsets from the header.
constexpr uint8_t kEhPeOmit = 0xff;
constexpr uint8_t kEhPeFormat = 0x0f;
constexpr uint8_t kEhPeUdata4 = 0x03;
constexpr uint8_t kEhPeSdata4 = 0x0b;
constexpr uint8_t kEhPeUdata8 = 0x04;
constexpr uint8_t kEhPeSdata8 = 0x0c;
constexpr uint8_t kEhPeDatarelSdata4 = 0x3b;
constexpr size_t kTableEntrySize = 8;

// A module's .eh_frame_hdr search table, at its addresses in the process.
struct SearchTable {
  uint64_t start = 0;  // the module's address range
  uint64_t end = 0;
  uint64_t header = 0;  // the .eh_frame_hdr
  uint64_t table = 0;   // its first entry
  uint64_t entries = 0;
};

// The table of the module mapped at `pc`, located through the module's
// load bias (libdwfl's, which holds however its mappings are split) in the
// ELF file's PT_GNU_EH_FRAME.
std::optional<SearchTable> SearchTableAt(const Symbols& symbols, uint64_t pc) {
  Dwfl_Module* module = symbols.ModuleOf(pc);
  if (!module) return std::nullopt;
  SearchTable out;
  Dwarf_Addr start = 0, end = 0;
  dwfl_module_info(module, nullptr, &start, &end, nullptr, nullptr, nullptr, nullptr);
  out.start = start;
  out.end = end;
  GElf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  size_t count = 0;
  if (!elf || elf_getphdrnum(elf, &count) != 0) return std::nullopt;
  for (size_t i = 0; i < count; ++i) {
    GElf_Phdr phdr;
    if (!gelf_getphdr(elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_GNU_EH_FRAME) {
      continue;
    }
    Elf_Data* data =
        elf_getdata_rawchunk(elf, static_cast<int64_t>(phdr.p_offset), phdr.p_filesz, ELF_T_BYTE);
    if (!data || data->d_size < 4) return std::nullopt;
    const auto* bytes = static_cast<const uint8_t*>(data->d_buf);
    // version, eh_frame_ptr's encoding, fde_count's, the table's.
    if (bytes[0] != 1 || bytes[3] != kEhPeDatarelSdata4) return std::nullopt;
    size_t at = 4;
    switch (bytes[1] & kEhPeFormat) {
      case kEhPeUdata4:
      case kEhPeSdata4:
        at += 4;
        break;
      case kEhPeUdata8:
      case kEhPeSdata8:
        at += 8;
        break;
      default:
        return std::nullopt;
    }
    uint8_t count_format = bytes[2] & kEhPeFormat;
    if (bytes[2] == kEhPeOmit || (count_format != kEhPeUdata4 && count_format != kEhPeSdata4) ||
        data->d_size < at + 4) {
      return std::nullopt;
    }
    uint32_t entries = 0;
    std::memcpy(&entries, bytes + at, sizeof entries);
    at += 4;
    if (data->d_size < at + entries * kTableEntrySize) return std::nullopt;
    out.header = phdr.p_vaddr + bias;
    out.table = out.header + at;
    out.entries = entries;
    return out;
  }
  return std::nullopt;
}

// The modules of the process being unwound, for FindProcInfo: libunwind
// hands every accessor the same argument, libunwind-ptrace's state, which
// its own accessors (FindProcInfo's search reads memory through them) must
// get. Set for the length of an Unwind; the console is single-threaded.
thread_local const Symbols* unwinding_symbols = nullptr;

// libunwind-ptrace's own lookup reads /proc/PID/maps and finds a module's
// table only from a mapping whose file offset is a PT_LOAD's. The syscall
// buffer's patches split libc's text into several mappings (the patched
// pages are private copies), so in most of libc it found none and fell back
// to frame pointers, which libc's functions do not keep: a bt from strlen
// skipped main. Here the table comes from the module's bias instead, and
// libunwind-ptrace's lookup remains for modules without one.
int FindProcInfo(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
                 void* upt) {
  if (!unwinding_symbols) return _UPT_find_proc_info(as, ip, pi, need_unwind_info, upt);
  if (std::optional<SearchTable> table = SearchTableAt(*unwinding_symbols, ip)) {
    unw_dyn_info_t di;
    std::memset(&di, 0, sizeof di);
    di.start_ip = table->start;
    di.end_ip = table->end;
    di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
    di.u.rti.segbase = table->header;
    di.u.rti.table_data = table->table;
    di.u.rti.table_len = table->entries * kTableEntrySize / sizeof(unw_word_t);
    int rc = UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi, need_unwind_info, upt);
    if (rc != -UNW_ENOINFO) return rc;
  }
  return _UPT_find_proc_info(as, ip, pi, need_unwind_info, upt);
}

}  // namespace

std::vector<Frame> Unwind(pid_t live_tid, const Symbols& symbols, size_t max_frames,
                          std::string* error) {
  std::vector<Frame> frames;
  unw_accessors_t accessors = _UPT_accessors;
  accessors.find_proc_info = FindProcInfo;
  std::unique_ptr<std::remove_pointer_t<unw_addr_space_t>, void (*)(unw_addr_space_t)> space(
      unw_create_addr_space(&accessors, 0), unw_destroy_addr_space);
  if (!space) {
    *error = "libunwind cannot create an address space";
    return frames;
  }
  std::unique_ptr<void, void (*)(void*)> upt(_UPT_create(live_tid), _UPT_destroy);
  if (!upt) {
    *error = "libunwind cannot read thread " + std::to_string(live_tid);
    return frames;
  }
  unwinding_symbols = &symbols;
  std::unique_ptr<const Symbols*, void (*)(const Symbols**)> unset(
      &unwinding_symbols, [](const Symbols** s) { *s = nullptr; });
  unw_cursor_t cursor;
  if (int rc = unw_init_remote(&cursor, space.get(), upt.get()); rc < 0) {
    *error = std::string("libunwind: ") + unw_strerror(rc);
    return frames;
  }
  do {
    unw_word_t pc = 0, sp = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &pc) < 0 || pc == 0) break;
    unw_get_reg(&cursor, UNW_REG_SP, &sp);
    Frame frame;
    frame.pc = pc;
    frame.sp = sp;
    // A caller's pc is a return address; its line is the call's.
    frame.where = symbols.Describe(pc, /*after_call=*/!frames.empty());
    frames.push_back(std::move(frame));
  } while (frames.size() < max_frames && unw_step(&cursor) > 0);
  return frames;
}

}  // namespace rwd::console

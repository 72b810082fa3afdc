#include "console/symbols.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>

#include "console/process_dwfl.h"

namespace rwd::console {

namespace {

std::vector<Dwfl_Module*> Modules(Dwfl* dwfl) {
  std::vector<Dwfl_Module*> out;
  dwfl_getmodules(
      dwfl,
      [](Dwfl_Module* m, void**, const char*, Dwarf_Addr, void* arg) {
        static_cast<std::vector<Dwfl_Module*>*>(arg)->push_back(m);
        return static_cast<int>(DWARF_CB_OK);
      },
      &out, 0);
  // The executable first: it is mapped below the libraries.
  std::sort(out.begin(), out.end(), [](Dwfl_Module* a, Dwfl_Module* b) {
    Dwarf_Addr sa = 0, sb = 0;
    dwfl_module_info(a, nullptr, &sa, nullptr, nullptr, nullptr, nullptr, nullptr);
    dwfl_module_info(b, nullptr, &sb, nullptr, nullptr, nullptr, nullptr, nullptr);
    return sa < sb;
  });
  return out;
}

std::string SourcePath(Dwarf_Die* cu, const char* file) {
  if (!file) return "";
  if (file[0] == '/') return file;
  Dwarf_Attribute attr;
  const char* dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
  return dir ? (std::filesystem::path(dir) / file).lexically_normal().string() : file;
}

// Calls `row(file, line, addr)` for each line-table row of each unit of
// `module` (addresses biased), until it returns false.
void ForEachRow(
    Dwfl_Module* module,
    const std::function<bool(Dwarf_Die* cu, Dwarf_Lines* lines, size_t i, Dwarf_Addr bias)>& row) {
  Dwarf_Addr bias = 0;
  Dwarf* dw = dwfl_module_getdwarf(module, &bias);
  if (!dw) return;
  Dwarf_Off offset = 0, next = 0;
  size_t header_size = 0;
  while (dwarf_nextcu(dw, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, offset + header_size, &cu)) {
      Dwarf_Lines* lines = nullptr;
      size_t n = 0;
      if (dwarf_getsrclines(&cu, &lines, &n) == 0) {
        for (size_t i = 0; i < n; ++i) {
          if (!row(&cu, lines, i, bias)) return;
        }
      }
    }
    offset = next;
  }
}

struct Row {
  Dwarf_Addr addr = 0;
  int line = 0;
  const char* file = nullptr;
  bool end_sequence = false;
};

// Calls `symbol(name, sym, addr)` for each defined function or data object
// in `module`'s symbol table (addresses biased), until it returns false.
void ForEachSymbol(
    Dwfl_Module* module,
    const std::function<bool(const char* name, const GElf_Sym& sym, GElf_Addr addr)>& symbol) {
  int count = dwfl_module_getsymtab(module);
  for (int i = 1; i < count; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    GElf_Word shndx = 0;
    const char* name = dwfl_module_getsym_info(module, i, &sym, &addr, &shndx, nullptr, nullptr);
    int type = GELF_ST_TYPE(sym.st_info);
    if (!name || shndx == SHN_UNDEF || addr == 0) continue;
    if (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC) continue;
    if (!symbol(name, sym, addr)) return;
  }
}

Row ReadRow(Dwarf_Lines* lines, size_t i) {
  Row r;
  Dwarf_Line* l = dwarf_onesrcline(lines, i);
  if (!l) return r;
  dwarf_lineaddr(l, &r.addr);
  dwarf_lineno(l, &r.line);
  r.file = dwarf_linesrc(l, nullptr, nullptr);
  dwarf_lineendsequence(l, &r.end_sequence);
  return r;
}

}  // namespace

Symbols::Symbols() : dwfl_(nullptr, dwfl_end) {}
Symbols::~Symbols() = default;

Status Symbols::Refresh(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::string maps((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (dwfl_ && pid == pid_ && maps == maps_) return Status::Ok();
  dwfl_.reset();
  ASSIGN_OR_RETURN(dwfl_, ReportProcessModules(pid));
  pid_ = pid;
  maps_ = std::move(maps);
  return Status::Ok();
}

Dwfl_Module* Symbols::ModuleOf(uint64_t addr) const {
  return dwfl_ ? dwfl_addrmodule(dwfl_.get(), addr) : nullptr;
}

std::optional<SourceLine> Symbols::LineAt(uint64_t addr) const {
  Dwfl_Module* module = ModuleOf(addr);
  if (!module) return std::nullopt;
  Dwarf_Addr bias = 0;
  Dwarf* dw = dwfl_module_getdwarf(module, &bias);
  Dwarf_Die cu;
  if (!dw || !dwarf_addrdie(dw, addr - bias, &cu)) return std::nullopt;
  Dwarf_Lines* lines = nullptr;
  size_t n = 0;
  if (dwarf_getsrclines(&cu, &lines, &n) != 0) return std::nullopt;
  // Rows are sorted by address; the one that applies is the last at or
  // below addr, up to the next row at a higher address.
  std::optional<Row> best;
  uint64_t end = 0;
  for (size_t i = 0; i < n; ++i) {
    Row r = ReadRow(lines, i);
    if (r.addr + bias <= addr) {
      best = r.end_sequence ? std::nullopt : std::optional<Row>(r);
    } else if (best) {
      end = r.addr + bias;
      break;
    }
  }
  if (!best || best->line == 0 || end == 0) return std::nullopt;
  return SourceLine{SourcePath(&cu, best->file), best->line, best->addr + bias, end};
}

CodeLocation Symbols::Describe(uint64_t addr, bool after_call) const {
  CodeLocation where;
  uint64_t lookup = after_call ? addr - 1 : addr;
  Dwfl_Module* module = ModuleOf(lookup);
  if (!module) return where;
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* name = dwfl_module_addrinfo(module, lookup, &offset, &sym, nullptr, nullptr, nullptr);
  if (name) {
    where.function = Demangle(name);
    where.offset = offset + (after_call ? 1 : 0);
    where.function_start = addr - where.offset;
  }
  const char* module_name =
      dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  where.module = module_name ? module_name : "";
  where.source = LineAt(lookup);
  return where;
}

std::optional<SymbolInfo> Symbols::Find(std::string_view name) const {
  if (!dwfl_) return std::nullopt;
  std::optional<SymbolInfo> found;
  for (Dwfl_Module* module : Modules(dwfl_.get())) {
    // Thread-locals (STT_TLS) are not listed: they are per thread, gdb's job.
    ForEachSymbol(module, [&](const char* sym_name, const GElf_Sym& sym, GElf_Addr addr) {
      if (name != sym_name) return true;
      int type = GELF_ST_TYPE(sym.st_info);
      found = SymbolInfo{sym_name, addr, sym.st_size, type != STT_OBJECT, type == STT_GNU_IFUNC};
      return false;
    });
    if (found) return found;
  }
  return std::nullopt;
}

std::vector<uint64_t> Symbols::GotSlots(std::string_view name) const {
  std::vector<uint64_t> slots;
  if (!dwfl_) return slots;
  for (Dwfl_Module* module : Modules(dwfl_.get())) {
    GElf_Addr bias = 0;
    Elf* elf = dwfl_module_getelf(module, &bias);
    if (!elf) continue;
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA || shdr.sh_entsize == 0) continue;
      Elf_Scn* symtab = elf_getscn(elf, shdr.sh_link);
      GElf_Shdr symtab_hdr;
      Elf_Data* relocs = elf_getdata(scn, nullptr);
      Elf_Data* syms = symtab ? elf_getdata(symtab, nullptr) : nullptr;
      if (!relocs || !syms || !gelf_getshdr(symtab, &symtab_hdr)) continue;
      for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; ++i) {
        GElf_Rela rela;
        GElf_Sym sym;
        if (!gelf_getrela(relocs, static_cast<int>(i), &rela) || GELF_R_SYM(rela.r_info) == 0 ||
            !gelf_getsym(syms, static_cast<int>(GELF_R_SYM(rela.r_info)), &sym)) {
          continue;
        }
        const char* sym_name = elf_strptr(elf, symtab_hdr.sh_link, sym.st_name);
        if (sym_name && name == sym_name) slots.push_back(rela.r_offset + bias);
      }
    }
  }
  return slots;
}

std::optional<uint64_t> Symbols::BreakpointAddress(const SymbolInfo& function) const {
  std::optional<SourceLine> first = LineAt(function.addr);
  if (!first) return function.addr;
  uint64_t end = function.addr + std::max<uint64_t>(function.size, 1);
  // The prologue is the function's first line; its body starts at the
  // next row of another line (as gdb places `break f`).
  for (uint64_t at = first->end; at < end;) {
    std::optional<SourceLine> next = LineAt(at);
    if (!next) break;
    if (!next->SameLine(*first)) return next->start;
    at = next->end;
  }
  return function.addr;
}

std::optional<uint64_t> Symbols::LineAddress(std::string_view file, int line) const {
  if (!dwfl_) return std::nullopt;
  auto matches = [&](Dwarf_Die* cu, const char* row_file) {
    if (!row_file) return false;
    std::string path = SourcePath(cu, row_file);
    if (path == file) return true;
    return path.size() > file.size() &&
           path.compare(path.size() - file.size(), file.size(), file) == 0 &&
           path[path.size() - file.size() - 1] == '/';
  };
  // The line itself, else the next one that has code (a blank line, a
  // comment), within a few lines.
  for (int wanted = line; wanted < line + 20; ++wanted) {
    std::optional<uint64_t> best;
    for (Dwfl_Module* module : Modules(dwfl_.get())) {
      ForEachRow(module, [&](Dwarf_Die* cu, Dwarf_Lines* lines, size_t i, Dwarf_Addr bias) {
        Row r = ReadRow(lines, i);
        if (r.line == wanted && !r.end_sequence && matches(cu, r.file)) {
          if (!best || r.addr + bias < *best) best = r.addr + bias;
        }
        return true;
      });
      if (best) return best;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Symbols::Names(std::string_view prefix) const {
  std::set<std::string> names;
  if (!dwfl_) return {};
  for (Dwfl_Module* module : Modules(dwfl_.get())) {
    ForEachSymbol(module, [&](const char* name, const GElf_Sym&, GElf_Addr) {
      std::string_view n(name);
      if (n.substr(0, prefix.size()) == prefix) names.insert(std::string(n));
      return true;
    });
  }
  return {names.begin(), names.end()};
}

}  // namespace rwd::console

#include "core/elf_image.h"

#include <elf.h>

#include <cstring>

namespace rwd {

namespace {

template <typename T>
bool ReadAt(std::span<const uint8_t> b, uint64_t off, T* out) {
  if (off > b.size() || b.size() - off < sizeof(T)) return false;
  std::memcpy(out, b.data() + off, sizeof(T));
  return true;
}

}  // namespace

bool ElfImage::Valid() const {
  Elf64_Ehdr eh;
  return ReadAt(bytes_, 0, &eh) && std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
         eh.e_ident[EI_CLASS] == ELFCLASS64;
}

std::optional<uint64_t> ElfImage::SymbolOffset(std::string_view name) const {
  Elf64_Ehdr eh;
  if (!Valid() || !ReadAt(bytes_, 0, &eh)) return std::nullopt;
  // Symbol values are link-time addresses; the load base corresponds to the
  // first PT_LOAD's p_vaddr.
  uint64_t link_base = 0;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!ReadAt(bytes_, eh.e_phoff + uint64_t(i) * eh.e_phentsize, &ph)) return std::nullopt;
    if (ph.p_type == PT_LOAD) {
      link_base = ph.p_vaddr - ph.p_offset;
      break;
    }
  }
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    if (!ReadAt(bytes_, eh.e_shoff + uint64_t(i) * eh.e_shentsize, &sh)) return std::nullopt;
    if (sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0) continue;
    Elf64_Shdr strtab;
    if (!ReadAt(bytes_, eh.e_shoff + uint64_t(sh.sh_link) * eh.e_shentsize, &strtab)) {
      return std::nullopt;
    }
    for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sh.sh_entsize) {
      Elf64_Sym sym;
      if (!ReadAt(bytes_, sh.sh_offset + off, &sym)) break;
      uint64_t name_off = strtab.sh_offset + sym.st_name;
      if (name_off >= bytes_.size()) continue;
      const char* s = reinterpret_cast<const char*>(bytes_.data() + name_off);
      size_t max = bytes_.size() - name_off;
      if (strnlen(s, max) == name.size() && std::memcmp(s, name.data(), name.size()) == 0 &&
          sym.st_value != 0) {
        return sym.st_value - link_base;
      }
    }
  }
  return std::nullopt;
}

}  // namespace rwd

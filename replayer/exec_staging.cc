#include "replayer/exec_staging.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "base/scoped_fd.h"
#include "core/proc_maps.h"

namespace rwd::replayer {

namespace {

// The kernel reads this much of a file to recognize it (BINPRM_BUF_SIZE).
constexpr size_t kBinprmBytes = 256;

Expected<std::string> ReadPrefix(const std::string& path, size_t max) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("opening " + path);
  std::string bytes(max, '\0');
  ssize_t n = pread(fd.get(), bytes.data(), max, 0);
  if (n < 0) return ErrnoError("reading " + path);
  bytes.resize(static_cast<size_t>(n));
  return bytes;
}

struct ElfInterp {
  uint64_t entry = 0;
  bool present = false;
  uint64_t offset = 0;  // of PT_INTERP in the file
  uint64_t vaddr = 0;
  std::string bytes;  // p_filesz bytes: the path and its NUL
};

Expected<ElfInterp> ReadElfInterp(const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("opening " + path);
  Elf64_Ehdr eh;
  auto bad = [&] { return Status(ErrorCode::kCorrupt, path + " is not a 64-bit ELF file"); };
  if (pread(fd.get(), &eh, sizeof(eh), 0) != sizeof(eh) ||
      memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return bad();
  }
  ElfInterp out;
  out.entry = eh.e_entry;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (pread(fd.get(), &ph, sizeof(ph), static_cast<off_t>(eh.e_phoff + i * sizeof(ph))) !=
        sizeof(ph)) {
      return bad();
    }
    if (ph.p_type != PT_INTERP) continue;
    if (ph.p_filesz < 2 || ph.p_filesz > 4096) return bad();
    out.present = true;
    out.offset = ph.p_offset;
    out.vaddr = ph.p_vaddr;
    out.bytes.resize(ph.p_filesz);
    if (pread(fd.get(), out.bytes.data(), ph.p_filesz, static_cast<off_t>(ph.p_offset)) !=
        static_cast<ssize_t>(ph.p_filesz)) {
      return bad();
    }
  }
  return out;
}

// The interpreter line of a #! script, split as the kernel splits it
// (fs/binfmt_script.c): the name up to the first blank, then the rest of
// the line, trimmed, as one optional argument.
struct Shebang {
  std::string name;
  std::optional<std::string> arg;
};

std::optional<Shebang> ParseShebang(const std::string& head) {
  if (head.size() < 2 || head[0] != '#' || head[1] != '!') return std::nullopt;
  std::string line = head.substr(
      2, head.find('\n') == std::string::npos ? std::string::npos : head.find('\n') - 2);
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!line.empty() && blank(line.back())) line.pop_back();
  size_t start = 0;
  while (start < line.size() && blank(line[start])) ++start;
  size_t end = start;
  while (end < line.size() && !blank(line[end]) && line[end] != '\0') ++end;
  if (end == start) return std::nullopt;
  Shebang s;
  s.name = line.substr(start, end - start);
  if (end < line.size() && line[end] != '\0') {
    size_t a = end;
    while (a < line.size() && blank(line[a])) ++a;
    if (a < line.size()) s.arg = line.substr(a);
  }
  return s;
}

Status CopyFileTo(const std::string& from, const std::string& to, mode_t mode) {
  std::error_code ec;
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Error("copying " + from + " to " + to + ": " + ec.message());
  if (chmod(to.c_str(), mode) != 0) return ErrnoError("chmod " + to);
  return Status::Ok();
}

Status WriteFile(const std::string& path, const std::string& bytes, mode_t mode) {
  ScopedFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return ErrnoError("creating " + path);
  if (write(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    return ErrnoError("writing " + path);
  }
  return Status::Ok();
}

}  // namespace

Expected<std::shared_ptr<ExecStaging>> ExecStaging::Create(const std::string& parent) {
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return Error("cannot create " + parent + ": " + ec.message());
  std::string templ = parent + "/replay-XXXXXX";
  if (!mkdtemp(templ.data())) return ErrnoError("creating a directory under " + parent);
  std::shared_ptr<ExecStaging> staging(new ExecStaging(std::filesystem::absolute(templ)));
  staging->owner_ = getpid();
  return staging;
}

ExecStaging::~ExecStaging() {
  // Checkpoints are forks of tracees, never of us; a forked helper (the gdb
  // launcher) execs or exits without running this.
  if (getpid() != owner_) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string ExecStaging::NewSlot() {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string slot;
  uint64_t n = slots_++;
  do {
    slot.insert(slot.begin(), kDigits[n % 36]);
    n /= 36;
  } while (n > 0);
  return slot;
}

Expected<std::string> ExecStaging::Padded(const std::string& slot, const std::string& base,
                                          size_t length, const std::string& what) {
  size_t used = slot.size() + 1 + base.size();
  if (used > length) {
    return Status(ErrorCode::kUnsupported, "cannot stage " + what + ": its recorded path has " +
                                               std::to_string(length) + " characters, fewer than " +
                                               std::to_string(used));
  }
  return slot + std::string(1 + length - used, '/') + base;
}

// Names a staged file `base` if that fits in `length`, else a prefix of it.
static std::string FittingName(const std::string& slot, const std::string& base, size_t length) {
  size_t room = length > slot.size() + 1 ? length - slot.size() - 1 : 1;
  return base.substr(0, std::max<size_t>(room, 1));
}

Expected<std::string> ExecStaging::StageElf(const std::string& elf, const std::string& base,
                                            size_t length, const std::string& interp, Plan* plan) {
  ASSIGN_OR_RETURN(ElfInterp info, ReadElfInterp(elf));
  plan->entry = info.entry;
  if (info.present) {
    plan->interp_vaddr = info.vaddr;
    plan->interp = info.bytes;
    if (interp.empty()) {
      return Status(ErrorCode::kNotFound, "the trace has no copy of " +
                                              std::string(info.bytes.c_str()) +
                                              ", the interpreter of " + base);
    }
  }
  std::string key = elf + "\n" + base + "\n" + std::to_string(length) + "\n" + interp;
  if (auto it = staged_.find(key); it != staged_.end()) return it->second;

  std::string slot = NewSlot();
  std::string name = FittingName(slot, base, length);
  std::filesystem::create_directory(dir_ + "/" + slot);
  std::string path = dir_ + "/" + slot + "/" + name;
  if (!info.present) {
    if (symlink(elf.c_str(), path.c_str()) != 0) return ErrnoError("linking " + elf);
  } else {
    std::string recorded(info.bytes.c_str());
    std::string interp_slot = NewSlot();
    std::string interp_name = FittingName(
        interp_slot, std::filesystem::path(recorded).filename().string(), recorded.size());
    std::filesystem::create_directory(dir_ + "/" + interp_slot);
    std::string link = dir_ + "/" + interp_slot + "/" + interp_name;
    if (symlink(interp.c_str(), link.c_str()) != 0) {
      return ErrnoError("linking " + interp + " to " + link);
    }
    ASSIGN_OR_RETURN(std::string patched,
                     Padded(interp_slot, interp_name, recorded.size(), recorded));
    patched.resize(info.bytes.size(), '\0');
    RETURN_IF_ERROR(CopyFileTo(elf, path, 0700));
    ScopedFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid() ||
        pwrite(fd.get(), patched.data(), patched.size(), static_cast<off_t>(info.offset)) !=
            static_cast<ssize_t>(patched.size())) {
      return ErrnoError("patching the interpreter path of " + path);
    }
  }
  ASSIGN_OR_RETURN(std::string rel, Padded(slot, name, length, base));
  staged_[key] = rel;
  return rel;
}

Expected<ExecStaging::Plan> ExecStaging::Prepare(const Inputs& in) {
  Plan plan;
  const std::string& filename = in.recorded_filename;
  std::string exec_base = std::filesystem::path(filename).filename();
  if (exec_base.empty()) exec_base = "x";
  if (in.script.empty()) {
    ASSIGN_OR_RETURN(plan.filename, StageElf(in.elf, exec_base, filename.size(), in.interp, &plan));
  } else {
    ASSIGN_OR_RETURN(std::string head, ReadPrefix(in.script, kBinprmBytes));
    std::optional<Shebang> shebang = ParseShebang(head);
    if (!shebang) {
      return Status(ErrorCode::kCorrupt,
                    "the trace's copy of " + filename + " does not start with a #! line");
    }
    std::string interp_base = std::filesystem::path(shebang->name).filename();
    if (interp_base.empty()) interp_base = "x";
    ASSIGN_OR_RETURN(std::string interp_name,
                     StageElf(in.elf, interp_base, shebang->name.size(), in.interp, &plan));
    std::string slot = NewSlot();
    std::string base = FittingName(slot, exec_base, filename.size());
    std::filesystem::create_directory(dir_ + "/" + slot);
    std::string line = "#!" + interp_name + (shebang->arg ? " " + *shebang->arg : "") + "\n";
    RETURN_IF_ERROR(WriteFile(dir_ + "/" + slot + "/" + base, line, 0700));
    ASSIGN_OR_RETURN(plan.filename, Padded(slot, base, filename.size(), filename));
    plan.restore[interp_name] = shebang->name;
  }
  plan.restore[plan.filename] = filename;
  return plan;
}

Status ExecStaging::Fixup(Tracee& tracee, const Plan& plan) {
  auto restore = [&](uint64_t addr) -> Status {
    ASSIGN_OR_RETURN(std::string s, tracee.ReadCString(addr));
    auto it = plan.restore.find(s);
    if (it == plan.restore.end()) return Status::Ok();
    if (it->second.size() != s.size()) {
      return Error("internal error: staged path " + s + " differs in length from " + it->second);
    }
    return tracee.WriteMemory(
        addr, {reinterpret_cast<const uint8_t*>(it->second.data()), it->second.size()});
  };
  ASSIGN_OR_RETURN(arch::Registers regs, tracee.GetRegisters());
  uint64_t sp = tracee.arch().Sp(regs);
  ASSIGN_OR_RETURN(uint64_t argc, tracee.Read<uint64_t>(sp));
  for (uint64_t i = 0; i < argc && i < 4096; ++i) {
    ASSIGN_OR_RETURN(uint64_t arg, tracee.Read<uint64_t>(sp + 8 * (i + 1)));
    RETURN_IF_ERROR(restore(arg));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> auxv, ReadAuxvBytes(tracee.tid()));
  if (auto execfn = AuxvValue(auxv, AT_EXECFN)) RETURN_IF_ERROR(restore(*execfn));
  if (!plan.interp.empty()) {
    auto entry = AuxvValue(auxv, AT_ENTRY);
    if (!entry) return Error("the new image has no AT_ENTRY");
    uint64_t bias = *entry - plan.entry;
    RETURN_IF_ERROR(tracee.WriteMemory(
        bias + plan.interp_vaddr,
        {reinterpret_cast<const uint8_t*>(plan.interp.data()), plan.interp.size()}));
  }
  return Status::Ok();
}

}  // namespace rwd::replayer

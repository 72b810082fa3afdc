// Inspecting the current point: bt, disas, info registers, x, print
// (console/command_table.h).
#include <cctype>
#include <charconv>
#include <cinttypes>
#include <cstring>
#include <filesystem>

#include "base/hex.h"
#include "console/backtrace.h"
#include "console/command_table.h"

namespace rwd::console {

namespace {

// Splits "A B" at white space.
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = text.find_first_not_of(" \t", at)) != std::string::npos) {
    size_t end = text.find_first_of(" \t", at);
    out.push_back(text.substr(at, end - at));
    at = end;
  }
  return out;
}

Expected<uint64_t> Count(const std::string& text, const std::string& what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0) {
    return Status(ErrorCode::kInvalidInput, "'" + text + "' is not " + what);
  }
  return v;
}

bool IsIdentifier(const std::string& text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '@') {
      return false;
    }
  }
  return true;
}

}  // namespace

Status BacktraceCommand(Context& cx, const std::string& args) {
  RETURN_IF_ERROR(cx.session().CheckLive());
  uint64_t max = 64;
  if (!args.empty()) {
    ASSIGN_OR_RETURN(max, Count(args, "a number of frames"));
  }
  ASSIGN_OR_RETURN(pid_t live_tid, cx.LiveTid(cx.Thread()));
  std::string error;
  std::vector<Frame> frames = Unwind(live_tid, cx.symbols(), max, &error);
  if (frames.empty()) return Status(ErrorCode::kError, "cannot unwind the stack: " + error);
  for (size_t i = 0; i < frames.size(); ++i) {
    const CodeLocation& w = frames[i].where;
    std::string line = "#" + std::to_string(i) + "  " + Hex(frames[i].pc) + " in " +
                       (w.function.empty() ? "??" : w.function) + " ()";
    if (w.source) {
      line += " at " + w.source->file + ":" + std::to_string(w.source->line);
    } else if (!w.module.empty()) {
      line += " from " + cx.ModuleName(w.module);
    }
    cx.Print(line + "\n");
  }
  return Status::Ok();
}

Status DisasCommand(Context& cx, const std::string& args) {
  std::vector<std::string> words = Words(args);
  if (words.size() > 2) return Status(ErrorCode::kInvalidInput, "usage: disas [ADDR] [N]");
  ASSIGN_OR_RETURN(uint64_t pc, cx.Pc());
  uint64_t addr = pc;
  uint64_t count = 10;
  if (!words.empty()) {
    ASSIGN_OR_RETURN(addr, cx.ParseAddress(words[0]));
  }
  if (words.size() == 2) {
    ASSIGN_OR_RETURN(count, Count(words[1], "a number of instructions"));
  }
  // Instructions are at most 16 bytes (x86-64); fewer bytes may be mapped.
  size_t want = count * 16;
  Expected<std::vector<uint8_t>> code = cx.session().live().ReadMemory(RemoteAddr(addr), want);
  if (!code.ok() || code->empty()) {
    return Status(ErrorCode::kInvalidInput, "cannot read code at " + Hex(addr));
  }
  std::vector<arch::DecodedInsn> insns = cx.arch().Disassemble(*code, addr, count);
  if (insns.empty())
    return Status(ErrorCode::kInvalidInput, "no instruction decodes at " + Hex(addr));
  for (const arch::DecodedInsn& insn : insns) {
    std::string line = (insn.addr == pc ? "=> " : "   ") + Hex(insn.addr) + " " +
                       cx.NameAddress(insn.addr) + ":\t" + insn.text;
    if (insn.branch_target) {
      std::string target = cx.NameAddress(*insn.branch_target);
      if (!target.empty()) line += " " + target;
    }
    cx.Print(line + "\n");
  }
  return Status::Ok();
}

Status InfoRegistersCommand(Context& cx, const std::string& args) {
  ASSIGN_OR_RETURN(arch::Registers regs, cx.Registers());
  bool any = false;
  for (const arch::GdbRegister& r : cx.arch().GdbRegisters()) {
    if (r.source != arch::RegSource::kGp || r.bitsize > 64) continue;
    std::string name(r.name);
    if (!args.empty() && name != args && "$" + name != args) continue;
    uint64_t v = 0;
    memcpy(&v, regs.data() + r.offset, r.bitsize / 8);
    char buf[96];
    snprintf(buf, sizeof(buf), "%-15s0x%-18" PRIx64 "%" PRId64 "\n", name.c_str(), v,
             static_cast<int64_t>(v));
    cx.Print(buf);
    any = true;
  }
  if (!any) return Status(ErrorCode::kNotFound, "no general-purpose register " + args);
  return Status::Ok();
}

// x/NFU ADDR: N units of U bytes (b 1, h 2, w 4, g 8) in format F (x hex,
// d signed, u unsigned, c characters).
Status ExamineCommand(Context& cx, const std::string& args) {
  std::string spec, where = args;
  if (!args.empty() && args[0] == '/') {
    size_t space = args.find_first_of(" \t");
    spec = args.substr(1, space == std::string::npos ? std::string::npos : space - 1);
    where = space == std::string::npos ? "" : args.substr(args.find_first_not_of(" \t", space));
  }
  uint64_t count = 1;
  char format = 'x';
  size_t unit = 4;
  size_t digits = 0;
  while (digits < spec.size() && std::isdigit(static_cast<unsigned char>(spec[digits]))) ++digits;
  if (digits > 0) {
    ASSIGN_OR_RETURN(count, Count(spec.substr(0, digits), "a count"));
  }
  for (char c : spec.substr(digits)) {
    switch (c) {
      case 'x':
      case 'd':
      case 'u':
      case 'c':
        format = c;
        if (c == 'c') unit = 1;
        break;
      case 'b':
        unit = 1;
        break;
      case 'h':
        unit = 2;
        break;
      case 'w':
        unit = 4;
        break;
      case 'g':
        unit = 8;
        break;
      default:
        return Status(ErrorCode::kInvalidInput, std::string("x: unknown format or unit '") + c +
                                                    "' (formats x d u c, units b h w g)");
    }
  }
  if (count > 4096) return Status(ErrorCode::kInvalidInput, "x: at most 4096 units at a time");
  ASSIGN_OR_RETURN(uint64_t addr, cx.ParseAddress(where));
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, cx.ReadMemory(addr, count * unit));
  size_t per_line = unit == 1 ? 8 : 16 / unit;
  for (size_t i = 0; i < count; ++i) {
    if (i % per_line == 0) {
      if (i) cx.Print("\n");
      cx.Print(Hex(addr + i * unit) + " " + cx.NameAddress(addr + i * unit) + ":");
    }
    uint64_t v = 0;
    memcpy(&v, bytes.data() + i * unit, unit);
    char buf[40];
    if (format == 'x') {
      snprintf(buf, sizeof(buf), "\t0x%0*" PRIx64, static_cast<int>(unit * 2), v);
    } else if (format == 'c') {
      snprintf(buf, sizeof(buf), "\t%d '%c'", static_cast<int>(v),
               std::isprint(static_cast<int>(v)) ? static_cast<char>(v) : '.');
    } else if (format == 'd') {
      int64_t s = static_cast<int64_t>(v << (64 - 8 * unit)) >> (64 - 8 * unit);
      snprintf(buf, sizeof(buf), "\t%" PRId64, s);
    } else {
      snprintf(buf, sizeof(buf), "\t%" PRIu64, v);
    }
    cx.Print(buf);
  }
  cx.Print("\n");
  return Status::Ok();
}

Status PrintCommand(Context& cx, const std::string& args) {
  if (args.empty()) return Status(ErrorCode::kInvalidInput, "usage: print SYMBOL|$REG");
  if (args[0] == '$') {
    ASSIGN_OR_RETURN(uint64_t v, cx.RegisterValue(args.substr(1)));
    cx.Print(args + " = " + std::to_string(static_cast<int64_t>(v)) + " (" + Hex(v) + ")\n");
    return Status::Ok();
  }
  if (!IsIdentifier(args)) {
    return Status(ErrorCode::kUnsupported,
                  "print takes a global variable or a register here; expressions (" + args +
                      ") are gdb's job: 'rewind replay' debugs this trace in gdb");
  }
  std::optional<SymbolInfo> sym = cx.symbols().Find(args);
  if (!sym) return Status(ErrorCode::kNotFound, "no symbol '" + args + "' (locals are gdb's job)");
  if (sym->is_function) {
    cx.Print(args + " = function at " + Hex(sym->addr) + "\n");
    return Status::Ok();
  }
  uint64_t size = sym->size == 0 ? 8 : std::min<uint64_t>(sym->size, 256);
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, cx.ReadMemory(sym->addr, size));
  std::string text = args + " = " + FormatBytes(bytes);
  if (size < sym->size) text += " (first 256 of " + std::to_string(sym->size) + " bytes)";
  cx.Print(text + "\n");
  return Status::Ok();
}

}  // namespace rwd::console

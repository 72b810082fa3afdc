#include "cli/syscall_buffer_option.h"

#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "preload/syscallbuf_abi.h"

namespace rwd::cli {

namespace {

// Without a flag or REWIND_SYSCALLBUF.
constexpr bool kSyscallBufferByDefault = true;

// The syscall buffer library, built next to the rewind binary; "" when it
// is not there (the recording then stops at every syscall).
std::string SyscallBufferLibrary() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  std::filesystem::path library = self.parent_path() / RWD_SB_LIBRARY_NAME;
  return std::filesystem::exists(library, ec) ? library.string() : "";
}

}  // namespace

void AddSyscallBufferFlags(CLI::App& app, SyscallBufferFlags* flags) {
  CLI::Option* on = app.add_flag(
      "--syscallbuf", flags->on,
      std::string("buffer the hot syscalls (file reads and writes, stat, clocks,\n"
                  "...) inside the program instead of stopping it at each one\n"
                  "(x86-64, dynamically linked programs") +
          (kSyscallBufferByDefault ? "; the default" : "") + "; also REWIND_SYSCALLBUF=1)");
  CLI::Option* off = app.add_flag("--no-syscallbuf", flags->off,
                                  std::string("stop the program at every syscall") +
                                      (kSyscallBufferByDefault ? "" : " (the default)") +
                                      "; also REWIND_SYSCALLBUF=0");
  on->excludes(off);
}

std::string ChosenSyscallBufferLibrary(const SyscallBufferFlags& flags, bool verbose) {
  bool wanted = kSyscallBufferByDefault;
  if (const char* env = getenv("REWIND_SYSCALLBUF")) {
    if (std::string(env) == "1") wanted = true;
    if (std::string(env) == "0") wanted = false;
  }
  if (flags.on) wanted = true;
  if (flags.off) wanted = false;
  if (!wanted) return "";
  std::string library = SyscallBufferLibrary();
  if (library.empty() && verbose) {
    PrintError("no librewind_syscallbuf.so next to the rewind binary: every syscall stops");
  }
  return library;
}

}  // namespace rwd::cli

#include "cli/live_backtrace.h"

#include <elfutils/libdwfl.h>

#include <filesystem>
#include <memory>

#include "console/process_dwfl.h"

namespace rwd::cli {

namespace {

struct Walk {
  Dwfl* dwfl = nullptr;
  size_t max_frames = 0;
  std::vector<StackFrame> frames;
};

int OnFrame(Dwfl_Frame* state, void* arg) {
  auto* walk = static_cast<Walk*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(state, &pc, &activation)) return DWARF_CB_ABORT;
  StackFrame frame;
  frame.pc = pc;
  // A return address points after the call; its line is the call's.
  Dwarf_Addr lookup = activation ? pc : pc - 1;
  if (Dwfl_Module* module = dwfl_addrmodule(walk->dwfl, lookup)) {
    frame.function = console::Demangle(dwfl_module_addrname(module, lookup));
    const char* main_file = nullptr;
    dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, &main_file, nullptr);
    const char* name =
        dwfl_module_info(module, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    frame.module = main_file ? main_file : (name ? name : "");
    if (Dwfl_Line* line = dwfl_module_getsrc(module, lookup)) {
      int lineno = 0;
      const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
      if (file) {
        // Relative names are relative to the compilation's directory.
        const char* comp_dir = dwfl_line_comp_dir(line);
        frame.file = file[0] != '/' && comp_dir
                         ? (std::filesystem::path(comp_dir) / file).lexically_normal().string()
                         : file;
        frame.line = lineno;
      }
    }
  }
  walk->frames.push_back(std::move(frame));
  return walk->frames.size() >= walk->max_frames ? DWARF_CB_ABORT : DWARF_CB_OK;
}

}  // namespace

std::vector<StackFrame> LiveBacktrace(pid_t pid, pid_t tid, size_t max_frames, std::string* error) {
  Walk walk;
  walk.max_frames = max_frames;
  Expected<console::DwflHandle> dwfl = console::ReportProcessModules(pid);
  if (!dwfl.ok()) {
    *error = dwfl.status().message();
    return walk.frames;
  }
  walk.dwfl = dwfl->get();
  auto fail = [&](const std::string& what) {
    *error = what + ": " + dwfl_errmsg(-1);
    return walk.frames;
  };
  // We are its tracer and the thread is stopped: libdw must not attach.
  if (dwfl_linux_proc_attach(dwfl->get(), pid, /*assume_ptrace_stopped=*/true) != 0) {
    return fail("attaching the unwinder");
  }
  if (dwfl_getthread_frames(dwfl->get(), tid, OnFrame, &walk) != 0 &&
      walk.frames.size() < max_frames) {
    // The walk ends with an error at the outermost frame of most stacks
    // (no CFI for _start, or a zero return address): only none is a failure.
    if (walk.frames.empty()) return fail("unwinding");
  }
  return walk.frames;
}

}  // namespace rwd::cli

#include "console/process_dwfl.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>

#include <cstdlib>

namespace rwd::console {

Expected<DwflHandle> ReportProcessModules(pid_t pid) {
  static char* debuginfo_path = nullptr;
  static const Dwfl_Callbacks kCallbacks = {
      .find_elf = dwfl_linux_proc_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = nullptr,
      .debuginfo_path = &debuginfo_path,
  };
  DwflHandle dwfl(dwfl_begin(&kCallbacks), dwfl_end);
  if (!dwfl) return Status(ErrorCode::kError, std::string("libdw: ") + dwfl_errmsg(-1));
  dwfl_report_begin(dwfl.get());
  int failed = dwfl_linux_proc_report(dwfl.get(), pid);
  if (dwfl_report_end(dwfl.get(), nullptr, nullptr) != 0) failed = -1;
  if (failed != 0) {
    return Status(ErrorCode::kError, "cannot read the mappings of process " + std::to_string(pid) +
                                         ": " + dwfl_errmsg(-1));
  }
  return dwfl;
}

std::string Demangle(const char* name) {
  if (!name) return "";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? demangled.get() : name;
}

}  // namespace rwd::console

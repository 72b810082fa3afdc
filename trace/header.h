// TraceHeader: what a trace says about itself, written once at the start.
// The replayer checks `format_version` and `arch` before reading anything
// else, and recreates the process from argv/envp/cwd.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rwd::trace {

// 2: threads and processes; 3: ExecEvent.tsc_reads_patched; 4: private file
// copies (maybe .zst, never hard links), #! scripts kept
// (ExecEvent::script_file_id); 5: fingerprints say whether they hash the
// globals; 6: and keep their stack window; 7: and the vector registers;
// 8: their stack hash covers the brk heap too (core/stack_hash.h); 9:
// writes into files mapped MAP_SHARED (SyscallEvent::file_writes);
// 10: a signal's may name its pass (SignalEvent::pass_count); 11: a batch
// of buffered syscalls keeps the buffer's records as they are
// (SyscallBatchEvent::records); 12: a fingerprinted signal hashes all
// writable memory (SignalEvent::memory_hash, memory_pages).
inline constexpr uint32_t kFormatVersion = 12;

struct TraceHeader {
  uint32_t format_version = kFormatVersion;
  std::string arch;       // arch::Arch::name()
  std::string cpu_model;  // /proc/cpuinfo model name
  // The instruction sets (/proc/cpuinfo names) the program could see and
  // use: the replay machine must have them too.
  std::string cpu_features;
  std::string kernel;    // uname -r
  std::string exe_path;  // absolute path of the program
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string cwd;
  int32_t pinned_cpu = -1;     // CPU the tracee ran on
  uint64_t start_time_ns = 0;  // CLOCK_REALTIME when recording began
  // What cpuid told the program: arch::CpuidMaskName, "native" or
  // "baseline". Added to format 6 as an optional last field: traces
  // without it were recorded native (format 7 always has it).
  std::string cpuid_mask = "native";
  bool operator==(const TraceHeader&) const = default;
};

}  // namespace rwd::trace

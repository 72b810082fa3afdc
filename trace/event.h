// Events: the typed records of a trace's event stream. Every source of
// nondeterminism the recorder intercepts becomes one Event; the replayer
// consumes them in order and checks that the replayed program produces the
// same stops (syscall number and arguments, signal, trapped instruction).
//
// Event numbers are implicit: the position in the stream, starting at 0.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "arch/arch.h"

namespace rwd::trace {

// A range of tracee memory the kernel (or the recorder) wrote.
struct MemWrite {
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;
  bool operator==(const MemWrite&) const = default;
};

// A file mapping present in a process, with the trace copy of its bytes.
struct FileMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;
  uint32_t prot = 0;    // PROT_* bits
  uint32_t flags = 0;   // MAP_* bits (MAP_PRIVATE/MAP_SHARED)
  std::string path;     // as the recorded process saw it
  std::string file_id;  // content hash naming the copy in the trace, or ""
  bool operator==(const FileMapping&) const = default;
};

// SyscallEvent::mapped_path of an mmap of /dev/zero, which replay maps as
// anonymous memory (private or shared, as recorded).
inline constexpr char kDevZeroPath[] = "/dev/zero";

// What a write-family call (or ftruncate, fallocate) did to a file that the
// process maps MAP_SHARED: the mapping shows it at once. Replay emulates the
// call, so it puts the bytes into its own copy of the mapped file
// (SharedFileCopies) and gives the copy the file's size.
struct FileWrite {
  std::string path;  // the mapped file, as the mmap event named it
  uint64_t offset = 0;
  std::vector<uint8_t> bytes;
  uint64_t size_after = 0;  // the file's size after the call
  bool operator==(const FileWrite&) const = default;
};

struct SyscallEvent {
  int64_t nr = 0;
  std::array<uint64_t, 6> args{};
  int64_t result = 0;
  std::vector<MemWrite> writes;
  // For mmap of a file: the copy replay must map instead of the fd. A
  // mapping of /dev/zero has no copy and the path kDevZeroPath.
  std::string mapped_file_id;
  std::string mapped_path;
  // For writes: 1 or 2 when the fd was the recorder's own stdout or stderr
  // (so replay reproduces the output there), 0 otherwise (a pipe, a file).
  uint8_t output_stream = 0;
  // For an mmap MAP_SHARED of a file opened for writing: the program may
  // change the file through write() while it is mapped, so replay maps a
  // copy it can change (file_writes of later events) instead of the trace's.
  bool mapped_file_writable = false;
  std::vector<FileWrite> file_writes;
  bool operator==(const SyscallEvent&) const = default;
};

struct SignalEvent {
  int signo = 0;
  std::vector<uint8_t> siginfo;  // the kernel's siginfo_t bytes (128)
  uint64_t pc = 0;
  // True for faults the CPU raises again in replay (SIGSEGV from a bad
  // access, SIGILL, SIGFPE, SIGTRAP, SIGBUS with si_code > 0). False for
  // signals that came from a syscall or from outside: replay injects them.
  bool synchronous = false;
  // Empty when the recorder delivered the signal right after the previous
  // event (always legal for an asynchronous signal). Otherwise the thread's
  // registers (arch NT_PRSTATUS layout) where it was stopped to take the
  // signal, because it reached no event in time (e.g. it busy-waited for the
  // handler); replay delivers at the first point with these registers.
  std::vector<uint8_t> fingerprint;
  uint64_t stack_hash = 0;  // core/stack_hash.h, with a fingerprint
  // Whether stack_hash covers the executable's globals (and the brk heap)
  // too. Not when another thread of the process was inside a syscall that
  // may write memory at any moment (a read into a global buffer): replay
  // writes its results only at its event, so those bytes would differ.
  bool hashes_globals = true;
  // The stack bytes stack_hash covers (core/stack_hash.h): replay finds in
  // them a word that tells the recorded pass of a loop from the others.
  std::vector<uint8_t> stack_window;
  // A stack word that tells the passes of a loop apart when the registers
  // do not (a counter kept on the stack): the word at sp + stack_word_offset
  // held stack_word. Unused when has_stack_word is false.
  bool has_stack_word = false;
  int32_t stack_word_offset = 0;
  uint64_t stack_word = 0;
  // The FP and vector registers there (Arch::VectorRegisterValues), with a
  // fingerprint; empty when they could not be read.
  std::vector<uint8_t> vector_registers;
  // With a fingerprint, when not 0: the signal came at the thread's
  // pass_count-th arrival at the fingerprint's pc since its previous event
  // (recorder/pass_counter.h), which replay counts; the rest of the
  // fingerprint then only checks it is there.
  uint64_t pass_count = 0;
  // With a fingerprint, when not 0: core/memory_hash.h's WritableMemoryHash
  // there (a thread alone in its process). Replay places the signal only
  // where it matches: the passes of an interpreter's loop differ only there.
  uint64_t memory_hash = 0;
  // With memory_hash and no pass_count: the pages it covers, each address
  // and hash (core/memory_hash.h's EncodePageHashes), so that replay checks
  // only the pages that differed at the loop's previous pass.
  std::vector<uint8_t> memory_pages;
  bool operator==(const SignalEvent&) const = default;
};

// rdtsc/rdtscp/cpuid/rdrand/... : values written by the trapped instruction.
struct InsnTrapEvent {
  arch::TrapInsnKind kind = arch::TrapInsnKind::kNone;
  uint64_t pc = 0;
  std::vector<uint64_t> values;
  bool operator==(const InsnTrapEvent&) const = default;
};

// A successful execve. Replay really executes it, then applies the fixups.
struct ExecEvent {
  std::string path;  // the path execve was given (resolved)
  std::vector<std::string> argv;
  std::string exe_file_id;         // trace copy of the ELF that runs
  std::vector<uint8_t> at_random;  // the 16 AT_RANDOM bytes the kernel chose
  uint64_t at_random_addr = 0;
  std::vector<FileMapping> mappings;  // file mappings right after exec
  std::vector<uint64_t> trap_sites;   // patched nondeterministic instructions
  bool cpuid_faulting = false;
  // rdtsc/rdtscp are among trap_sites: the recording host could not make
  // them fault (Arch::KernelTrapsTscReads), so replay patches them too.
  bool tsc_reads_patched = false;
  // Trace copy of the #! script execve was given, when that was a script
  // (then exe_file_id is its interpreter's); "" for an ELF.
  std::string script_file_id;
  bool operator==(const ExecEvent&) const = default;
};

// The thread ended. `whole_process`: its thread group ended with it (exit_group,
// a fatal signal, or the last thread's exit) and wait_status is the process's
// waitpid status; other threads that died with it have no events of their own.
// Otherwise only this thread ended (SYS_exit) and wait_status is its own.
struct ExitEvent {
  int wait_status = 0;
  bool whole_process = true;
  bool operator==(const ExitEvent&) const = default;
};

// The thread entered a syscall and other threads ran before its result came
// back (it blocked, or another thread became runnable meanwhile). Its result
// follows later as a SyscallEvent of the same thread; replay leaves the thread
// at the syscall's entry until then.
struct SyscallEntryEvent {
  int64_t nr = 0;
  std::array<uint64_t, 6> args{};
  bool operator==(const SyscallEntryEvent&) const = default;
};

// The recorder stopped the thread in the middle of its code (it ran a whole
// time slice without an event while another thread was waiting to run).
// `fingerprint` is the thread's registers there (arch NT_PRSTATUS layout),
// `stack_hash` hashes the stack around sp (core/stack_hash.h); replay runs the
// thread to the first state matching both, as for a fingerprinted signal.
struct PreemptEvent {
  std::vector<uint8_t> fingerprint;
  uint64_t stack_hash = 0;
  bool hashes_globals = true;         // as SignalEvent's
  std::vector<uint8_t> stack_window;  // as SignalEvent's
  // A stack word that tells the passes of a loop apart when the registers
  // do not (a counter kept on the stack): the word at sp + stack_word_offset
  // held stack_word. Unused when has_stack_word is false.
  bool has_stack_word = false;
  int32_t stack_word_offset = 0;
  uint64_t stack_word = 0;
  std::vector<uint8_t> vector_registers;  // as SignalEvent's
  bool operator==(const PreemptEvent&) const = default;
};

// Syscalls the thread ran through the in-process syscall buffer (preload/)
// since its previous event, in order, each with its result and the memory
// the kernel wrote; for a write to the recorder's stdout or stderr
// (output_stream 1 or 2), `writes` holds the bytes written instead, for
// replay to show. Replay hands them to the thread's buffer before the thread
// runs to its next event; the library there returns them without syscalls.
struct SyscallBatchEvent {
  // The records of the thread's buffer (preload/syscallbuf_abi.h), as the
  // library wrote them: replay hands them back to it as they are, with no
  // conversion per call (a batch holds thousands). trace/buffer_records.h
  // reads them as SyscallEvents and writes SyscallEvents as records.
  uint64_t count = 0;
  std::vector<uint8_t> records;
  bool operator==(const SyscallBatchEvent&) const = default;
};

// Thread and process creation is the clone/fork/vfork SyscallEvent of the
// parent: its result is the new thread's recorded tid, and the new thread's
// events carry that tid.
using EventBody = std::variant<SyscallEvent, SignalEvent, InsnTrapEvent, ExecEvent, ExitEvent,
                               SyscallEntryEvent, PreemptEvent, SyscallBatchEvent>;

struct Event {
  int32_t tid = 0;  // recorded thread id
  EventBody body;
  bool operator==(const Event&) const = default;
};

const char* EventKindName(const EventBody& body);

}  // namespace rwd::trace

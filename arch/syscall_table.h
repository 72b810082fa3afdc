// The declarative syscall table: per architecture, one row per syscall the
// recorder knows. A row is the syscall's semantics, written once for every
// architecture (arch/syscall_semantics.cc), numbered by the architecture's
// number map (arch/<arch>/syscall_numbers.cc). Recorder and replayer share it:
//  - the recorder uses `outs` and `special` to find the memory the kernel
//    wrote, and refuses any syscall without a row;
//  - the replayer uses `action` to emulate the syscall (write recorded memory
//    and result) or to execute it for real (address-space and signal-state
//    changes that must really happen in the replayed process).
// Tables are plain constexpr data that compile on every host, so unit tests
// cover both architectures anywhere.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rwd::arch {

enum class ReplayAction : uint8_t {
  kEmulate,  // replay skips the syscall; writes recorded memory and result
  kExecute,  // replay runs it for real; result must equal the recorded one
  kDeny,     // recorder makes it fail with -deny_errno; replay emulates that
};

// How long an output buffer is. All rules are evaluated at syscall exit,
// after the kernel has written; a failed syscall (result < 0) writes nothing.
enum class SizeRule : uint8_t {
  kNone,         // unused slot
  kFixed,        // `size` bytes (a struct of this architecture's layout)
  kArg,          // value of argument `size_arg` bytes
  kArgTimes,     // value of argument `size_arg` * `size` bytes
  kResult,       // result bytes (read, getdents64, readlink, ...)
  kResultTimes,  // result * `size` bytes (epoll_wait: events written)
  kDerefU32Arg,  // u32 pointed to by argument `size_arg`, read at exit
                 // (value-result socklen_t of accept/getsockname/recvfrom)
  kNulString,    // a NUL-terminated string, at most `size` bytes (getcwd)
  kArgPages,     // one byte per page of argument `size_arg`, rounded up
                 // (mincore's vector); the page size is the tracee's, known
                 // only at run time
  kCapVersion,   // `size` bytes per 32 capabilities of the capability
                 // header (u32 version) at argument `size_arg`: one struct
                 // for version 1, two for versions 2 and 3, none otherwise
};

// Structures whose size differs between architectures; a row names them and
// the architecture's number map supplies the size (`OutParam::size`).
enum class Layout : uint8_t {
  kNone,
  kStat,        // struct stat: 144 bytes on x86-64, asm-generic's 128 on AArch64
  kEpollEvent,  // struct epoll_event: packed (12 bytes) on x86-64 only
};

struct OutParam {
  int8_t arg = -1;  // which argument (0-5) holds the pointer
  SizeRule rule = SizeRule::kNone;
  int8_t size_arg = -1;
  uint32_t size = 0;
  Layout layout = Layout::kNone;  // when set, `size` is this structure's
};

// Syscalls whose recording or replay needs code, not just data. The generic
// recorder and replayer switch on these, never on syscall numbers.
enum class Special : uint8_t {
  kNone,
  kMmap,  // file mappings are copied into the trace; replay maps the copy
  kMunmap,
  kMprotect,
  kMremap,
  kMadvise,  // its fork advice (MADV_DONTFORK...) is emulated in replay, whose checkpoints fork
  kBrk,
  kExecve,  // also execveat
  kExit,    // thread exit
  kExitGroup,
  kClone,  // clone, fork, vfork (clone3 is denied)
  kRtSigreturn,
  kRtSigaction,  // a snapshot's process keeps the handlers the program set
  kIoctl,    // outputs derived from the request code (_IOC_READ size)
  kReadv,    // iovec outputs, bounded by the result (readv, preadv, preadv2)
  kRecvmsg,  // msghdr: name, iovecs, control, msg_flags
  kRecvmmsg,
  kSelect,         // fd_set triples + timeout (select, pselect6)
  kFcntl,          // F_GETLK writes a struct flock
  kPrctl,          // PR_GET_NAME etc. write a buffer; PR_SET_* execute
  kArchPrctl,      // x86-64: ARCH_GET_* write a u64 at arg 1; ARCH_SET_* pass a
                   // value there, so no fixed OutParam can describe it
  kFutex,          // FUTEX_WAKE_OP and the PI operations write futex words
                   // (u32 at arg 0 or arg 4); plain wait/wake write nothing
  kSleep,          // nanosleep/clock_nanosleep: the `outs` (remaining time)
                   // are written only when the sleep fails with EINTR
  kSeccomp,        // SECCOMP_GET_NOTIF_SIZES writes struct seccomp_notif_sizes
  kCapget,         // an unknown header version is answered by writing the
                   // kernel's version into the header, also on failure
  kPtrace,         // denied; the recorder tells the user why
  kSetTidAddress,  // replay keeps the address for the thread's checkpoint copies
  // A new RLIMIT_STACK of the caller's own process runs in replay too: exec
  // sizes the argument space and the new stack from it.
  kSetRlimit,  // setrlimit(resource, new)
  kPrlimit,    // prlimit64(pid, resource, new, old)
};

// Output of a syscall that replay reproduces on its own stdout/stderr.
enum class Echo : uint8_t {
  kNone,
  kBuffer,  // write: `result` bytes at argument 1
  kIovec,   // writev: `result` bytes of the iovecs at argument 1 (count: argument 2)
};

// Where a wait takes the temporary signal mask it waits under.
struct WaitMask {
  int8_t arg = -1;        // argument holding the sigset pointer; its size is the next one
  bool indirect = false;  // the argument points to {sigset pointer, size} (pselect6)
};

// One syscall's row. Everything but `nr` and the sizes of `Layout`
// outputs is the same on every architecture.
struct SyscallInfo {
  int nr = -1;
  std::string_view name;
  // Whether replay runs it for real (kExecute) or emulates it.
  ReplayAction action = ReplayAction::kEmulate;
  Special special = Special::kNone;
  std::array<OutParam, 3> outs{};
  int deny_errno = 0;  // with kDeny
  uint8_t arg_count = 6;
  Echo echo = Echo::kNone;
  // It may wait indefinitely: for I/O, another task, a signal or a lock.
  bool may_block = false;
  // An in-process syscall buffer may run and record it without a ptrace
  // stop: its effects are the result and the `outs` alone, and it changes no
  // memory map, signal state, thread or process. Conservative.
  bool bufferable = false;
  // >= 0: only calls with this argument null are bufferable; they query
  // state (signal handlers, the signal mask) that the others change and
  // replay must change for real.
  int8_t buffered_query_arg = -1;
  // Argument 0 is a directory fd that the path in argument 1 is relative to.
  bool at_dirfd = false;
  // fork, vfork: the clone flags they imply; 0 for clone, whose flags are an
  // argument (see CloneFlags).
  uint64_t implied_clone_flags = 0;
  WaitMask wait_mask;
};

// The clone flags a clone-family syscall (Special::kClone) creates its task
// with; `flags_arg` is the architecture's position of clone's flags.
inline uint64_t CloneFlags(const SyscallInfo& row, const std::array<uint64_t, 6>& args,
                           int flags_arg) {
  return row.implied_clone_flags != 0 ? row.implied_clone_flags : args[flags_arg];
}

// ioctl's TCGETS (the same on x86-64 and AArch64), which writes a kernel
// struct termios of kKernelTermiosBytes.
inline constexpr uint64_t kTcgetsRequest = 0x5401;
inline constexpr uint64_t kKernelTermiosBytes = 36;

// Whether an in-process buffer may run this call of a `bufferable` row.
// Of futex's operations only the wakes (FUTEX_WAKE, FUTEX_WAKE_BITSET):
// they never block and write nothing. Its waits block, and the other
// operations write futex words. The recorder lets the woken thread run only
// after the waker's next event, which writes the batch with the wake first,
// so replay (which emulates every futex call) keeps the recorded order.
// Of ioctl's requests only TCGETS (isatty, tcgetattr): it never blocks and
// writes a termios of a size every architecture shares. Of a query row
// (rt_sigaction, rt_sigprocmask) only the queries.
inline bool BufferableCall(const SyscallInfo& row, const std::array<uint64_t, 6>& args) {
  if (!row.bufferable) return false;
  if (row.buffered_query_arg >= 0 && args[row.buffered_query_arg] != 0) return false;
  if (row.special == Special::kIoctl) return args[1] == kTcgetsRequest;
  if (row.special != Special::kFutex) return true;
  constexpr uint64_t kCommand = 0x7f;  // FUTEX_CMD_MASK: without the private and clock flags
  uint64_t op = args[1] & kCommand;
  return op == 1 /*FUTEX_WAKE*/ || op == 10 /*FUTEX_WAKE_BITSET*/;
}

// A syscall the architecture has but the table does not support; kept so
// that refusals can name it. A retired one (the kernel no longer implements
// it and fails it with ENOSYS) is not refused: it fails as natively.
struct SyscallName {
  int nr = -1;
  std::string_view name;
  bool retired = false;
};

class SyscallTable {
 public:
  explicit SyscallTable(std::span<const SyscallInfo> rows,
                        std::span<const SyscallName> unsupported = {});

  // nullptr when the syscall has no row.
  const SyscallInfo* Find(int64_t nr) const;
  // The row to record and replay `nr` with: its own row; for a number the
  // kernel does not implement (syscall(-1), gaps, retired syscalls, numbers
  // newer than this table) a shared row that fails it with ENOSYS without
  // entering the kernel's handler, as natively; nullptr for a syscall the
  // kernel implements that rewind refuses (NameOf names it).
  const SyscallInfo* Lookup(int64_t nr) const;
  const SyscallInfo* FindByName(std::string_view name) const;
  // Name for messages; "syscall_<nr>" when unknown to the table.
  std::string NameOf(int64_t nr) const;
  std::span<const SyscallInfo> rows() const { return rows_; }

 private:
  std::span<const SyscallInfo> rows_;
  std::unordered_map<int64_t, const SyscallInfo*> by_nr_;
  std::unordered_map<std::string_view, const SyscallInfo*> by_name_;
  std::unordered_map<int64_t, SyscallName> unsupported_names_;
};

// The row Lookup returns for syscall numbers the kernel does not implement.
const SyscallInfo& UnimplementedSyscall();

}  // namespace rwd::arch

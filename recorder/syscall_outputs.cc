#include "recorder/syscall_outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <algorithm>

namespace rwd::recorder {

namespace {

using arch::OutParam;
using arch::SizeRule;
using arch::Special;

// Layouts shared by both supported architectures (LP64 Linux ABI).
constexpr uint64_t kIovecSize = 16;
constexpr uint64_t kMsghdrSize = 56;
constexpr uint64_t kMmsghdrSize = 64;
constexpr uint64_t kFlockSize = 32;
constexpr uint64_t kFOwnerExSize = 8;   // struct f_owner_ex
constexpr uint64_t kRwHintSize = 8;     // the u64 of F_GET_RW_HINT
// fcntl commands newer than some libc headers (linux/fcntl.h).
constexpr uint64_t kFGetOwnEx = 16;
constexpr uint64_t kFGetRwHint = 1035;
constexpr uint64_t kFGetFileRwHint = 1037;
// struct fiemap's header and each struct fiemap_extent after it.
constexpr uint64_t kFiemapSize = 32;
constexpr uint64_t kFiemapExtentSize = 56;
constexpr uint64_t kFiemapExtentCountOffset = 24;
// Generic Linux ioctls that predate the _IOC encoding.
constexpr uint64_t kTcgets = arch::kTcgetsRequest;
constexpr uint64_t kTiocgpgrp = 0x540f;
constexpr uint64_t kTiocgwinsz = 0x5413;
constexpr uint64_t kFionread = 0x541b;
constexpr uint64_t kKernelTermiosSize = arch::kKernelTermiosBytes;
// arch_prctl codes that write their result through the pointer argument.
constexpr uint64_t kArchGetFs = 0x1003;
constexpr uint64_t kArchGetGs = 0x1004;
constexpr uint64_t kPageSize = 4096;
// The kernel's internal restart code of an interrupted relative sleep
// (include/linux/errno.h), which has written the time left by then.
constexpr int64_t kErestartRestartblock = 516;
// linux/seccomp.h: the operation that writes, and what (three u16).
constexpr uint64_t kSeccompGetNotifSizes = 3;
constexpr uint64_t kSeccompNotifSizesSize = 6;
// linux/capability.h: header versions and how many data structs each has.
constexpr uint32_t kCapabilityVersion1 = 0x19980330;
constexpr uint32_t kCapabilityVersion2 = 0x20071026;
constexpr uint32_t kCapabilityVersion3 = 0x20080522;

uint32_t CapDataStructs(uint32_t version) {
  if (version == kCapabilityVersion1) return 1;
  if (version == kCapabilityVersion2 || version == kCapabilityVersion3) return 2;
  return 0;
}

void Add(std::vector<MemRange>& out, uint64_t addr, uint64_t len) {
  if (addr != 0 && len != 0) out.push_back({addr, len});
}

// iovec array at `iov` with `count` entries; data bounded by `limit` bytes.
Status AddIovecs(const Tracee& t, uint64_t iov, uint64_t count, uint64_t limit,
                 std::vector<MemRange>& out) {
  for (uint64_t i = 0; i < count && limit > 0; ++i) {
    ASSIGN_OR_RETURN(auto base, t.Read<uint64_t>(iov + i * kIovecSize));
    ASSIGN_OR_RETURN(auto len, t.Read<uint64_t>(iov + i * kIovecSize + 8));
    uint64_t n = std::min(len, limit);
    Add(out, base, n);
    limit -= n;
  }
  return Status::Ok();
}

Status AddMsghdr(const Tracee& t, uint64_t msg, uint64_t data_len, std::vector<MemRange>& out) {
  Add(out, msg, kMsghdrSize);  // the kernel updates namelen, controllen, flags
  ASSIGN_OR_RETURN(auto name, t.Read<uint64_t>(msg));
  ASSIGN_OR_RETURN(auto namelen, t.Read<uint32_t>(msg + 8));
  ASSIGN_OR_RETURN(auto iov, t.Read<uint64_t>(msg + 16));
  ASSIGN_OR_RETURN(auto iovlen, t.Read<uint64_t>(msg + 24));
  ASSIGN_OR_RETURN(auto control, t.Read<uint64_t>(msg + 32));
  ASSIGN_OR_RETURN(auto controllen, t.Read<uint64_t>(msg + 40));
  Add(out, name, namelen);
  Add(out, control, controllen);
  return AddIovecs(t, iov, iovlen, data_len, out);
}

Status AddSpecial(const Tracee& t, const arch::SyscallInfo& info, const std::array<uint64_t, 6>& a,
                  int64_t result, std::vector<MemRange>& out) {
  uint64_t r = static_cast<uint64_t>(result);
  switch (info.special) {
    case Special::kIoctl: {
      uint64_t request = a[1];
      if (request == FS_IOC_FIEMAP) {
        // _IOC_SIZE covers the header; the extents the caller asked for follow.
        ASSIGN_OR_RETURN(auto extents, t.Read<uint32_t>(a[2] + kFiemapExtentCountOffset));
        Add(out, a[2], kFiemapSize + uint64_t{extents} * kFiemapExtentSize);
      } else if (request == kTcgets)
        Add(out, a[2], kKernelTermiosSize);
      else if (request == kTiocgwinsz)
        Add(out, a[2], 8);
      else if (request == kFionread || request == kTiocgpgrp)
        Add(out, a[2], 4);
      else if (_IOC_DIR(request) & _IOC_READ)
        Add(out, a[2], _IOC_SIZE(request));
      return Status::Ok();
    }
    case Special::kReadv:
      return AddIovecs(t, a[1], a[2], r, out);
    case Special::kRecvmsg:
      return AddMsghdr(t, a[1], r, out);
    case Special::kRecvmmsg:
      for (uint64_t i = 0; i < r; ++i) {
        uint64_t m = a[1] + i * kMmsghdrSize;
        ASSIGN_OR_RETURN(auto got, t.Read<uint32_t>(m + kMsghdrSize));
        Add(out, m + kMsghdrSize, 4);
        RETURN_IF_ERROR(AddMsghdr(t, m, got, out));
      }
      return Status::Ok();
    case Special::kSelect: {
      // The timeout is a plain output row; the fd_set sizes depend on nfds.
      uint64_t set_bytes = (a[0] + 63) / 64 * 8;
      Add(out, a[1], set_bytes);
      Add(out, a[2], set_bytes);
      Add(out, a[3], set_bytes);
      return Status::Ok();
    }
    case Special::kArchPrctl:
      if (a[0] == kArchGetFs || a[0] == kArchGetGs) Add(out, a[1], 8);
      return Status::Ok();
    case Special::kFcntl:
      if (a[1] == F_GETLK || a[1] == F_OFD_GETLK) Add(out, a[2], kFlockSize);
      if (a[1] == kFGetOwnEx) Add(out, a[2], kFOwnerExSize);
      if (a[1] == kFGetRwHint || a[1] == kFGetFileRwHint) Add(out, a[2], kRwHintSize);
      return Status::Ok();
    case Special::kClone: {
      // CLONE_PIDFD: the kernel stores the new process's pidfd where
      // CLONE_PARENT_SETTID would store its tid; replay's own pidfd is
      // another number.
      const arch::CloneArgPositions pos = t.arch().CloneArgs();
      if (arch::CloneFlags(info, a, pos.flags) & CLONE_PIDFD) {
        Add(out, a[pos.parent_tid], sizeof(int32_t));
      }
      return Status::Ok();
    }
    case Special::kFutex:
      // Replay emulates futex; these operations also write futex words.
      switch (a[1] & FUTEX_CMD_MASK) {
        case FUTEX_WAKE_OP:  // the operation on the second word
          Add(out, a[4], sizeof(uint32_t));
          break;
        case FUTEX_LOCK_PI:  // the owner's tid and the waiters bit
        case FUTEX_LOCK_PI2:
        case FUTEX_TRYLOCK_PI:
        case FUTEX_UNLOCK_PI:
          Add(out, a[0], sizeof(uint32_t));
          break;
        case FUTEX_WAIT_REQUEUE_PI:
        case FUTEX_CMP_REQUEUE_PI:
          Add(out, a[0], sizeof(uint32_t));
          Add(out, a[4], sizeof(uint32_t));
          break;
        default:
          break;
      }
      return Status::Ok();
    case Special::kSeccomp:
      if (a[0] == kSeccompGetNotifSizes) Add(out, a[2], kSeccompNotifSizesSize);
      return Status::Ok();
    case Special::kPrctl:
      if (a[0] == PR_GET_NAME)
        Add(out, a[1], 16);
      else if (a[0] == PR_GET_PDEATHSIG || a[0] == PR_GET_CHILD_SUBREAPER || a[0] == PR_GET_TSC)
        Add(out, a[1], 4);
      else if (a[0] == PR_GET_TID_ADDRESS)
        Add(out, a[1], 8);
      else if (a[0] == PR_SET_MM && a[1] == PR_SET_MM_MAP_SIZE)
        Add(out, a[2], 4);  // the size of struct prctl_mm_map, written back
      return Status::Ok();
    default:
      return Status::Ok();
  }
}

}  // namespace

EntrySnapshot SnapshotAtEntry(const Tracee& tracee, const arch::SyscallInfo& info,
                              const std::array<uint64_t, 6>& args) {
  EntrySnapshot snap;
  for (const OutParam& p : info.outs) {
    if (p.rule != SizeRule::kDerefU32Arg || p.size_arg < 0) continue;
    uint64_t ptr = args[p.size_arg];
    if (ptr == 0) continue;
    auto v = tracee.Read<uint32_t>(ptr);
    if (v.ok()) snap.deref_u32[p.size_arg] = *v;
  }
  return snap;
}

Expected<std::vector<MemRange>> OutputRanges(const Tracee& tracee, const arch::SyscallInfo& info,
                                             const std::array<uint64_t, 6>& a, int64_t result,
                                             const EntrySnapshot& entry) {
  std::vector<MemRange> out;
  if (info.special == Special::kCapget && (result == -EINVAL || (result == 0 && a[1] == 0))) {
    // The header's version was unknown: the kernel wrote its own there
    // (and fails, unless the call only asked for the version).
    Add(out, a[0], sizeof(uint32_t));
    return out;
  }
  // A failed syscall writes nothing, except that an interrupted relative
  // sleep reports the time left. The exit stop sees the kernel's restart
  // code; the program sees EINTR once the signal is handled.
  bool interrupted_sleep =
      info.special == Special::kSleep && (result == -EINTR || result == -kErestartRestartblock);
  if (result < 0 && !interrupted_sleep) return out;
  uint64_t r = static_cast<uint64_t>(result);
  for (const OutParam& p : info.outs) {
    if (p.rule == SizeRule::kNone || p.arg < 0) continue;
    uint64_t addr = a[p.arg];
    switch (p.rule) {
      case SizeRule::kFixed:
        Add(out, addr, p.size);
        break;
      case SizeRule::kArg:
        Add(out, addr, a[p.size_arg]);
        break;
      case SizeRule::kArgTimes:
        Add(out, addr, a[p.size_arg] * p.size);
        break;
      case SizeRule::kResult:
        Add(out, addr, r);
        break;
      case SizeRule::kResultTimes:
        Add(out, addr, r * p.size);
        break;
      case SizeRule::kArgPages:
        Add(out, addr, (a[p.size_arg] + kPageSize - 1) / kPageSize);
        break;
      case SizeRule::kDerefU32Arg: {
        uint64_t ptr = a[p.size_arg];
        if (ptr == 0) break;
        ASSIGN_OR_RETURN(uint32_t now, tracee.Read<uint32_t>(ptr));
        Add(out, addr, std::min(now, entry.deref_u32[p.size_arg]));
        break;
      }
      case SizeRule::kCapVersion: {
        uint64_t header = a[p.size_arg];
        if (addr == 0 || header == 0) break;
        ASSIGN_OR_RETURN(uint32_t version, tracee.Read<uint32_t>(header));
        Add(out, addr, uint64_t{CapDataStructs(version)} * p.size);
        break;
      }
      case SizeRule::kNulString: {
        if (addr == 0) break;
        auto s = tracee.ReadCString(addr, p.size ? p.size : 4096);
        if (s.ok()) Add(out, addr, s->size() + 1);
        break;
      }
      case SizeRule::kNone:
        break;
    }
  }
  if (result >= 0) RETURN_IF_ERROR(AddSpecial(tracee, info, a, result, out));
  return out;
}

}  // namespace rwd::recorder

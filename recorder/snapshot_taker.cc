#include "recorder/snapshot_taker.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "base/hex.h"
#include "base/scoped_fd.h"
#include "core/clock.h"
#include "core/proc_maps.h"
#include "core/remote_syscall.h"
#include "preload/syscallbuf_abi.h"
#include "trace/snapshot_store.h"

namespace rwd::recorder {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kPage = trace::kSnapshotPageBytes;
// Pages read from the copy per pread.
constexpr uint64_t kReadBatchPages = 256;

// /proc/PID/pagemap bits (Documentation/admin-guide/mm/pagemap.rst).
constexpr uint64_t kPagePresent = uint64_t{1} << 63;
constexpr uint64_t kPageSwapped = uint64_t{1} << 62;
constexpr uint64_t kPageFileOrSharedAnon = uint64_t{1} << 61;

uint32_t Micros(Clock::duration d) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

Expected<std::vector<uint8_t>> ReadRegset(pid_t tid, const arch::Regset& set) {
  std::vector<uint8_t> bytes(set.max_bytes);
  iovec iov{bytes.data(), bytes.size()};
  if (ptrace(PTRACE_GETREGSET, tid, set.note_type, &iov) != 0) {
    return ErrnoError("reading register set " + std::to_string(set.note_type) + " of thread " +
                      std::to_string(tid));
  }
  bytes.resize(iov.iov_len);
  return bytes;
}

}  // namespace

Expected<trace::SnapshotThread> CaptureThread(const SnapshotThreadSource& source) {
  const Tracee& t = *source.tracee;
  trace::SnapshotThread out;
  out.tid = t.tid();
  ASSIGN_OR_RETURN(arch::Registers regs, t.GetRegisters());
  out.regs.assign(regs.data(), regs.data() + arch::Registers::capacity_bytes());
  ASSIGN_OR_RETURN(out.fp, t.GetFpRegisters());
  for (const arch::Regset& set : t.arch().ThreadRegsets()) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadRegset(t.tid(), set));
    out.regsets.push_back({static_cast<uint32_t>(set.note_type), std::move(bytes)});
  }
  ASSIGN_OR_RETURN(out.sigmask, t.GetSignalMask());
  out.clear_child_tid = source.clear_child_tid;
  out.name = source.name;
  out.syscallbuf = source.syscallbuf;
  out.altstack = source.altstack;
  // The kernel tells another process's robust list (ptrace access).
  uint64_t head = 0;
  size_t len = 0;
  if (syscall(SYS_get_robust_list, t.tid(), &head, &len) == 0) {
    out.robust_list = head;
    out.robust_list_len = len;
  }
  return out;
}

namespace {

// The alternate signal stack of `copy`'s thread (a fork keeps the
// caller's): sigaltstack(NULL, old) injected into the stopped copy, with
// `old` on its stack, whose bytes are put back. The kernel cannot be asked
// from outside, and the copy runs nothing of the program's. Empty when
// none is set.
Expected<std::vector<uint8_t>> CaptureAltStack(pid_t copy, const arch::Arch& arch,
                                               uint64_t syscall_insn) {
  constexpr size_t kStackTBytes = 24;  // stack_t: ss_sp, ss_flags, ss_size
  constexpr int kDisabled = 2;         // SS_DISABLE
  const arch::SyscallInfo* row = arch.syscalls().FindByName("sigaltstack");
  if (!row) return std::vector<uint8_t>();
  Tracee t(copy, arch);
  ASSIGN_OR_RETURN(arch::Registers regs, t.GetRegisters());
  uint64_t at = arch.Sp(regs);
  ASSIGN_OR_RETURN(std::vector<uint8_t> saved, t.ReadBytes(at, kStackTBytes));
  SyscallArgs args;
  args.v = {0, at, 0, 0, 0, 0};
  ASSIGN_OR_RETURN(int64_t r, InjectSyscall(t, syscall_insn, row->nr, args));
  Expected<std::vector<uint8_t>> old = t.ReadBytes(at, kStackTBytes);
  RETURN_IF_ERROR(t.WriteMemory(at, saved));
  if (r != 0) return SystemError("sigaltstack in the snapshot's copy", static_cast<int>(-r));
  if (!old.ok()) return old.status();
  int flags = 0;
  std::memcpy(&flags, old->data() + sizeof(uint64_t), sizeof(flags));
  return (flags & kDisabled) ? std::vector<uint8_t>() : *old;
}

// The recorder shares one CPU with its tracees (a ptrace stop costs far
// more across CPUs); the writer has no stops to take and should not take
// the program's CPU time.
void UseAnyCpu() {
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int i = 0; i < CPU_SETSIZE; ++i) CPU_SET(i, &all);
  sched_setaffinity(0, sizeof all, &all);
}

// Mappings whose content the kernel provides, not the program.
bool KernelProvided(const MemoryMapping& m) {
  return m.path == "[vvar]" || m.path == "[vvar_vclock]" || m.path == "[vsyscall]" ||
         m.path == "[vdso]";
}

// The parts of the threads' syscall buffers (preload/syscallbuf_abi.h)
// that hold nothing a restored process needs (memory exclusion): the
// records after those not yet flushed (none at an event boundary: the
// recorder flushes there) and the library's stack, on which no thread
// stands (SnapshotRecorder::SnapshotObstacle). Replay writes its batches
// there. Pages, as [start, end).
std::vector<std::pair<uint64_t, uint64_t>> DeadBufferPages(const trace::Snapshot& snap, int mem) {
  std::vector<std::pair<uint64_t, uint64_t>> dead;
  for (const trace::SnapshotThread& t : snap.threads) {
    if (t.syscallbuf == 0) continue;
    uint64_t used = 0;
    off_t at = static_cast<off_t>(t.syscallbuf + offsetof(rwd_sb_header, used));
    if (pread(mem, &used, sizeof used, at) != sizeof used || used > RWD_SB_CAPACITY) continue;
    uint64_t live_end = t.syscallbuf + RWD_SB_HEADER_SIZE + used;
    uint64_t start = (live_end + kPage - 1) & ~(kPage - 1);
    dead.emplace_back(start, t.syscallbuf + RWD_SB_BUFFER_SIZE);
  }
  return dead;
}

}  // namespace

SnapshotTaker::SnapshotTaker(std::string trace_dir, std::chrono::milliseconds interval)
    : trace_dir_(std::move(trace_dir)), interval_(interval), last_(MonotonicNow()) {}

SnapshotTaker::~SnapshotTaker() { (void)Wait(); }

bool SnapshotTaker::Due() const {
  return interval_.count() > 0 && (!writer_.joinable() || written_) &&
         MonotonicNow() - last_ >= interval_;
}

std::optional<std::chrono::steady_clock::duration> SnapshotTaker::UntilDue() const {
  if (interval_.count() <= 0) return std::nullopt;
  Clock::duration since = MonotonicNow() - last_;
  return since >= interval_ ? Clock::duration::zero() : interval_ - since;
}

Status SnapshotTaker::Wait() {
  if (!writer_.joinable()) return Status::Ok();
  writer_.join();
  // Reaped here unless the recorder's wait for any tracee took it already.
  waitpid(copy_, nullptr, __WALL | WNOHANG);
  copy_ = 0;
  live_.clear();
  Status s = writer_status_;
  writer_status_ = Status::Ok();
  if (!s.ok()) ++stats_.failed;
  return s;
}

Status SnapshotTaker::ReapCopies(pid_t pid, Tracee& leader, uint64_t syscall_insn) {
  auto it = unreaped_.find(pid);
  if (it == unreaped_.end() || (writer_.joinable() && !written_)) return Status::Ok();
  Status written = Wait();
  const arch::SyscallInfo* wait4 = leader.arch().syscalls().FindByName("wait4");
  if (!wait4) return written;
  std::vector<pid_t> copies = std::move(it->second);
  unreaped_.erase(it);
  for (pid_t copy : copies) {
    // Ours to reap first: a traced zombie is visible only to its tracer.
    // Killed by the writer, it is dead or dying; ECHILD if reaped already.
    waitpid(copy, nullptr, __WALL);
    SyscallArgs args;
    args.v = {static_cast<uint64_t>(copy), 0, __WALL | WNOHANG, 0, 0, 0};
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(leader, syscall_insn, wait4->nr, args));
    if (r == 0) unreaped_[pid].push_back(copy);  // not dead yet: next time
  }
  return written;
}

bool SnapshotTaker::Refused(const std::string& reason) {
  if (interval_.count() <= 0) return false;
  const Clock::time_point now = MonotonicNow();
  const Clock::time_point from = std::max(last_ + interval_, last_skip_);
  if (now - from < interval_) return false;
  last_skip_ = now;
  ++skips_[reason];
  return true;
}

Status SnapshotTaker::WriteSkips() const {
  if (skips_.empty()) return Status::Ok();
  return trace::WriteSnapshotSkips(trace_dir_, skips_);
}

bool SnapshotTaker::ReadsLive(pid_t pid) const {
  return std::find(live_.begin(), live_.end(), pid) != live_.end();
}

Status SnapshotTaker::Take(SnapshotRequest request) {
  RETURN_IF_ERROR(Wait());
  last_ = MonotonicNow();
  auto stop_start = MonotonicNow();
  trace::Snapshot& snap = request.snapshot;
  for (const SnapshotThreadSource& t : request.threads) {
    if (t.parked) {
      snap.threads.push_back(*t.parked);
      continue;
    }
    ASSIGN_OR_RETURN(trace::SnapshotThread thread, CaptureThread(t));
    snap.threads.push_back(std::move(thread));
  }
  auto fork_start = MonotonicNow();
  Status lent = request.fork_advice.Lend(*request.leader, request.syscall_insn);
  Expected<pid_t> forked_copy =
      lent.ok()
          ? ForkTracee(*request.leader, request.syscall_insn,
                       request.copy_is_its_child ? CopyParent::kTracee : CopyParent::kTraceesParent)
          : Expected<pid_t>(lent.Wrap("lending memory kept from forks to the snapshot"));
  // Given back whether or not the fork happened: the program's own forks
  // must go on without that memory.
  Status withdrawn = request.fork_advice.Withdraw(*request.leader, request.syscall_insn);
  if (!forked_copy.ok()) return forked_copy.status();
  const pid_t copy = *forked_copy;
  if (request.copy_is_its_child) unreaped_[request.snapshot.pid].push_back(copy);
  if (!withdrawn.ok()) {
    kill(copy, SIGKILL);
    return withdrawn.Wrap("giving the program back its fork advice after a snapshot");
  }
  auto forked = MonotonicNow();
  // Asked of the copy (one injected syscall), the program still stopped:
  // only the recording thread may trace the copy.
  Expected<std::vector<uint8_t>> altstack =
      CaptureAltStack(copy, request.leader->arch(), request.syscall_insn);
  if (!altstack.ok()) {
    kill(copy, SIGKILL);
    return altstack.status().Wrap("reading the alternate signal stack");
  }
  // The copy's one thread is the one the fork ran in, the current one: the
  // kernel's word for it, where the others have what the recorder tracked.
  for (trace::SnapshotThread& t : snap.threads) {
    if (t.tid == snap.current_tid) t.altstack = std::move(*altstack);
  }
  auto end = MonotonicNow();
  snap.fork_us = Micros(forked - fork_start);
  snap.stop_us = Micros(end - stop_start);
  snap.seq = next_seq_++;
  stats_.max_stop_us = std::max<uint64_t>(stats_.max_stop_us, snap.stop_us);
  ++stats_.taken;
  copy_ = copy;
  // The set in sequence order: a file may refer to the pages of the
  // files before it.
  std::vector<std::pair<pid_t, trace::Snapshot>> images;
  images.emplace_back(copy, std::move(snap));
  for (ParkedProcess& p : request.parked) {
    p.snapshot.seq = next_seq_++;
    p.snapshot.stop_us = images.front().second.stop_us;
    live_.push_back(p.pid);
    images.emplace_back(p.pid, std::move(p.snapshot));
  }
  written_ = false;
  writer_ = std::thread(
      [this, copy, images = std::move(images), files = std::move(request.file_ids)]() mutable {
        UseAnyCpu();
        for (auto& [pid, snapshot] : images) {
          uint32_t seq = snapshot.seq;
          writer_status_ = Write(pid, std::move(snapshot), files);
          if (!writer_status_.ok()) {
            writer_status_ = writer_status_.Wrap("writing snapshot " + std::to_string(seq));
            break;
          }
        }
        kill(copy, SIGKILL);
        if (!writer_status_.ok()) {
          // The pages of a snapshot that was not written cannot be referred
          // to; nor can a set with a process missing be restored.
          for (const auto& [pid, snapshot] : images) {
            uint32_t seq = snapshot.seq;
            std::erase_if(stored_, [&](const auto& kv) { return kv.second.snapshot == seq; });
            unlink(trace::SnapshotPath(trace_dir_, seq).c_str());
          }
        }
        written_ = true;
      });
  return Status::Ok();
}

Status SnapshotTaker::Write(pid_t pid, trace::Snapshot snap,
                            const std::map<std::string, std::string>& file_ids) {
  std::string proc = "/proc/" + std::to_string(pid);
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(pid));
  ScopedFd pagemap(open((proc + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC));
  if (pagemap.get() < 0) return ErrnoError("opening " + proc + "/pagemap");
  ScopedFd mem(open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  if (mem.get() < 0) return ErrnoError("opening " + proc + "/mem");

  static const std::vector<uint8_t> kZero(kPage, 0);
  const XXH128_hash_t zero_hash = XXH3_128bits(kZero.data(), kPage);
  trace::SnapshotPageCompressor stored;  // this snapshot's new pages
  std::vector<uint64_t> entries;
  std::vector<uint8_t> buf(kReadBatchPages * kPage);
  const std::vector<std::pair<uint64_t, uint64_t>> dead = DeadBufferPages(snap, mem.get());
  auto excluded = [&](uint64_t addr) {
    return std::any_of(dead.begin(), dead.end(),
                       [&](const auto& r) { return addr >= r.first && addr < r.second; });
  };
  for (const MemoryMapping& m : maps) {
    if (KernelProvided(m)) continue;
    trace::SnapshotMapping sm{m.start, m.end, m.prot, m.shared, m.offset, m.path, ""};
    if (m.is_file()) {
      if (auto it = file_ids.find(m.path); it != file_ids.end()) sm.file_id = it->second;
    }
    snap.maps.push_back(sm);
    uint64_t pages = (m.end - m.start) / kPage;
    entries.assign(pages, 0);
    ssize_t got = pread(pagemap.get(), entries.data(), pages * 8, (m.start / kPage) * 8);
    if (got != static_cast<ssize_t>(pages * 8)) return ErrnoError("reading " + proc + "/pagemap");
    // Which pages to read: the program's own content.
    auto wanted = [&](uint64_t i) {
      uint64_t e = entries[i];
      if (!(e & (kPagePresent | kPageSwapped))) return false;  // never touched
      // A private file mapping's page that is still the file's.
      if (m.is_file() && !m.shared && (e & kPageFileOrSharedAnon)) return false;
      return !excluded(m.start + i * kPage);
    };
    uint64_t i = 0;
    while (i < pages) {
      if (!wanted(i)) {
        ++i;
        continue;
      }
      uint64_t n = 1;
      while (i + n < pages && n < kReadBatchPages && wanted(i + n)) ++n;
      uint64_t addr = m.start + i * kPage;
      ssize_t r = pread(mem.get(), buf.data(), n * kPage, static_cast<off_t>(addr));
      if (r != static_cast<ssize_t>(n * kPage)) {
        return ErrnoError("reading " + std::to_string(n) + " pages at " + Hex(addr) +
                          " of the snapshot copy");
      }
      bool extends = !snap.pages.empty() &&
                     snap.pages.back().start + snap.pages.back().refs.size() * kPage == addr;
      if (!extends) snap.pages.push_back(trace::PageRun{addr, {}});
      std::vector<trace::PageRef>& refs = snap.pages.back().refs;
      for (uint64_t k = 0; k < n; ++k) {
        const uint8_t* page = buf.data() + k * kPage;
        XXH128_hash_t h = XXH3_128bits(page, kPage);
        if (XXH128_isEqual(h, zero_hash) && memcmp(page, kZero.data(), kPage) == 0) {
          refs.push_back(trace::PageRef{});
          continue;
        }
        PageKey key{h.low64, h.high64};
        auto [it, fresh] = stored_.try_emplace(key, trace::PageRef{snap.seq, snap.stored_pages});
        if (fresh) {
          RETURN_IF_ERROR(stored.Add({page, kPage}));
          ++snap.stored_pages;
        }
        refs.push_back(it->second);
      }
      i += n;
    }
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> compressed, stored.Finish());
  return trace::WriteSnapshot(trace_dir_, snap, compressed);
}

}  // namespace rwd::recorder

// SyscallBufferReplayer: the in-process syscall buffer (preload/syscallbuf_abi.h).
//
// A SyscallBatchEvent holds what a thread ran through its buffer between
// two of its events. Before the thread runs to the next one, the batch is
// written into its buffer; the library there (in replay mode) returns the
// recorded results and restores the recorded memory without syscalls or
// stops, and checks each call's number and arguments. The replayer checks
// at the thread's next syscall that the batch was used up.
#include <cstddef>
#include <cstring>

#include "base/hex.h"
#include "preload/syscallbuf_abi.h"
#include "replayer/replay_session.h"
#include "trace/buffer_records.h"
#include "trace/event_format.h"

namespace rwd::replayer {

namespace {

Expected<rwd_sb_header> ReadHeader(const Tracee& tracee, uint64_t addr) {
  rwd_sb_header h;
  RETURN_IF_ERROR(
      tracee.ReadMemory(addr, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&h), sizeof(h))));
  return h;
}

Status WriteHeader(Tracee& tracee, uint64_t addr, const rwd_sb_header& h) {
  return tracee.WriteMemory(
      addr, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&h), sizeof(h)));
}

}  // namespace

Status SyscallBufferReplayer::RegisterSyscallBuffer(uint64_t addr) {
  return AdoptSyscallBuffer(cur(), addr);
}

Status SyscallBufferReplayer::AdoptSyscallBuffer(ReplayTask& owner, uint64_t addr) {
  ASSIGN_OR_RETURN(rwd_sb_header h, ReadHeader(owner.tracee, addr));
  if (h.magic != RWD_SB_MAGIC) {
    return Status(ErrorCode::kCorrupt,
                  "thread " + std::to_string(owner.tid) + " has no syscall buffer at " + Hex(addr));
  }
  h.mode = RWD_SB_MODE_REPLAY;
  h.locked = 0;
  h.expand = expand_;
  h.used = h.count = h.consumed = h.consumed_bytes = 0;
  RETURN_IF_ERROR(WriteHeader(owner.tracee, addr, h));
  owner.syscallbuf = addr;
  return Status::Ok();
}

Status SyscallBufferReplayer::LoadSyscallBatch(ReplayTask& owner,
                                               const trace::SyscallBatchEvent& batch) {
  if (owner.syscallbuf == 0) {
    return Diverged("the recording has buffered syscalls of thread " + std::to_string(owner.tid) +
                    ", which has no syscall buffer in the replay");
  }
  ASSIGN_OR_RETURN(rwd_sb_header h, ReadHeader(owner.tracee, owner.syscallbuf));
  // The trace's records, as the library will read them.
  RETURN_IF_ERROR(trace::CheckBufferRecords(batch.records, batch.count, arch().syscalls())
                      .Wrap("event " + std::to_string(event_number())));
  std::vector<uint8_t> records;
  uint64_t count = batch.count;
  if (h.consumed < h.count) {
    // The thread has not run since its previous batch (replay lets an
    // unobservable preemption pass without running to it): it takes both,
    // in order, when it runs. Its next syscall checks that it did.
    records.resize(h.used - h.consumed_bytes);
    RETURN_IF_ERROR(
        owner.tracee.ReadMemory(owner.syscallbuf + RWD_SB_HEADER_SIZE + h.consumed_bytes, records));
    count += h.count - h.consumed;
  } else {
    owner.batch_event = event_number();
  }
  records.insert(records.end(), batch.records.begin(), batch.records.end());
  if (records.size() > RWD_SB_CAPACITY) {
    return Status(ErrorCode::kUnsupported,
                  "event " + std::to_string(event_number()) + " brings thread " +
                      std::to_string(owner.tid) + "'s buffered syscalls not yet replayed to " +
                      std::to_string(records.size()) + " bytes, more than its buffer's " +
                      std::to_string(RWD_SB_CAPACITY));
  }
  RETURN_IF_ERROR(owner.tracee.WriteMemory(owner.syscallbuf + RWD_SB_HEADER_SIZE, records));
  h.used = records.size();
  h.count = count;
  h.expand = expand_;
  h.consumed = h.consumed_bytes = 0;
  RETURN_IF_ERROR(WriteHeader(owner.tracee, owner.syscallbuf, h));
  // Output to our stdout/stderr shows now: before anything the thread's
  // next event or another thread's later events print.
  syscalls_.EchoBatchOutput(batch);
  return Status::Ok();
}

uint64_t SyscallBufferReplayer::BufferedSyscallsDone() const {
  if (!has_cur() || cur().syscallbuf == 0) return 0;
  Expected<rwd_sb_header> h = ReadHeader(cur().tracee, cur().syscallbuf);
  return h.ok() ? h->consumed : 0;
}

Expected<bool> SyscallBufferReplayer::BatchUsedUp() const {
  if (!has_cur() || cur().syscallbuf == 0) return true;
  ASSIGN_OR_RETURN(rwd_sb_header h, ReadHeader(cur().tracee, cur().syscallbuf));
  return h.consumed >= h.count;
}

Status SyscallBufferReplayer::CheckSyscallBatchDone(const std::function<std::string()>& seen) {
  if (!has_cur() || cur().syscallbuf == 0) return Status::Ok();
  ASSIGN_OR_RETURN(rwd_sb_header h, ReadHeader(tracee(), cur().syscallbuf));
  if (h.consumed >= h.count) return Status::Ok();
  std::vector<uint8_t> records(h.used);
  RETURN_IF_ERROR(tracee().ReadMemory(cur().syscallbuf + RWD_SB_HEADER_SIZE, records));
  std::string expected = "another buffered syscall";
  auto calls = trace::DecodeBufferRecords(records, h.count, arch().syscalls());
  if (calls.ok() && h.consumed < calls->size()) {
    const trace::SyscallEvent& next = (*calls)[h.consumed];
    expected = trace::DescribeSyscall(arch(), next.nr, next.args);
  }
  return Diverged("expected " + expected + " (buffered syscall " + std::to_string(h.consumed + 1) +
                  " of " + std::to_string(h.count) + " in event " +
                  std::to_string(cur().batch_event) + "), saw " + seen());
}

Status SyscallBufferReplayer::SyscallBufferDiverged() {
  if (!has_cur() || cur().syscallbuf == 0) {
    return Diverged("the syscall buffer library reported a divergence in a thread without one");
  }
  ASSIGN_OR_RETURN(rwd_sb_header h, ReadHeader(tracee(), cur().syscallbuf));
  std::array<uint64_t, 6> seen_args;
  std::memcpy(seen_args.data(), h.seen_args, sizeof(h.seen_args));
  std::string seen = trace::DescribeSyscall(arch(), h.seen_nr, seen_args);
  std::vector<uint8_t> records(h.used);
  RETURN_IF_ERROR(tracee().ReadMemory(cur().syscallbuf + RWD_SB_HEADER_SIZE, records));
  auto calls = trace::DecodeBufferRecords(records, h.count, arch().syscalls());
  std::string expected = "a buffered syscall";
  std::string argument;
  if (calls.ok() && h.consumed < calls->size()) {
    const trace::SyscallEvent& want = (*calls)[h.consumed];
    expected = trace::DescribeSyscall(arch(), want.nr, want.args);
    for (int i = 0; i < 6 && want.nr == h.seen_nr && argument.empty(); ++i) {
      if (want.args[i] != seen_args[i]) {
        argument = ": argument " + std::to_string(i + 1) + " is " + Hex(seen_args[i]) +
                   "; the recording had " + Hex(want.args[i]);
      }
    }
  }
  if (h.seen_output_differs != 0 && calls.ok() && h.consumed < calls->size()) {
    // The same call, writing other bytes to rewind's stdout or stderr.
    const trace::SyscallEvent& want = (*calls)[h.consumed];
    const uint64_t at = h.seen_output_differs - 1;
    std::string what = "byte " + std::to_string(at) + " differs";
    if (!want.writes.empty() && at < want.writes.front().bytes.size()) {
      ASSIGN_OR_RETURN(uint8_t now, tracee().Read<uint8_t>(seen_args[1] + at));
      what = "byte " + std::to_string(at) + " is " + Hex(now) + "; the recording wrote " +
             Hex(want.writes.front().bytes[at]);
    }
    return DivergedAt(cur().batch_event, seen + " (buffered syscall " +
                                             std::to_string(h.consumed + 1) + " of " +
                                             std::to_string(h.count) + " in event " +
                                             std::to_string(cur().batch_event) +
                                             ") writes other bytes than when recorded: " + what);
  }
  // Reported at the batch's event: the replay left the recording there.
  return DivergedAt(cur().batch_event, "expected " + expected + " (buffered syscall " +
                                           std::to_string(h.consumed + 1) + " of " +
                                           std::to_string(h.count) + " in event " +
                                           std::to_string(cur().batch_event) + "), saw " + seen +
                                           argument);
}

void SyscallBufferReplayer::SetExpand(bool on) {
  expand_ = on;
  // A thread that cannot be written to is gone, and its buffer with it.
  for (const auto& t : threads_) (void)WriteExpand(*t);
}

Status SyscallBufferReplayer::WriteExpand(ReplayTask& t) const {
  if (t.syscallbuf == 0 || t.reaped || t.zombie) return Status::Ok();
  uint64_t value = expand_ ? 1 : 0;
  return t.tracee.WriteMemory(
      t.syscallbuf + offsetof(rwd_sb_header, expand),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(value)));
}

Expected<bool> SyscallBufferReplayer::ReplayExpandedBufferedSyscall(
    int64_t nr, const std::array<uint64_t, 6>& args, arch::Registers regs) {
  if (!has_cur() || cur().syscallbuf == 0) return false;
  ASSIGN_OR_RETURN(rwd_sb_header h, ReadHeader(tracee(), cur().syscallbuf));
  if (!h.expand || h.consumed >= h.count) return false;
  uint64_t at = cur().syscallbuf + RWD_SB_HEADER_SIZE + h.consumed_bytes;
  rwd_sb_record rec;
  RETURN_IF_ERROR(
      tracee().ReadMemory(at, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&rec), sizeof(rec))));
  if (rec.size < sizeof(rec) || h.consumed_bytes + rec.size > h.used) {
    return Status(ErrorCode::kCorrupt, "the syscall buffer of thread " + std::to_string(cur().tid) +
                                           " is damaged (the program may have written over it)");
  }
  bool same = rec.nr == nr;
  for (int i = 0; i < 6; ++i) same = same && rec.args[i] == args[i];
  if (!same) {
    // Reported as the library reports it.
    h.seen_nr = nr;
    std::memcpy(h.seen_args, args.data(), sizeof(h.seen_args));
    RETURN_IF_ERROR(WriteHeader(tracee(), cur().syscallbuf, h));
    return SyscallBufferDiverged();
  }
  std::vector<uint8_t> bytes(rec.size);
  RETURN_IF_ERROR(tracee().ReadMemory(at, bytes));
  ASSIGN_OR_RETURN(std::vector<trace::SyscallEvent> calls,
                   trace::DecodeBufferRecords(bytes, 1, arch().syscalls()));
  // A write to rewind's own stdout or stderr showed when its batch loaded.
  if (calls.front().output_stream == 0) {
    for (const trace::MemWrite& w : calls.front().writes) {
      RETURN_IF_ERROR(tracee().WriteMemory(w.addr, w.bytes));
    }
  }
  h.consumed += 1;
  h.consumed_bytes += rec.size;
  RETURN_IF_ERROR(WriteHeader(tracee(), cur().syscallbuf, h));
  arch().SetSyscallResult(regs, rec.result);
  RETURN_IF_ERROR(tracee().SetRegisters(regs));
  cur().expanded_call = true;
  return true;
}

}  // namespace rwd::replayer

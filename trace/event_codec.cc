#include "trace/event_codec.h"

#include <iterator>
#include <string>
#include <variant>

#include "preload/syscallbuf_abi.h"

namespace rwd::trace {

namespace {

// On-disk kind tags. Never renumber: traces on disk depend on them.
enum class EventTag : uint8_t {
  kSyscall = 1,
  kSignal = 2,
  kInsnTrap = 3,
  kExec = 4,
  kExit = 5,
  kSyscallEntry = 6,
  kPreempt = 7,
  kSyscallBatch = 8,
};

// Smallest encodings of repeated elements, so counts can be checked against
// the bytes left before allocating.
constexpr size_t kMinMemWriteBytes = 2;     // addr, length
constexpr size_t kMinFileWriteBytes = 4;    // path length, offset, length, size
constexpr size_t kMinBufferRecordBytes = sizeof(rwd_sb_record);
constexpr size_t kMinFileMappingBytes = 7;  // 5 varints, 2 lengths

void PutU64s(const std::vector<uint64_t>& values, ByteWriter* out) {
  out->PutUvarint(values.size());
  for (uint64_t v : values) out->PutUvarint(v);
}

Status ReadU64s(ByteReader* in, std::vector<uint64_t>* values) {
  size_t n = 0;
  RETURN_IF_ERROR(in->ReadCount(1, &n));
  values->resize(n);
  for (uint64_t& v : *values) RETURN_IF_ERROR(in->ReadUvarint(&v));
  return Status::Ok();
}

// The optional stack word of a fingerprint (SignalEvent, PreemptEvent).
template <typename E>
void PutStackWord(const E& e, ByteWriter* out) {
  out->PutBool(e.has_stack_word);
  if (!e.has_stack_word) return;
  out->PutSvarint(e.stack_word_offset);
  out->PutUvarint(e.stack_word);
}

template <typename E>
Status ReadStackWord(ByteReader* in, E* e) {
  RETURN_IF_ERROR(in->ReadBool(&e->has_stack_word));
  if (!e->has_stack_word) return Status::Ok();
  RETURN_IF_ERROR(in->ReadSvarint32(&e->stack_word_offset));
  return in->ReadUvarint(&e->stack_word);
}

// What else a fingerprint (SignalEvent, PreemptEvent) ends with.
template <typename E>
void PutFingerprintTail(const E& e, ByteWriter* out) {
  PutStackWord(e, out);
  out->PutBytes(e.vector_registers);
}

template <typename E>
Status ReadFingerprintTail(ByteReader* in, E* e) {
  RETURN_IF_ERROR(ReadStackWord(in, e));
  return in->ReadBytes(&e->vector_registers);
}

void Encode(const SyscallEvent& e, ByteWriter* out) {
  out->PutSvarint(e.nr);
  for (uint64_t arg : e.args) out->PutUvarint(arg);
  out->PutSvarint(e.result);
  out->PutUvarint(e.writes.size());
  for (const MemWrite& w : e.writes) {
    out->PutUvarint(w.addr);
    out->PutBytes(w.bytes);
  }
  out->PutString(e.mapped_file_id);
  out->PutString(e.mapped_path);
  out->PutU8(e.output_stream);
  out->PutBool(e.mapped_file_writable);
  out->PutUvarint(e.file_writes.size());
  for (const FileWrite& w : e.file_writes) {
    out->PutString(w.path);
    out->PutUvarint(w.offset);
    out->PutBytes(w.bytes);
    out->PutUvarint(w.size_after);
  }
}

Status Decode(ByteReader* in, SyscallEvent* e) {
  RETURN_IF_ERROR(in->ReadSvarint(&e->nr));
  for (uint64_t& arg : e->args) RETURN_IF_ERROR(in->ReadUvarint(&arg));
  RETURN_IF_ERROR(in->ReadSvarint(&e->result));
  size_t n = 0;
  RETURN_IF_ERROR(in->ReadCount(kMinMemWriteBytes, &n));
  e->writes.resize(n);
  for (MemWrite& w : e->writes) {
    RETURN_IF_ERROR(in->ReadUvarint(&w.addr));
    RETURN_IF_ERROR(in->ReadBytes(&w.bytes));
  }
  RETURN_IF_ERROR(in->ReadString(&e->mapped_file_id));
  RETURN_IF_ERROR(in->ReadString(&e->mapped_path));
  RETURN_IF_ERROR(in->ReadU8(&e->output_stream));
  RETURN_IF_ERROR(in->ReadBool(&e->mapped_file_writable));
  RETURN_IF_ERROR(in->ReadCount(kMinFileWriteBytes, &n));
  e->file_writes.resize(n);
  for (FileWrite& w : e->file_writes) {
    RETURN_IF_ERROR(in->ReadString(&w.path));
    RETURN_IF_ERROR(in->ReadUvarint(&w.offset));
    RETURN_IF_ERROR(in->ReadBytes(&w.bytes));
    RETURN_IF_ERROR(in->ReadUvarint(&w.size_after));
  }
  return Status::Ok();
}

void Encode(const SignalEvent& e, ByteWriter* out) {
  out->PutSvarint(e.signo);
  out->PutBytes(e.siginfo);
  out->PutUvarint(e.pc);
  out->PutBool(e.synchronous);
  out->PutBytes(e.fingerprint);
  out->PutUvarint(e.stack_hash);
  out->PutBool(e.hashes_globals);
  out->PutBytes(e.stack_window);
  PutFingerprintTail(e, out);
  out->PutUvarint(e.pass_count);
  out->PutUvarint(e.memory_hash);
  out->PutBytes(e.memory_pages);
}

Status Decode(ByteReader* in, SignalEvent* e) {
  RETURN_IF_ERROR(in->ReadSvarint32(&e->signo));
  RETURN_IF_ERROR(in->ReadBytes(&e->siginfo));
  RETURN_IF_ERROR(in->ReadUvarint(&e->pc));
  RETURN_IF_ERROR(in->ReadBool(&e->synchronous));
  RETURN_IF_ERROR(in->ReadBytes(&e->fingerprint));
  RETURN_IF_ERROR(in->ReadUvarint(&e->stack_hash));
  RETURN_IF_ERROR(in->ReadBool(&e->hashes_globals));
  RETURN_IF_ERROR(in->ReadBytes(&e->stack_window));
  RETURN_IF_ERROR(ReadFingerprintTail(in, e));
  RETURN_IF_ERROR(in->ReadUvarint(&e->pass_count));
  RETURN_IF_ERROR(in->ReadUvarint(&e->memory_hash));
  return in->ReadBytes(&e->memory_pages);
}

void Encode(const InsnTrapEvent& e, ByteWriter* out) {
  out->PutU8(static_cast<uint8_t>(e.kind));
  out->PutUvarint(e.pc);
  PutU64s(e.values, out);
}

Status Decode(ByteReader* in, InsnTrapEvent* e) {
  uint8_t kind = 0;
  RETURN_IF_ERROR(in->ReadU8(&kind));
  if (kind > static_cast<uint8_t>(arch::TrapInsnKind::kCounterRead)) {
    return Status(ErrorCode::kCorrupt, "unknown trapped instruction kind " + std::to_string(kind));
  }
  e->kind = static_cast<arch::TrapInsnKind>(kind);
  RETURN_IF_ERROR(in->ReadUvarint(&e->pc));
  return ReadU64s(in, &e->values);
}

void Encode(const FileMapping& m, ByteWriter* out) {
  out->PutUvarint(m.start);
  out->PutUvarint(m.end);
  out->PutUvarint(m.offset);
  out->PutUvarint(m.prot);
  out->PutUvarint(m.flags);
  out->PutString(m.path);
  out->PutString(m.file_id);
}

Status Decode(ByteReader* in, FileMapping* m) {
  RETURN_IF_ERROR(in->ReadUvarint(&m->start));
  RETURN_IF_ERROR(in->ReadUvarint(&m->end));
  RETURN_IF_ERROR(in->ReadUvarint(&m->offset));
  RETURN_IF_ERROR(in->ReadUvarint32(&m->prot));
  RETURN_IF_ERROR(in->ReadUvarint32(&m->flags));
  RETURN_IF_ERROR(in->ReadString(&m->path));
  return in->ReadString(&m->file_id);
}

void Encode(const ExecEvent& e, ByteWriter* out) {
  out->PutString(e.path);
  out->PutStrings(e.argv);
  out->PutString(e.exe_file_id);
  out->PutBytes(e.at_random);
  out->PutUvarint(e.at_random_addr);
  out->PutUvarint(e.mappings.size());
  for (const FileMapping& m : e.mappings) Encode(m, out);
  PutU64s(e.trap_sites, out);
  out->PutBool(e.cpuid_faulting);
  out->PutBool(e.tsc_reads_patched);
  out->PutString(e.script_file_id);
}

Status Decode(ByteReader* in, ExecEvent* e) {
  RETURN_IF_ERROR(in->ReadString(&e->path));
  RETURN_IF_ERROR(in->ReadStrings(&e->argv));
  RETURN_IF_ERROR(in->ReadString(&e->exe_file_id));
  RETURN_IF_ERROR(in->ReadBytes(&e->at_random));
  RETURN_IF_ERROR(in->ReadUvarint(&e->at_random_addr));
  size_t n = 0;
  RETURN_IF_ERROR(in->ReadCount(kMinFileMappingBytes, &n));
  e->mappings.resize(n);
  for (FileMapping& m : e->mappings) RETURN_IF_ERROR(Decode(in, &m));
  RETURN_IF_ERROR(ReadU64s(in, &e->trap_sites));
  RETURN_IF_ERROR(in->ReadBool(&e->cpuid_faulting));
  RETURN_IF_ERROR(in->ReadBool(&e->tsc_reads_patched));
  return in->ReadString(&e->script_file_id);
}

void Encode(const ExitEvent& e, ByteWriter* out) {
  out->PutSvarint(e.wait_status);
  out->PutBool(e.whole_process);
}

Status Decode(ByteReader* in, ExitEvent* e) {
  RETURN_IF_ERROR(in->ReadSvarint32(&e->wait_status));
  return in->ReadBool(&e->whole_process);
}

void Encode(const SyscallEntryEvent& e, ByteWriter* out) {
  out->PutSvarint(e.nr);
  for (uint64_t arg : e.args) out->PutUvarint(arg);
}

Status Decode(ByteReader* in, SyscallEntryEvent* e) {
  RETURN_IF_ERROR(in->ReadSvarint(&e->nr));
  for (uint64_t& arg : e->args) RETURN_IF_ERROR(in->ReadUvarint(&arg));
  return Status::Ok();
}

void Encode(const PreemptEvent& e, ByteWriter* out) {
  out->PutBytes(e.fingerprint);
  out->PutUvarint(e.stack_hash);
  out->PutBool(e.hashes_globals);
  out->PutBytes(e.stack_window);
  PutFingerprintTail(e, out);
}

Status Decode(ByteReader* in, PreemptEvent* e) {
  RETURN_IF_ERROR(in->ReadBytes(&e->fingerprint));
  RETURN_IF_ERROR(in->ReadUvarint(&e->stack_hash));
  RETURN_IF_ERROR(in->ReadBool(&e->hashes_globals));
  RETURN_IF_ERROR(in->ReadBytes(&e->stack_window));
  return ReadFingerprintTail(in, e);
}

void Encode(const SyscallBatchEvent& e, ByteWriter* out) {
  out->PutUvarint(e.count);
  out->PutBytes(e.records);
}

// The records' own structure is checked where they are used, with the
// architecture's syscall table (trace/buffer_records.h).
Status Decode(ByteReader* in, SyscallBatchEvent* e) {
  RETURN_IF_ERROR(in->ReadUvarint(&e->count));
  RETURN_IF_ERROR(in->ReadBytes(&e->records));
  if (e->count > e->records.size() / kMinBufferRecordBytes) {
    return Status(ErrorCode::kCorrupt, std::to_string(e->count) + " buffered syscalls in " +
                                           std::to_string(e->records.size()) + " bytes");
  }
  return Status::Ok();
}

EventTag TagOf(const SyscallEvent&) { return EventTag::kSyscall; }
EventTag TagOf(const SignalEvent&) { return EventTag::kSignal; }
EventTag TagOf(const InsnTrapEvent&) { return EventTag::kInsnTrap; }
EventTag TagOf(const ExecEvent&) { return EventTag::kExec; }
EventTag TagOf(const ExitEvent&) { return EventTag::kExit; }
EventTag TagOf(const SyscallEntryEvent&) { return EventTag::kSyscallEntry; }
EventTag TagOf(const PreemptEvent&) { return EventTag::kPreempt; }
EventTag TagOf(const SyscallBatchEvent&) { return EventTag::kSyscallBatch; }

template <typename T>
Status DecodeBody(ByteReader* in, EventBody* body) {
  T typed;
  RETURN_IF_ERROR(Decode(in, &typed));
  *body = std::move(typed);
  return Status::Ok();
}

}  // namespace

const char* EventKindName(const EventBody& body) {
  static constexpr const char* kNames[] = {"syscall", "signal",       "insn-trap",
                                           "exec",    "exit",         "syscall-entry",
                                           "preempt", "syscall-batch"};
  static_assert(std::size(kNames) == std::variant_size_v<EventBody>);
  return kNames[body.index()];
}

void EncodeEvent(const Event& event, ByteWriter* out) {
  std::visit(
      [&](const auto& body) {
        out->PutU8(static_cast<uint8_t>(TagOf(body)));
        out->PutSvarint(event.tid);
        Encode(body, out);
      },
      event.body);
}

Status DecodeEvent(ByteReader* in, Event* event) {
  using BodyDecoder = Status (*)(ByteReader*, EventBody*);
  // Indexed by EventTag.
  static constexpr BodyDecoder kDecoders[] = {
      nullptr,
      DecodeBody<SyscallEvent>,
      DecodeBody<SignalEvent>,
      DecodeBody<InsnTrapEvent>,
      DecodeBody<ExecEvent>,
      DecodeBody<ExitEvent>,
      DecodeBody<SyscallEntryEvent>,
      DecodeBody<PreemptEvent>,
      DecodeBody<SyscallBatchEvent>,
  };
  size_t start = in->offset();
  uint8_t tag = 0;
  RETURN_IF_ERROR(in->ReadU8(&tag));
  if (tag >= std::size(kDecoders) || kDecoders[tag] == nullptr) {
    return Status(ErrorCode::kCorrupt, "unknown event kind tag " + std::to_string(tag) +
                                           " at byte " + std::to_string(start));
  }
  Status status = in->ReadSvarint32(&event->tid);
  if (status.ok()) status = kDecoders[tag](in, &event->body);
  return status.Wrap("event at byte " + std::to_string(start));
}

}  // namespace rwd::trace

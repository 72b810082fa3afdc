#include "trace/buffer_records.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "preload/syscallbuf_abi.h"

namespace rwd::trace {

namespace {

constexpr uint64_t Round8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

Status Corrupt(uint64_t index, const std::string& what) {
  return Status(ErrorCode::kCorrupt,
                "the syscall buffer's record " + std::to_string(index) + " " + what);
}

template <typename T>
void Put(std::vector<uint8_t>* out, const T& value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  out->insert(out->end(), p, p + sizeof(T));
}

}  // namespace

Status ForEachBufferRecord(std::span<const uint8_t> records, uint64_t count,
                           const arch::SyscallTable& table,
                           const std::function<void(const BufferRecord&)>& each) {
  BufferRecord view;
  // A batch repeats a few syscalls: the last one's row saves a lookup.
  const arch::SyscallInfo* last_row = nullptr;
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    rwd_sb_record rec;
    if (records.size() - at < sizeof(rec)) return Corrupt(i, "runs past the buffer's end");
    std::memcpy(&rec, records.data() + at, sizeof(rec));
    if (rec.size < sizeof(rec) || rec.size % 8 != 0 || rec.size > records.size() - at) {
      return Corrupt(i, "has a bad size (" + std::to_string(rec.size) + ")");
    }
    const arch::SyscallInfo* row =
        last_row && last_row->nr == rec.nr ? last_row : table.Find(rec.nr);
    last_row = row;
    if (!row || !row->bufferable) {
      return Corrupt(i, "is syscall " + table.NameOf(rec.nr) + ", which is never buffered");
    }
    view.nr = rec.nr;
    std::memcpy(view.args.data(), rec.args, sizeof(rec.args));
    if (!arch::BufferableCall(*row, view.args)) {
      return Corrupt(i, "is a " + table.NameOf(rec.nr) + " call (operation " +
                            std::to_string(view.args[1]) + ") that is never buffered");
    }
    view.result = rec.result;
    view.output_stream = static_cast<uint8_t>(rec.stream);
    view.outputs.clear();
    size_t p = at + sizeof(rec);
    size_t end = at + rec.size;
    for (uint16_t k = 0; k < rec.nout; ++k) {
      rwd_sb_out out;
      if (end - p < sizeof(out)) return Corrupt(i, "has an output past its end");
      std::memcpy(&out, records.data() + p, sizeof(out));
      p += sizeof(out);
      if (out.len > end - p || Round8(out.len) > end - p) {
        return Corrupt(i, "has an output longer than the record");
      }
      view.outputs.emplace_back(out.addr, records.subspan(p, out.len));
      p += Round8(out.len);
    }
    each(view);
    at = end;
  }
  return Status::Ok();
}

Status CheckBufferRecords(std::span<const uint8_t> records, uint64_t count,
                          const arch::SyscallTable& table) {
  return ForEachBufferRecord(records, count, table, [](const BufferRecord&) {});
}

Expected<std::vector<SyscallEvent>> DecodeBufferRecords(std::span<const uint8_t> records,
                                                        uint64_t count,
                                                        const arch::SyscallTable& table) {
  std::vector<SyscallEvent> calls;
  calls.reserve(std::min<uint64_t>(count, records.size() / sizeof(rwd_sb_record)));
  RETURN_IF_ERROR(ForEachBufferRecord(records, count, table, [&](const BufferRecord& rec) {
    SyscallEvent& call = calls.emplace_back();
    call.nr = rec.nr;
    call.args = rec.args;
    call.result = rec.result;
    call.output_stream = rec.output_stream;
    for (const auto& [addr, bytes] : rec.outputs) {
      call.writes.push_back(MemWrite{.addr = addr, .bytes = {bytes.begin(), bytes.end()}});
    }
  }));
  return calls;
}

SyscallBatchEvent MakeSyscallBatch(const std::vector<SyscallEvent>& calls) {
  return SyscallBatchEvent{.count = calls.size(), .records = EncodeBufferRecords(calls)};
}

Expected<std::vector<SyscallEvent>> CallsOf(const SyscallBatchEvent& batch,
                                            const arch::SyscallTable& table) {
  return DecodeBufferRecords(batch.records, batch.count, table);
}

std::vector<uint8_t> EncodeBufferRecords(const std::vector<SyscallEvent>& calls) {
  std::vector<uint8_t> out;
  for (const SyscallEvent& call : calls) {
    size_t start = out.size();
    rwd_sb_record rec{};
    rec.nr = call.nr;
    std::memcpy(rec.args, call.args.data(), sizeof(rec.args));
    rec.result = call.result;
    // A write to rewind's stdout or stderr carries the bytes written, which
    // the library compares with what the replayed program writes (and does
    // not copy anywhere).
    rec.stream = call.output_stream;
    rec.nout = static_cast<uint16_t>(call.writes.size());
    Put(&out, rec);
    for (const MemWrite& w : call.writes) {
      Put(&out, rwd_sb_out{w.addr, w.bytes.size()});
      out.insert(out.end(), w.bytes.begin(), w.bytes.end());
      out.resize(out.size() + (Round8(w.bytes.size()) - w.bytes.size()));
    }
    uint32_t size = static_cast<uint32_t>(out.size() - start);
    std::memcpy(out.data() + start, &size, sizeof(size));
  }
  return out;
}

}  // namespace rwd::trace

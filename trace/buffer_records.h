// The records of an in-process syscall buffer (preload/syscallbuf_abi.h).
// A SyscallBatchEvent keeps them as the library wrote them; these read
// them (checking them first: the program may have written over its buffer,
// or the trace may be damaged) and write SyscallEvents as records.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "arch/syscall_table.h"
#include "base/status.h"
#include "trace/event.h"

namespace rwd::trace {

// One record, as ForEachBufferRecord shows it. The spans point into the
// records and live as long as they do.
struct BufferRecord {
  int64_t nr = 0;
  std::array<uint64_t, 6> args{};
  int64_t result = 0;
  // 1 or 2: a write to the recorder's stdout or stderr, whose one output is
  // the bytes written (for replay to show), not memory to restore.
  uint8_t output_stream = 0;
  // (address, bytes) of each output.
  std::vector<std::pair<uint64_t, std::span<const uint8_t>>> outputs;
};

// `records`: the bytes after the header (its `used` bytes), `count` records.
// Calls `each` for every record in order, after checking it. Refuses
// (kCorrupt) a record that does not parse or names a syscall the table does
// not allow to be buffered, and stops there.
Status ForEachBufferRecord(std::span<const uint8_t> records, uint64_t count,
                           const arch::SyscallTable& table,
                           const std::function<void(const BufferRecord&)>& each);
// Checks all `count` records, as ForEachBufferRecord does.
Status CheckBufferRecords(std::span<const uint8_t> records, uint64_t count,
                          const arch::SyscallTable& table);
// The records as SyscallEvents (the bytes of a write to the recorder's
// stdout or stderr are its one MemWrite).
Expected<std::vector<SyscallEvent>> DecodeBufferRecords(std::span<const uint8_t> records,
                                                        uint64_t count,
                                                        const arch::SyscallTable& table);

// SyscallEvents as records, the library's layout.
std::vector<uint8_t> EncodeBufferRecords(const std::vector<SyscallEvent>& calls);

// A batch of these calls, and its calls.
SyscallBatchEvent MakeSyscallBatch(const std::vector<SyscallEvent>& calls);
Expected<std::vector<SyscallEvent>> CallsOf(const SyscallBatchEvent& batch,
                                            const arch::SyscallTable& table);

}  // namespace rwd::trace

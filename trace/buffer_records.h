// The records of an in-process syscall buffer (preload/syscallbuf_abi.h),
// to and from the trace's SyscallEvents. The recorder decodes what a
// thread's buffer holds into a SyscallBatchEvent; the replayer encodes a
// batch back into the bytes the library consumes during replay.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "arch/syscall_table.h"
#include "base/status.h"
#include "trace/event.h"

namespace rwd::trace {

// `records`: the bytes after the header (its `used` bytes), `count` records.
// Refuses (kCorrupt) a record that does not parse or names a syscall the
// table does not allow to be buffered: the program may have written there.
Expected<std::vector<SyscallEvent>> DecodeBufferRecords(std::span<const uint8_t> records,
                                                        uint64_t count,
                                                        const arch::SyscallTable& table);

// The records replay hands to the library: results and memory to restore;
// the bytes of writes to the recorder's stdout/stderr stay out.
std::vector<uint8_t> EncodeBufferRecords(const std::vector<SyscallEvent>& calls);

}  // namespace rwd::trace

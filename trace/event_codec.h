// Event serialization: the byte form of one Event inside an events chunk.
//
// An event is a kind tag byte, the thread id (zigzag varint), then the fields
// of that kind in declaration order (see event_codec.cc). The tags and field
// order are part of the trace format: changing them needs a new
// kFormatVersion. Decoding never trusts its input: unknown tags, out-of-range
// values and short data give kCorrupt with a message, never a crash.
#pragma once

#include "base/status.h"
#include "trace/byte_codec.h"
#include "trace/event.h"

namespace rwd::trace {

void EncodeEvent(const Event& event, ByteWriter* out);

// Decodes one event starting at the reader's position and leaves the reader
// after it. On error the event and the reader position are unspecified.
Status DecodeEvent(ByteReader* in, Event* event);

}  // namespace rwd::trace

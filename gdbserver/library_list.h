// Builds the qXfer:libraries-svr4:read document from the tracee's memory, the
// way the dynamic linker publishes it: AT_PHDR/AT_PHNUM (auxv) locate the
// executable's program headers, PT_DYNAMIC its dynamic section, DT_DEBUG the
// r_debug structure, and r_debug.r_map the link_map chain (l_addr, l_name,
// l_ld, l_next). The first link_map entry is the executable itself and is
// reported as main-lm, as gdbserver does.
//
// 64-bit (LP64, little-endian) layouts only: both supported architectures.
// Before ld.so has filled DT_DEBUG (or for a static executable) the list is
// empty, which gdb handles by asking again at the next stop. Every read is
// bounded, so a corrupt or hostile chain ends the list instead of looping.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "gdbserver/debug_target.h"

namespace rwd::gdbserver {

// <library-list-svr4 version="1.0" main-lm="0x..."><library name=... lm=...
// l_addr=... l_ld=... lmid="0x0"/>...</library-list-svr4>
Expected<std::string> BuildLibraryListSvr4(DebugTarget& target);

// Escapes &, <, >, " and ' for an XML attribute value.
std::string XmlEscape(std::string_view text);

}  // namespace rwd::gdbserver

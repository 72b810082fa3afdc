// Pending breakpoints of the console, as gdb's: `break LOCATION` on code not
// loaded yet (a library dlopen loads later, the program an exec runs) or
// on an indirect function no call has chosen the code of yet waits, and
// forward runs stop unseen where such code may come, so that the
// breakpoint takes effect before its code runs: at the dynamic loader's
// _dl_debug_state hook (as gdb) and at the resolvers of the indirect
// functions waited for. Breakpoints set by name become pending again when
// an exec replaces the program, so that they are set in the new one.
#pragma once

#include <cstdint>
#include <string>

#include "console/context.h"
#include "debugger/debugger_session.h"

namespace rwd::console {

// Where `break LOCATION` goes: *ADDR, FILE:LINE or a function. An indirect
// function that no call is bound to yet is not found (kNotFound); then
// `*unbound_resolver`, when given, says where its resolver is.
Expected<uint64_t> ResolveLocation(Context& cx, const std::string& location,
                                   uint64_t* unbound_resolver = nullptr);

// Gives each pending breakpoint whose location the loaded code now defines
// its address.
void ResolvePending(Context& cx);

// Forward to the next stop, as Context::Resume(kContinue), but while
// breakpoints are pending through every library load, resolving them on
// the way. `continue`, and the runs of next, step and finish, go this way.
debugger::Stop ContinueForward(Context& cx);

}  // namespace rwd::console

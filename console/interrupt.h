// Ctrl-C for the console: SIGINT sets a flag that a running command polls
// (the replay's interrupt poll) and that the prompt reads as "drop this
// line". The replayed processes run in their own process group, so the
// terminal's SIGINT reaches rewind only.
#pragma once

namespace rwd::console {

// Installs the handler (without SA_RESTART, so a blocking read returns).
void InstallInterruptHandler();
// Whether Ctrl-C came since the last call; clears it.
bool TakeInterrupt();

}  // namespace rwd::console

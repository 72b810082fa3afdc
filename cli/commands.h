// The rewind subcommands. Each takes its arguments (after the subcommand
// name) and returns the process exit status.
#pragma once

#include <string>
#include <vector>

namespace rwd::cli {

using Args = std::vector<std::string>;

int RecordCommand(const Args& args);
int ReplayCommand(const Args& args);
int DebugCommand(const Args& args);
int DumpCommand(const Args& args);
int InfoCommand(const Args& args);
int PsCommand(const Args& args);
int CiCommand(const Args& args);
int PackCommand(const Args& args);
int LsCommand(const Args& args);
int RmCommand(const Args& args);

// Prints "rewind: <message>" on stderr.
void PrintError(const std::string& message);

// Exit statuses for rewind's own failures. A refused command line exits 2,
// as getopt-based tools do, before any program has run.
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 70;
// A replay that stopped before the recorded end (trace cut short).
inline constexpr int kExitIncomplete = 75;

}  // namespace rwd::cli

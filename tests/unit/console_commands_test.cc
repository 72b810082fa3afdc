// The console's command table (names, gdb's short forms, two-word
// commands) and how it shows values read from memory.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "console/command_table.h"
#include "console/context.h"

namespace rwd::console {
namespace {

std::string Found(const std::string& line, std::string* args = nullptr) {
  std::string rest;
  const Command* c = FindCommand(line, &rest);
  if (args) *args = rest;
  return c ? std::string(c->name) : "";
}

TEST(CommandTable, GdbNamesAndShortForms) {
  EXPECT_EQ(Found("c"), "continue");
  EXPECT_EQ(Found("rc"), "reverse-continue");
  EXPECT_EQ(Found("si"), "stepi");
  EXPECT_EQ(Found("s"), "step");
  EXPECT_EQ(Found("rsi"), "reverse-stepi");
  EXPECT_EQ(Found("reverse-finish"), "reverse-finish");
  EXPECT_EQ(Found("bt"), "backtrace");
  EXPECT_EQ(Found("p counter"), "print");
  EXPECT_EQ(Found("cont"), "") << "prefixes are not names";
  EXPECT_EQ(Found("sx"), "");
}

TEST(CommandTable, ArgumentsFollowTheLongestName) {
  std::string args;
  EXPECT_EQ(Found("  break  debug_target.c:12  ", &args), "break");
  EXPECT_EQ(args, "debug_target.c:12");
  EXPECT_EQ(Found("info registers rip", &args), "info registers");
  EXPECT_EQ(args, "rip");
  EXPECT_EQ(Found("info threads", &args), "info threads");
  EXPECT_EQ(Found("info proc mappings", &args), "info proc mappings");
  EXPECT_EQ(Found("x/4xg $sp", &args), "x");
  EXPECT_EQ(args, "/4xg $sp");
  EXPECT_EQ(Found("checkpoints"), "checkpoints");
  EXPECT_EQ(Found("checkpoint mark", &args), "checkpoint");
  EXPECT_EQ(args, "mark");
}

TEST(CommandTable, NamesAreUniqueAndHelpNamesEveryCommand) {
  std::set<std::string> seen;
  std::string help = HelpText("");
  for (const Command& c : Commands()) {
    EXPECT_TRUE(seen.insert(std::string(c.name)).second) << c.name;
    for (std::string_view a : c.aliases) EXPECT_TRUE(seen.insert(std::string(a)).second) << a;
    EXPECT_NE(help.find(std::string(c.name)), std::string::npos) << c.name;
    EXPECT_NE(c.handler, nullptr) << c.name;
  }
  EXPECT_NE(HelpText("rc").find("reverse-continue"), std::string::npos);
  EXPECT_NE(HelpText("nonsense").find("no command"), std::string::npos);
}

TEST(FormatBytes, IntegersBySizeElseBytes) {
  EXPECT_EQ(FormatBytes({5, 0, 0, 0}), "5");
  EXPECT_EQ(FormatBytes({0xff, 0xff, 0xff, 0xff}), "-1 (0xffffffff)");
  EXPECT_EQ(FormatBytes({0x2a, 0, 0, 0, 0, 0, 0, 0}), "42 (0x2a)");
  EXPECT_EQ(FormatBytes({0xfe}), "-2 (0xfe)");
  EXPECT_EQ(FormatBytes({0x72, 0x77, 0x00}), "{0x72, 0x77, 0x00}");
}

}  // namespace
}  // namespace rwd::console

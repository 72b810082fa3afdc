// Time travel, threads, the trace's events and the memory map
// (console/command_table.h). when, goto, checkpoint(s) and restart say
// what gdb's `monitor` says (debugger/time_travel_commands.h).
#include <charconv>
#include <cinttypes>

#include "base/hex.h"
#include "console/command_table.h"
#include "debugger/time_travel_commands.h"
#include "trace/event_format.h"
#include "trace/trace_reader.h"

namespace rwd::console {

namespace {

Status TimeTravel(Context& cx, const std::string& verb, const std::string& args) {
  std::optional<std::string> out = debugger::RunTimeTravelCommand(cx.session(), verb, args, "", cx.interrupted());
  cx.Print(*out);
  // An interrupted goto moved too, to where it got.
  bool moved = (verb == "goto" || verb == "restart") && out->rfind("error: ", 0) != 0 &&
               out->rfind("usage: ", 0) != 0;
  if (moved) {
    cx.CommandDone();  // another point: its mappings may differ
    cx.PrintWhere();
  }
  return Status::Ok();
}

Expected<uint64_t> Number(const std::string& text, const std::string& what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status(ErrorCode::kInvalidInput, "'" + text + "' is not " + what);
  }
  return v;
}

}  // namespace

Status WhenCommand(Context& cx, const std::string& args) { return TimeTravel(cx, "when", args); }
Status GotoCommand(Context& cx, const std::string& args) { return TimeTravel(cx, "goto", args); }
Status CheckpointCommand(Context& cx, const std::string& args) {
  return TimeTravel(cx, "checkpoint", args);
}
Status CheckpointsCommand(Context& cx, const std::string& args) {
  return TimeTravel(cx, "checkpoints", args);
}
Status RestartCommand(Context& cx, const std::string& args) {
  return TimeTravel(cx, "restart", args);
}

Status InfoThreadsCommand(Context& cx, const std::string&) {
  std::vector<debugger::ThreadEntry> threads = cx.session().Threads();
  if (threads.empty()) {
    cx.Print("No threads: the process has exited.\n");
    return Status::Ok();
  }
  RecordedTid current = cx.session().CurrentThread();
  for (size_t i = 0; i < threads.size(); ++i) {
    const debugger::ThreadEntry& t = threads[i];
    std::string where;
    if (Expected<arch::Registers> regs = cx.session().live().GetRegisters(t.tid); regs.ok()) {
      uint64_t pc = cx.arch().Pc(*regs);
      CodeLocation loc = cx.symbols().Describe(pc);
      where = Hex(pc) + " in " + (loc.function.empty() ? "??" : loc.function);
      if (loc.source) where += " at " + loc.source->file + ":" + std::to_string(loc.source->line);
    }
    char head[64];
    snprintf(head, sizeof(head), "%c %-4zu thread %d ", t.tid == current ? '*' : ' ', i + 1,
             t.tid.value());
    cx.Print(head + ("\"" + t.name + "\" ") + where + "\n");
  }
  return Status::Ok();
}

Status ThreadCommand(Context& cx, const std::string& args) {
  if (args.empty()) {
    cx.Print("Current thread: " + std::to_string(cx.Thread()) + "\n");
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(uint64_t n, Number(args, "a thread number or tid"));
  std::vector<debugger::ThreadEntry> threads = cx.session().Threads();
  RecordedTid tid(static_cast<pid_t>(n));
  // gdb's numbers (1, 2, ... as 'info threads' lists them), else a tid.
  if (n >= 1 && n <= threads.size()) tid = threads[n - 1].tid;
  RETURN_IF_ERROR(cx.session().SelectThread(tid));
  cx.PrintWhere();
  return Status::Ok();
}

Status EventsCommand(Context& cx, const std::string& args) {
  uint64_t count = 10;
  if (!args.empty()) {
    ASSIGN_OR_RETURN(count, Number(args, "a number of events"));
  }
  if (count == 0 || count > 100000) {
    return Status(ErrorCode::kInvalidInput, "events: 1 to 100000 events at a time");
  }
  // A reader of its own: the replay's reads at its own position.
  ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                   trace::TraceReader::Open(cx.session().live().reader().dir()));
  uint64_t next = cx.session().timeline().event_number();
  uint64_t first = next > count / 2 ? next - count / 2 : 0;
  RETURN_IF_ERROR(reader->Seek(first));
  for (uint64_t n = first; n < first + count; ++n) {
    ASSIGN_OR_RETURN(std::optional<trace::Event> ev, reader->Next());
    if (!ev) {
      cx.Print("   (end of the trace: " + std::to_string(reader->event_count()) + " events)\n");
      break;
    }
    // The next event to replay is where the replay is.
    cx.Print(std::string(n == next ? "=> " : "   ") + "#" + std::to_string(n) + " " +
             trace::DescribeEvent(cx.arch(), *ev) + "\n");
  }
  return Status::Ok();
}

Status InfoMappingsCommand(Context& cx, const std::string&) {
  ASSIGN_OR_RETURN(std::string maps, cx.session().RecordedMaps());
  cx.Print(maps);
  return Status::Ok();
}

}  // namespace rwd::console

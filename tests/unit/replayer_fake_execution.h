// FakeExecution: a scripted Execution (replayer/execution.h) for testing
// Timeline without tracees. The script is the whole run, one instruction
// after another (threads interleaved as recorded); an execution is an index
// into it. It keeps the contract a ReplaySession keeps: breakpoints stop
// before the instruction and are stepped over by the next Continue(),
// watchpoints stop after the instruction that wrote, events end at a
// boundary the predicate may stop at, output is echoed only past the echo
// mark and never by forks, and the end is an exit or a trace cut short.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "replayer/execution.h"

namespace rwd::replayer::testing {

struct FakeInsn {
  pid_t tid = 1;
  uint64_t pc = 0;
  // A register's value: tells the visits of one pc apart (a loop counter).
  uint64_t value = 0;
  // Executing it replays an event (a syscall); `output` is what it echoes.
  bool event = false;
  std::string output{};
  uint64_t writes = 0;  // the address it stores to; 0 for none
};

struct FakeScript {
  std::vector<FakeInsn> insns;
  // The last instruction is the exit; else the trace is cut short there
  // (the thread stops at the last instruction, which never runs).
  bool exits = true;
  // False: like several processes, the execution cannot fork.
  bool forkable = true;
};

// What every execution of one script did, for tests to assert on.
struct FakeLog {
  int opens = 0;
  std::vector<size_t> forked_at;  // script index of each Fork()
  uint64_t executed = 0;          // instructions run, by any execution
  uint64_t steps = 0;             // of those, by Step()
  std::string echoed;
};

class FakeExecution : public Execution {
 public:
  FakeExecution(std::shared_ptr<const FakeScript> script, std::shared_ptr<FakeLog> log, bool echo)
      : script_(std::move(script)), log_(std::move(log)), echo_(echo) {}

  static ExecutionOpener Opener(std::shared_ptr<const FakeScript> script,
                                std::shared_ptr<FakeLog> log) {
    return [script, log](bool echo) -> Expected<std::unique_ptr<Execution>> {
      ++log->opens;
      return std::unique_ptr<Execution>(new FakeExecution(script, log, echo));
    };
  }

  size_t index() const { return next_; }

  Expected<ReplayStop> Continue() override {
    while (true) {
      if (std::optional<ReplayStop> end = EndStop()) return *end;
      if (std::optional<ReplayStop> stop = Execute(/*step=*/false)) return *stop;
      if (std::optional<ReplayStop> end = EndStop()) return *end;
      if (breakpoints_.count(insn().pc)) {
        ReplayStop stop = MakeStop(ReplayStop::Kind::kBreakpoint);
        stop.addr = insn().pc;
        return stop;
      }
      if (interrupt_poll_ && interrupt_poll_()) return MakeStop(ReplayStop::Kind::kInterrupted);
    }
  }

  Expected<ReplayStop> Step() override {
    if (std::optional<ReplayStop> end = EndStop()) return *end;
    ++log_->steps;
    if (std::optional<ReplayStop> stop = Execute(/*step=*/true)) return *stop;
    return MakeStop(ReplayStop::Kind::kStep);
  }

  Expected<ReplayStop> StepThread(pid_t tid) override {
    while (!EndStop() && insn().tid != tid) {
      std::optional<ReplayStop> stop = Execute(/*step=*/true);
      if (stop && stop->kind == ReplayStop::Kind::kExited) return *stop;
    }
    return Step();
  }

  Expected<std::unique_ptr<Execution>> Fork() override {
    if (!CanFork()) return Status(ErrorCode::kInvalidInput, "cannot fork here");
    log_->forked_at.push_back(next_);
    auto copy = std::make_unique<FakeExecution>(script_, log_, /*echo=*/false);
    copy->next_ = next_;
    copy->events_ = events_;
    copy->boundary_ = boundary_;
    return std::unique_ptr<Execution>(std::move(copy));
  }
  bool CanFork() const override { return script_->forkable && !EndStop(); }

  Position Here() override {
    Position p;
    p.event = events_;
    p.boundary = boundary_;
    if (next_ < insns().size()) {
      p.tid = insn().tid;
      p.pc = insn().pc;
      p.regs.SetWord(0, insn().pc);
      p.regs.SetWord(1, insn().value);
    } else {
      p.tid = insns().back().tid;  // exited: no registers to read
    }
    return p;
  }
  uint64_t event_number() const override { return events_; }
  uint64_t event_count() const override {
    return std::count_if(insns().begin(), insns().end(), [](const FakeInsn& i) { return i.event; });
  }
  bool exited() const override { return next_ >= insns().size(); }

  Status InsertBreakpoint(uint64_t addr) override {
    breakpoints_.insert(addr);
    return Status::Ok();
  }
  Status RemoveBreakpoint(uint64_t addr) override {
    breakpoints_.erase(addr);
    return Status::Ok();
  }
  Expected<bool> SetWatchpoints(const std::vector<arch::HwWatch>& watches) override {
    watches_ = watches;
    return true;
  }
  void set_boundary_stop(std::function<bool(uint64_t)> predicate) override {
    boundary_stop_ = std::move(predicate);
  }
  void set_interrupt_poll(std::function<bool()> poll) override {
    interrupt_poll_ = std::move(poll);
  }
  void set_echo_from_event(uint64_t event) override { echo_from_ = event; }
  // Scripts make no syscalls to catch.
  void set_syscall_catch(const SyscallCatch&) override {}

 private:
  const std::vector<FakeInsn>& insns() const { return script_->insns; }
  const FakeInsn& insn() const { return insns()[next_]; }

  ReplayStop MakeStop(ReplayStop::Kind kind) const {
    ReplayStop stop;
    stop.kind = kind;
    stop.tid = next_ < insns().size() ? insn().tid : insns().back().tid;
    return stop;
  }

  // The stop at the end of the script, when execution is there.
  std::optional<ReplayStop> EndStop() const {
    if (next_ >= insns().size()) return MakeStop(ReplayStop::Kind::kExited);
    if (!script_->exits && next_ + 1 == insns().size()) {
      ReplayStop stop = MakeStop(ReplayStop::Kind::kEndOfTrace);
      stop.note = "the trace has no more events";
      return stop;
    }
    return std::nullopt;
  }

  // Runs the next instruction; returns the stop it causes, if any.
  std::optional<ReplayStop> Execute(bool step) {
    const FakeInsn& done = insn();
    ++next_;
    ++log_->executed;
    boundary_ = false;
    if (done.event) {
      ++events_;
      boundary_ = true;
      if (echo_ && events_ > echo_from_) log_->echoed += done.output;
    }
    if (next_ >= insns().size()) return MakeStop(ReplayStop::Kind::kExited);
    for (size_t i = 0; i < watches_.size(); ++i) {
      if (done.writes != 0 && done.writes >= watches_[i].addr &&
          done.writes < watches_[i].addr + watches_[i].len) {
        ReplayStop stop = MakeStop(ReplayStop::Kind::kWatchpoint);
        stop.watch_index = static_cast<int>(i);
        stop.addr = watches_[i].addr;
        return stop;
      }
    }
    if (!step && done.event && boundary_stop_ && boundary_stop_(events_)) {
      return MakeStop(ReplayStop::Kind::kEventBoundary);
    }
    return std::nullopt;
  }

  std::shared_ptr<const FakeScript> script_;
  std::shared_ptr<FakeLog> log_;
  bool echo_;
  size_t next_ = 0;  // index of the instruction about to run
  uint64_t events_ = 0;
  bool boundary_ = false;
  std::set<uint64_t> breakpoints_;
  std::vector<arch::HwWatch> watches_;
  std::function<bool(uint64_t)> boundary_stop_;
  std::function<bool()> interrupt_poll_;
  uint64_t echo_from_ = 0;
};

}  // namespace rwd::replayer::testing

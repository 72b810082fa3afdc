// Layer 3: every handler over a fake target, with exact reply strings.
#include <gtest/gtest.h>

#include "gdb_fake_target.h"
#include "gdbserver/hex.h"
#include "gdbserver/session.h"

namespace rwd::gdbserver {
namespace {

using testing::FakeTarget;

class GdbSessionTest : public ::testing::Test {
 protected:
  // The single reply payload to `packet`.
  std::string Ask(std::string_view packet) {
    GdbSession::Reply reply = session_.Handle(packet, never_);
    EXPECT_EQ(reply.packets.size(), 1u) << packet;
    return reply.packets.empty() ? "<none>" : reply.packets.front();
  }

  FakeTarget target_;
  GdbSession session_{target_};
  std::function<bool()> never_ = [] { return false; };
};

TEST_F(GdbSessionTest, QuerySupportedAdvertisesReplayFeatures) {
  const std::string base =
      "PacketSize=20000;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+;ReverseStep+;"
      "ReverseContinue+;qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+;"
      "qXfer:libraries-svr4:read+;qXfer:threads:read+;qXfer:siginfo:read+;QCatchSyscalls+";
  EXPECT_EQ(Ask("qSupported:swbreak+;hwbreak+"), base);
  EXPECT_FALSE(session_.multiprocess());
  EXPECT_EQ(Ask("qSupported:multiprocess+;swbreak+"), base + ";multiprocess+");
  EXPECT_TRUE(session_.multiprocess());
}

TEST_F(GdbSessionTest, NoAckModeIsAcknowledgedThenSwitched) {
  GdbSession::Reply reply = session_.Handle("QStartNoAckMode", never_);
  EXPECT_EQ(reply.packets, std::vector<std::string>{"OK"});
  EXPECT_TRUE(reply.start_no_ack);
}

TEST_F(GdbSessionTest, HaltReasonReportsLastStop) {
  EXPECT_EQ(Ask("?"), "T05thread:101;");
  Ask("qSupported:multiprocess+");
  EXPECT_EQ(Ask("?"), "T05thread:p100.101;");
}

TEST_F(GdbSessionTest, ReadsAllRegistersInTableOrder) {
  EXPECT_EQ(Ask("g"),
            "8877665544332211"      // rax
            "0010400000000000"      // rip
            "46020000"              // eflags (32 bits)
            "0102030405060708090a"  // st0 (80 bits, extended state)
            "00000000"              // a register the kernel does not give
            "7f030000");            // 16-bit field widened to gdb's 32 bits
}

TEST_F(GdbSessionTest, UnreadableExtendedStateIsUnavailable) {
  target_.fp_fails_ = true;
  EXPECT_EQ(Ask("p3"), "xxxxxxxxxxxxxxxxxxxx");
  EXPECT_EQ(Ask("p1"), "0010400000000000");
}

TEST_F(GdbSessionTest, ReadsOneRegister) {
  EXPECT_EQ(Ask("p1"), "0010400000000000");
  EXPECT_EQ(Ask("p2"), "46020000");
  EXPECT_EQ(Ask("p4"), "00000000");
  EXPECT_EQ(Ask("p5"), "7f030000");
  EXPECT_EQ(Ask("p6"), "E02");
  EXPECT_EQ(Ask("pffffffffffffffff"), "E02");
}

TEST_F(GdbSessionTest, HgSelectsTheRegisterThread) {
  EXPECT_EQ(Ask("Hg102"), "OK");
  EXPECT_EQ(Ask("p1"), "0020400000000000");
  EXPECT_EQ(Ask("Hg0"), "OK");
  EXPECT_EQ(Ask("Hg999"), "E05");
  EXPECT_EQ(Ask("Hgzz"), "E04");
  EXPECT_EQ(Ask("Hc-1"), "OK");
}

TEST_F(GdbSessionTest, ReadsMemoryHexAndBinary) {
  target_.Map(0x1000, {0xde, 0xad, 0xbe, 0xef});
  target_.Map(0x2000, {0x23, 0x24, 0x7d, 0x2a, 0x41});
  EXPECT_EQ(Ask("m1000,4"), "deadbeef");
  EXPECT_EQ(Ask("m1002,10"), "beef");  // stops at the end of the mapping
  EXPECT_EQ(Ask("m5000,4"), "E01");
  EXPECT_EQ(Ask("x2000,5"),
            "b}\x03}\x04}]}\x0a"
            "A");
  EXPECT_EQ(Ask("x5000,5"), "E01");
  EXPECT_EQ(Ask("m1000"), "E04");
}

TEST_F(GdbSessionTest, HugeMemoryReadsAreCappedNotFatal) {
  target_.Map(0x1000, std::vector<uint8_t>(0x30000, 0xaa));
  std::string reply = Ask("m1000,ffffffffffffffff");
  EXPECT_LE(reply.size(), 0x20000u);
  EXPECT_EQ(reply.substr(0, 4), "aaaa");
  EXPECT_EQ(Ask("mffffffffffffffff,ffffffffffffffff"), "E01");
}

TEST_F(GdbSessionTest, StateChangesATargetRefusesAreErrorsAndSessionSurvives) {
  const std::string refusal =
      "E.rewind: replay is read-only; registers and memory cannot be changed";
  // rax rip eflags st0 fake fctrl: 8+8+4+10+4+4 bytes.
  EXPECT_EQ(Ask("G" + std::string(76, '0')), refusal);
  EXPECT_EQ(Ask("P1=0000000000000000"), refusal);
  EXPECT_EQ(Ask("M1000,1:00"), refusal);
  EXPECT_EQ(Ask("X1000,1:\x01"), refusal);
  EXPECT_EQ(Ask("?"), "T05thread:101;");
}

// gdb's `run` writes the pc it just read: a write that changes nothing.
TEST_F(GdbSessionTest, RegisterWritesOfTheCurrentValueAreAccepted) {
  EXPECT_EQ(Ask("P1=0010400000000000"), "OK");
  EXPECT_EQ(Ask("P1=0110400000000000"),
            "E.rewind: replay is read-only; registers and memory cannot be changed");
  EXPECT_EQ(Ask("P1"), "E04");  // malformed
  EXPECT_EQ(Ask("G00"), "E.rewind: a G packet of 2 hex digits does not end at a register's end");
  EXPECT_EQ(Ask("p1"), "0010400000000000");
}

// Inferior calls: gdb writes registers (P, or G) and memory (M, or X with
// escapes), and reads back what it wrote.
TEST_F(GdbSessionTest, WritesReachTheTargetInItsRegistersSources) {
  target_.writable_ = true;
  EXPECT_EQ(Ask("P0=0100000000000000"), "OK");
  EXPECT_EQ(Ask("p0"), "0100000000000000");
  EXPECT_EQ(Ask("p1"), "0010400000000000");
  // fctrl keeps 2 bytes in the fp state; gdb's upper half is not stored.
  EXPECT_EQ(Ask("P5=ff7f0000"), "OK");
  EXPECT_EQ(Ask("p5"), "ff7f0000");
  EXPECT_EQ(target_.fp_[10], 0xff);
  EXPECT_EQ(target_.fp_[12], 0);
  // G: all of them; the zero-sourced `fake` and the same values change nothing.
  std::string all = Ask("g");
  int writes = target_.register_writes_;
  EXPECT_EQ(Ask("G" + all), "OK");
  EXPECT_EQ(target_.register_writes_, writes);
  all.replace(16, 16, "0020400000000000");  // rip
  all.replace(60, 8, "ffffffff");            // fake
  EXPECT_EQ(Ask("G" + all), "OK");
  EXPECT_EQ(Ask("p1"), "0020400000000000");
  EXPECT_EQ(Ask("p4"), "00000000");
  EXPECT_EQ(Ask("P1=xxxxxxxxxxxxxxxx"), "OK");
  EXPECT_EQ(Ask("p1"), "0020400000000000");
  EXPECT_EQ(Ask("P1=00"), "E.rewind: bad value '00' for register rip");
  // Memory.
  EXPECT_EQ(Ask("M2000,3:0a0b0c"), "OK");
  EXPECT_EQ(Ask("m2000,3"), "0a0b0c");
  EXPECT_EQ(Ask(std::string("X3000,2:}\x03*")), "OK");  // 0x23 '#' escaped, then '*'
  EXPECT_EQ(Ask("m3000,2"), "232a");
  EXPECT_EQ(Ask("X3000,0:"), "OK");  // gdb's probe for X
}

TEST_F(GdbSessionTest, Breakpoints) {
  EXPECT_EQ(Ask("Z0,401136,1"), "OK");
  ASSERT_EQ(target_.breakpoints_.size(), 1u);
  EXPECT_EQ(target_.breakpoints_[0].type, BreakpointType::kSoftware);
  EXPECT_EQ(target_.breakpoints_[0].addr, 0x401136u);
  EXPECT_EQ(target_.breakpoints_[0].len, 1);
  EXPECT_EQ(Ask("Z2,7ffe0010,8"), "OK");
  EXPECT_EQ(target_.breakpoints_[1].type, BreakpointType::kWrite);
  EXPECT_EQ(Ask("z0,401136,1"), "OK");
  EXPECT_EQ(target_.breakpoints_.size(), 1u);
  EXPECT_EQ(Ask("z0,401136,1"), "E.rewind: no such breakpoint");
  EXPECT_EQ(Ask("Z0,dead,1"), "E.rewind: cannot plant there");
  EXPECT_EQ(Ask("Z5,1000,1"), "");
}

TEST_F(GdbSessionTest, ContinueReportsTheStop) {
  target_.next_stop_.tid = 0x101;
  target_.next_stop_.swbreak = true;
  EXPECT_EQ(Ask("vCont;c"), "T05thread:101;swbreak:;");
  ASSERT_EQ(target_.resumes_.size(), 1u);
  const ResumeRequest& resume = target_.resumes_[0];
  EXPECT_EQ(resume.direction, Direction::kForward);
  EXPECT_EQ(resume.kind, ResumeKind::kContinue);
  EXPECT_EQ(resume.tid, -1);
  EXPECT_EQ(resume.signal, 0);
}

TEST_F(GdbSessionTest, CatchSyscallsReachesTheTargetAndItsStopsAreReported) {
  EXPECT_EQ(Ask("QCatchSyscalls:1;1;e7"), "OK");
  EXPECT_TRUE(target_.catch_enabled_);
  EXPECT_EQ(target_.catch_numbers_, (std::vector<int64_t>{1, 0xe7}));
  EXPECT_EQ(Ask("QCatchSyscalls:1"), "OK");
  EXPECT_TRUE(target_.catch_numbers_.empty());
  EXPECT_EQ(Ask("QCatchSyscalls:0"), "OK");
  EXPECT_FALSE(target_.catch_enabled_);
  target_.next_stop_.tid = 0x101;
  target_.next_stop_.syscall_nr = 1;
  EXPECT_EQ(Ask("vCont;c"), "T05thread:101;syscall_entry:1;");
  target_.next_stop_.syscall = StopReply::Syscall::kReturn;
  target_.next_stop_.syscall_nr = 0xe7;
  EXPECT_EQ(Ask("bc"), "T05thread:101;syscall_return:e7;");
}

TEST_F(GdbSessionTest, ExecStopsWhenGdbHandlesThem) {
  EXPECT_FALSE(target_.exec_events_);
  EXPECT_TRUE(
      Ask("qSupported:multiprocess+;exec-events+").ends_with(";multiprocess+;exec-events+"));
  EXPECT_TRUE(target_.exec_events_);
  target_.next_stop_.tid = 0x101;
  target_.next_stop_.exec_path = "/bin/ls";
  target_.next_stop_.syscall_nr = 59;  // the exec is the stop's one reason
  EXPECT_EQ(Ask("vCont;c"), "T05thread:p100.101;exec:2f62696e2f6c73;");
  Ask("qSupported:multiprocess+");
  EXPECT_FALSE(target_.exec_events_);
}

TEST_F(GdbSessionTest, VContStepsTheNamedThread) {
  target_.next_stop_.tid = 0x102;
  Ask("qSupported:multiprocess+");
  EXPECT_EQ(Ask("vCont;s:p100.102;c:p100.-1"), "T05thread:p100.102;");
  EXPECT_EQ(target_.resumes_.back().kind, ResumeKind::kStep);
  EXPECT_EQ(target_.resumes_.back().tid, 0x102);
}

TEST_F(GdbSessionTest, VContSignalIsTranslatedToLinux) {
  Ask("vCont;C1e:102");  // gdb's SIGUSR1 is 30
  EXPECT_EQ(target_.resumes_.back().signal, 10);
  EXPECT_EQ(target_.resumes_.back().kind, ResumeKind::kContinue);
  Ask("vCont;S0a");  // gdb's SIGBUS is 10
  EXPECT_EQ(target_.resumes_.back().signal, 7);
  EXPECT_EQ(Ask("vCont;C07"), "E.rewind: signal has no Linux equivalent");  // SIGEMT
  EXPECT_EQ(Ask("vCont;t"), "E.rewind: vCont action 't' is not supported");
}

TEST_F(GdbSessionTest, ReverseExecutionReportsHistoryEnds) {
  target_.next_stop_.kind = StopReply::Kind::kHistoryBegin;
  target_.next_stop_.tid = 0x101;
  EXPECT_EQ(Ask("bc"), "T05thread:101;replaylog:begin;");
  EXPECT_EQ(target_.resumes_.back().direction, Direction::kReverse);
  EXPECT_EQ(target_.resumes_.back().kind, ResumeKind::kContinue);
  target_.next_stop_.kind = StopReply::Kind::kHistoryEnd;
  EXPECT_EQ(Ask("c"), "T05thread:101;replaylog:end;");
  target_.next_stop_.kind = StopReply::Kind::kSignal;
  EXPECT_EQ(Ask("bs"), "T05thread:101;");
  EXPECT_EQ(target_.resumes_.back().direction, Direction::kReverse);
  EXPECT_EQ(target_.resumes_.back().kind, ResumeKind::kStep);
}

TEST_F(GdbSessionTest, StopReplyFlavours) {
  StopReply& stop = target_.next_stop_;
  stop.tid = 0x101;
  stop.watch_type = BreakpointType::kWrite;
  stop.watch_addr = 0x7ffe0010;
  EXPECT_EQ(Ask("c"), "T05thread:101;watch:7ffe0010;");
  stop.watch_type = BreakpointType::kRead;
  EXPECT_EQ(Ask("c"), "T05thread:101;rwatch:7ffe0010;");
  stop.watch_type = BreakpointType::kAccess;
  EXPECT_EQ(Ask("c"), "T05thread:101;awatch:7ffe0010;");
  stop.watch_type.reset();
  stop.hwbreak = true;
  EXPECT_EQ(Ask("c"), "T05thread:101;hwbreak:;");
  stop.hwbreak = false;
  stop.signo = 10;  // SIGUSR1
  EXPECT_EQ(Ask("c"), "T1ethread:101;");
  stop.signo = 17;  // SIGCHLD
  EXPECT_EQ(Ask("c"), "T14thread:101;");
  stop.kind = StopReply::Kind::kExited;
  stop.exit_code = 3;
  EXPECT_EQ(Ask("c"), "W03");
  stop.kind = StopReply::Kind::kTerminated;
  stop.signo = 11;
  EXPECT_EQ(Ask("c"), "X0b");
  Ask("qSupported:multiprocess+");
  EXPECT_EQ(Ask("c"), "X0b;process:100");
  EXPECT_EQ(Ask("?"), "X0b;process:100");
}

TEST_F(GdbSessionTest, LegacyResumeAtAnAddressIsRefused) {
  EXPECT_EQ(Ask("c401000"), "E.rewind: replay cannot resume at a different address");
  EXPECT_TRUE(target_.resumes_.empty());
  EXPECT_EQ(Ask("vCont?"), "vCont;c;C;s;S");
}

TEST_F(GdbSessionTest, TargetDescriptionWindows) {
  const std::string xml(testing::FakeArch::kXml);
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:0,10"), "m" + xml.substr(0, 16));
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:10,10"), "m" + xml.substr(16, 16));
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:0,fff"), "l" + xml);
  std::string tail_offset = HexNumber(xml.size() - 5);
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:" + tail_offset + ",100"),
            "l" + xml.substr(xml.size() - 5));
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:" + HexNumber(xml.size()) + ",100"), "l");
  EXPECT_EQ(Ask("qXfer:features:read:target.xml:ffffffffffffffff,100"), "l");
  EXPECT_EQ(Ask("qXfer:features:read:other.xml:0,100"), "E07");
  EXPECT_EQ(Ask("qXfer:osdata:read::0,100"), "");  // an object this server does not offer
  // One it offers, from a target that has none to give.
  EXPECT_EQ(Ask("qXfer:siginfo:read::0,100"), "E.rewind: this target keeps no siginfo");
}

TEST_F(GdbSessionTest, AuxvAndExecFile) {
  target_.auxv_ = {0x06, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x23};
  EXPECT_EQ(Ask("qXfer:auxv:read::0,1000"),
            std::string("l\x06\0\0\0\0\0\0\0\0\x10\0\0\0\0\0\0}\x03", 19));
  EXPECT_EQ(Ask("qXfer:exec-file:read:100:0,1000"), "l/usr/bin/fake");
}

TEST_F(GdbSessionTest, ThreadPackets) {
  EXPECT_EQ(Ask("qfThreadInfo"), "m101,102");
  EXPECT_EQ(Ask("qsThreadInfo"), "l");
  EXPECT_EQ(Ask("qC"), "QC101");
  EXPECT_EQ(Ask("T102"), "OK");
  EXPECT_EQ(Ask("T999"), "E05");
  EXPECT_EQ(Ask("qThreadExtraInfo,102"), HexEncode("worker<1>"));
  EXPECT_EQ(Ask("qThreadExtraInfo,999"), "E05");
  EXPECT_EQ(Ask("qXfer:threads:read::0,fff"),
            "l<?xml version=\"1.0\"?>\n<threads>\n"
            "<thread id=\"101\" name=\"main\"/>\n"
            "<thread id=\"102\" name=\"worker&lt;1&gt;\"/>\n"
            "</threads>\n");
  Ask("qSupported:multiprocess+");
  EXPECT_EQ(Ask("qfThreadInfo"), "mp100.101,p100.102");
  EXPECT_EQ(Ask("qC"), "QCp100.101");
}

TEST_F(GdbSessionTest, MonitorOutputGoesToTheConsole) {
  target_.monitor_output_ = "event 42\n";
  GdbSession::Reply reply = session_.Handle("qRcmd," + HexEncode("when"), never_);
  EXPECT_EQ(reply.packets, (std::vector<std::string>{"O" + HexEncode("event 42\n"), "OK"}));
  EXPECT_EQ(target_.monitor_commands_, std::vector<std::string>{"when"});
  target_.monitor_output_ = "";
  EXPECT_EQ(Ask("qRcmd," + HexEncode("checkpoint")), "OK");
}

TEST_F(GdbSessionTest, MiscQueries) {
  EXPECT_EQ(Ask("qAttached"), "1");
  EXPECT_EQ(Ask("qSymbol::"), "OK");
  EXPECT_EQ(Ask("vMustReplyEmpty"), "");
  EXPECT_EQ(Ask("qTStatus"), "");
}

TEST_F(GdbSessionTest, SessionEnders) {
  GdbSession::Reply detach = session_.Handle("D", never_);
  EXPECT_EQ(detach.packets, std::vector<std::string>{"OK"});
  EXPECT_TRUE(detach.end_session);
  EXPECT_FALSE(target_.killed_);
  GdbSession::Reply kill = session_.Handle("k", never_);
  EXPECT_TRUE(kill.packets.empty());
  EXPECT_TRUE(kill.end_session);
  EXPECT_TRUE(target_.killed_);
  target_.killed_ = false;
  GdbSession::Reply vkill = session_.Handle("vKill;100", never_);
  EXPECT_EQ(vkill.packets, std::vector<std::string>{"OK"});
  EXPECT_TRUE(vkill.end_session);
  EXPECT_TRUE(target_.killed_);
}

// `target extended-remote`: gdb's `kill` keeps the connection and `run`
// (vRun) restarts the target instead of starting a new process.
TEST_F(GdbSessionTest, ExtendedModeRunRestarts) {
  EXPECT_EQ(Ask("vRun;2f62696e2f74727565"), "T05thread:101;");
  EXPECT_EQ(target_.restarts_, 1);
  EXPECT_EQ(Ask("!"), "OK");
  GdbSession::Reply vkill = session_.Handle("vKill;101", never_);
  EXPECT_EQ(vkill.packets, std::vector<std::string>{"OK"});
  EXPECT_FALSE(vkill.end_session);
  EXPECT_TRUE(target_.killed_);
  EXPECT_EQ(Ask("vRun;"), "T05thread:101;");
  EXPECT_EQ(target_.restarts_, 2);
}

}  // namespace
}  // namespace rwd::gdbserver

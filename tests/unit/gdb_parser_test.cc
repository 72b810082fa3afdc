// Layer 2: packet text -> typed request, including malformed input.
#include <gtest/gtest.h>

#include "gdbserver/request_parser.h"

namespace rwd::gdbserver {
namespace {

template <typename T>
T Parse(std::string_view packet) {
  Expected<Request> request = ParseRequest(packet);
  EXPECT_TRUE(request.ok()) << packet << ": " << request.status().ToString();
  if (!request.ok()) return T{};
  const T* typed = std::get_if<T>(&*request);
  EXPECT_NE(typed, nullptr) << packet << " parsed to alternative " << request->index();
  return typed ? *typed : T{};
}

void ExpectMalformed(std::string_view packet) {
  Expected<Request> request = ParseRequest(packet);
  ASSERT_FALSE(request.ok()) << packet << " parsed to alternative " << request->index();
  EXPECT_EQ(request.status().code(), ErrorCode::kInvalidInput);
}

TEST(GdbParser, QuerySupportedKeepsGdbFeatures) {
  auto request = Parse<QuerySupported>(
      "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
      "exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+");
  ASSERT_EQ(request.features.size(), 11u);
  EXPECT_EQ(request.features[0], "multiprocess+");
  EXPECT_EQ(request.features[10], "memory-tagging+");
  EXPECT_TRUE(Parse<QuerySupported>("qSupported").features.empty());
}

TEST(GdbParser, SimplePackets) {
  Parse<StartNoAckMode>("QStartNoAckMode");
  Parse<QueryHaltReason>("?");
  Parse<ReadRegisters>("g");
  Parse<QueryVCont>("vCont?");
  Parse<ThreadListFirst>("qfThreadInfo");
  Parse<ThreadListNext>("qsThreadInfo");
  Parse<QueryCurrentThread>("qC");
  Parse<QueryAttached>("qAttached");
  Parse<QueryAttached>("qAttached:1");
  Parse<SymbolLookup>("qSymbol::");
  Parse<KillProcess>("vKill;100");
  Parse<Detach>("D");
  Parse<Detach>("D;100");
  Parse<Kill>("k");
  EXPECT_EQ(Parse<ReverseResume>("bc").kind, ResumeKind::kContinue);
  EXPECT_EQ(Parse<ReverseResume>("bs").kind, ResumeKind::kStep);
}

TEST(GdbParser, ExtendedModeAndRun) {
  Expected<Request> extended = ParseRequest("!");
  ASSERT_TRUE(extended.ok());
  EXPECT_TRUE(std::holds_alternative<ExtendedMode>(*extended));
  Expected<Request> run = ParseRequest("vRun;2f62696e2f74727565;");
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(std::holds_alternative<RunProgram>(*run));
}

TEST(GdbParser, UnknownPacketsAreUnsupported) {
  for (std::string_view packet :
       {"vMustReplyEmpty", "qTStatus", "qOffsets", "QThreadEvents:1", "qCRC:0,10",
        "QPassSignals:e;", "vFile:unlink:2f746d70", "qXfer:features:write:x:0:00", "",
        "qXfer:siginfo:read::0,fff", "bz", "qCfoo"}) {
    Expected<Request> request = ParseRequest(packet);
    ASSERT_TRUE(request.ok()) << packet;
    if (std::string_view(packet) == "qXfer:siginfo:read::0,fff") {
      // A read of an object the session does not serve still parses.
      EXPECT_TRUE(std::holds_alternative<XferRead>(*request));
      continue;
    }
    EXPECT_TRUE(std::holds_alternative<Unsupported>(*request)) << packet;
  }
}

TEST(GdbParser, RegistersAndWrites) {
  EXPECT_EQ(Parse<ReadRegister>("p10").number, 0x10u);
  EXPECT_EQ(Parse<ReadRegister>("pA").number, 0xau);
  ExpectMalformed("p");
  ExpectMalformed("pzz");
  ExpectMalformed("p11111111111111111");  // 17 digits: more than 64 bits
  EXPECT_EQ(Parse<WriteState>("G0011").packet, 'G');
  EXPECT_EQ(Parse<WriteState>("P10=1122").packet, 'P');
  EXPECT_EQ(Parse<WriteState>("M1000,2:abcd").packet, 'M');
  EXPECT_EQ(Parse<WriteState>("X1000,2:ab").packet, 'X');
  WriteState m = Parse<WriteState>("M1000,2:abcd");
  EXPECT_EQ(m.addr, 0x1000u);
  EXPECT_EQ(m.bytes, (std::vector<uint8_t>{0xab, 0xcd}));
  WriteState x = Parse<WriteState>("X20,3:}]a*");
  EXPECT_EQ(x.addr, 0x20u);
  EXPECT_EQ(x.bytes, (std::vector<uint8_t>{'}', 'a', '*'}));
  EXPECT_TRUE(Parse<WriteState>("X20,0:").empty);
  WriteState p = Parse<WriteState>("P10=1122");
  EXPECT_EQ(p.register_number, 0x10u);
  EXPECT_EQ(p.register_value, "1122");
  EXPECT_EQ(Parse<WriteState>("G0011").register_value, "0011");
  ExpectMalformed("M1000,2:ab");    // fewer bytes than said
  ExpectMalformed("M1000,1:zz");
  ExpectMalformed("M1000,1");
  ExpectMalformed("X20,1:}");       // ends inside an escape
  ExpectMalformed("P10");
  ExpectMalformed("Pzz=00");
}

TEST(GdbParser, MemoryReads) {
  auto m = Parse<ReadMemory>("m7fff0000,40");
  EXPECT_EQ(m.addr, 0x7fff0000u);
  EXPECT_EQ(m.length, 0x40u);
  EXPECT_FALSE(m.binary);
  auto x = Parse<ReadMemory>("xffffffffffffffff,ffffffffffffffff");
  EXPECT_EQ(x.addr, ~0ull);
  EXPECT_EQ(x.length, ~0ull);
  EXPECT_TRUE(x.binary);
  ExpectMalformed("m");
  ExpectMalformed("m1000");
  ExpectMalformed("m1000,");
  ExpectMalformed("m,10");
  ExpectMalformed("m10g0,10");
  ExpectMalformed("m10000000000000000,1");
}

TEST(GdbParser, Breakpoints) {
  auto z0 = Parse<Breakpoint>("Z0,401136,1");
  EXPECT_TRUE(z0.insert);
  EXPECT_EQ(z0.type, BreakpointType::kSoftware);
  EXPECT_EQ(z0.addr, 0x401136u);
  EXPECT_EQ(z0.kind, 1u);
  auto z2 = Parse<Breakpoint>("z2,7ffe0010,8");
  EXPECT_FALSE(z2.insert);
  EXPECT_EQ(z2.type, BreakpointType::kWrite);
  EXPECT_EQ(Parse<Breakpoint>("Z4,10,4").type, BreakpointType::kAccess);
  EXPECT_EQ(Parse<Breakpoint>("Z1,10,1;X3,220c01").type, BreakpointType::kHardware);
  EXPECT_FALSE(Parse<Breakpoint>("Z5,10,1").type.has_value());
  ExpectMalformed("Z0");
  ExpectMalformed("Z0,10");
  ExpectMalformed("Z0,,1");
  ExpectMalformed("Zx,10,1");
}

TEST(GdbParser, VCont) {
  auto request = Parse<VCont>("vCont;s:p100.102;c:p100.-1");
  ASSERT_EQ(request.actions.size(), 2u);
  EXPECT_EQ(request.actions[0].action, 's');
  EXPECT_EQ(request.actions[0].thread, (ThreadId{0x100, 0x102}));
  EXPECT_EQ(request.actions[1].thread, (ThreadId{0x100, -1}));
  auto signal = Parse<VCont>("vCont;C1e:102;c");
  EXPECT_EQ(signal.actions[0].action, 'C');
  EXPECT_EQ(signal.actions[0].gdb_signal, 0x1e);
  EXPECT_EQ(signal.actions[0].thread, (ThreadId{std::nullopt, 0x102}));
  EXPECT_FALSE(signal.actions[1].thread.has_value());
  auto range = Parse<VCont>("vCont;r1000,1010:p1.2");
  EXPECT_EQ(range.actions[0].range_start, 0x1000u);
  EXPECT_EQ(range.actions[0].range_end, 0x1010u);
  Parse<VCont>("vCont;t");
  ExpectMalformed("vCont;");
  ExpectMalformed("vCont;x");
  ExpectMalformed("vCont;c;");
  ExpectMalformed("vCont;C");
  ExpectMalformed("vCont;C100");
  ExpectMalformed("vCont;cc");
  ExpectMalformed("vCont;s:");
  ExpectMalformed("vCont;s:pz.1");
  ExpectMalformed("vCont;s:p1.ffffffffff");
}

TEST(GdbParser, LegacyResume) {
  auto c = Parse<LegacyResume>("c");
  EXPECT_EQ(c.kind, ResumeKind::kContinue);
  EXPECT_FALSE(c.addr.has_value());
  EXPECT_EQ(Parse<LegacyResume>("s401000").addr, 0x401000u);
  auto signal = Parse<LegacyResume>("C0b");
  EXPECT_EQ(signal.gdb_signal, 0xb);
  EXPECT_FALSE(signal.addr.has_value());
  auto step = Parse<LegacyResume>("S05;401000");
  EXPECT_EQ(step.kind, ResumeKind::kStep);
  EXPECT_EQ(step.addr, 0x401000u);
  ExpectMalformed("C");
  ExpectMalformed("C05;");
  ExpectMalformed("cxyz");
}

TEST(GdbParser, Xfer) {
  auto features = Parse<XferRead>("qXfer:features:read:target.xml:0,ffb");
  EXPECT_EQ(features.object, "features");
  EXPECT_EQ(features.annex, "target.xml");
  EXPECT_EQ(features.offset, 0u);
  EXPECT_EQ(features.length, 0xffbu);
  auto auxv = Parse<XferRead>("qXfer:auxv:read::100,200");
  EXPECT_EQ(auxv.annex, "");
  EXPECT_EQ(auxv.offset, 0x100u);
  auto svr4 = Parse<XferRead>("qXfer:libraries-svr4:read:start=0;prev=0:0,1000");
  EXPECT_EQ(svr4.annex, "start=0;prev=0");
  ExpectMalformed("qXfer:");
  ExpectMalformed("qXfer:features");
  ExpectMalformed("qXfer:features:read:target.xml");
  ExpectMalformed("qXfer:features:read:target.xml:0");
  ExpectMalformed("qXfer:features:read:target.xml:zz,1");
}

TEST(GdbParser, Threads) {
  auto hg = Parse<SetThread>("Hgp100.102");
  EXPECT_EQ(hg.operation, 'g');
  EXPECT_EQ(hg.thread, (ThreadId{0x100, 0x102}));
  auto hc = Parse<SetThread>("Hc-1");
  EXPECT_EQ(hc.operation, 'c');
  EXPECT_EQ(hc.thread.tid, ThreadId::kAll);
  EXPECT_EQ(Parse<SetThread>("Hg0").thread.tid, ThreadId::kAny);
  EXPECT_EQ(Parse<SetThread>("Hgp100").thread, (ThreadId{0x100, -1}));
  EXPECT_EQ(Parse<ThreadAlive>("T102").thread.tid, 0x102);
  EXPECT_EQ(Parse<ThreadExtraInfo>("qThreadExtraInfo,p100.101").thread.tid, 0x101);
  ExpectMalformed("H");
  ExpectMalformed("Hx1");
  ExpectMalformed("Hg");
  ExpectMalformed("Hg-2");
  ExpectMalformed("T");
  ExpectMalformed("Tp");
  ExpectMalformed("Tp1.");
  ExpectMalformed("qThreadExtraInfo,");
}

TEST(GdbParser, ThreadLocalAddress) {
  auto tls = Parse<GetTlsAddress>("qGetTLSAddr:pe52.e53,10,7ffff7fc0200");
  EXPECT_EQ(tls.thread, (ThreadId{0xe52, 0xe53}));
  EXPECT_EQ(tls.offset, 0x10u);
  EXPECT_EQ(tls.link_map, 0x7ffff7fc0200u);
  ExpectMalformed("qGetTLSAddr:");
  ExpectMalformed("qGetTLSAddr:p1.1,10");
  ExpectMalformed("qGetTLSAddr:p1.1,zz,10");
  ExpectMalformed("qGetTLSAddr:,10,20");
}

TEST(GdbParser, CatchSyscalls) {
  auto none = Parse<CatchSyscalls>("QCatchSyscalls:0");
  EXPECT_FALSE(none.enable);
  auto all = Parse<CatchSyscalls>("QCatchSyscalls:1");
  EXPECT_TRUE(all.enable);
  EXPECT_TRUE(all.numbers.empty());
  auto some = Parse<CatchSyscalls>("QCatchSyscalls:1;1;e7");
  EXPECT_TRUE(some.enable);
  EXPECT_EQ(some.numbers, (std::vector<int64_t>{1, 0xe7}));
  ExpectMalformed("QCatchSyscalls:");
  ExpectMalformed("QCatchSyscalls:2");
  ExpectMalformed("QCatchSyscalls:1;");
  ExpectMalformed("QCatchSyscalls:1;zz");
  ExpectMalformed("QCatchSyscalls:11");
}

TEST(GdbParser, HostFiles) {
  EXPECT_EQ(Parse<FileSetFs>("vFile:setfs:0").pid, 0);
  auto open = Parse<FileOpen>("vFile:open:2f62696e2f6c73,0,1c0");
  EXPECT_EQ(open.path, "/bin/ls");
  EXPECT_EQ(open.flags, 0u);
  EXPECT_EQ(open.mode, 0x1c0u);
  auto pread = Parse<FilePread>("vFile:pread:3,3fff,1000");
  EXPECT_EQ(pread.fd, 3);
  EXPECT_EQ(pread.count, 0x3fffu);
  EXPECT_EQ(pread.offset, 0x1000u);
  EXPECT_EQ(Parse<FileClose>("vFile:close:3").fd, 3);
  EXPECT_EQ(Parse<FileFstat>("vFile:fstat:3").fd, 3);
  ExpectMalformed("vFile:open:2f6,0,0");  // odd hex
  ExpectMalformed("vFile:open:,0,0");
  ExpectMalformed("vFile:open:2f62");
  ExpectMalformed("vFile:pread:3,10");
  ExpectMalformed("vFile:pread:-3,10,0");
  ExpectMalformed("vFile:close:");
  ExpectMalformed("vFile:close:ffffffffff");
  ExpectMalformed("vFile:setfs:x");
}

TEST(GdbParser, Monitor) {
  EXPECT_EQ(Parse<MonitorCommand>("qRcmd,7768656e").command, "when");
  EXPECT_EQ(Parse<MonitorCommand>("qRcmd,").command, "");
  ExpectMalformed("qRcmd,7");
  ExpectMalformed("qRcmd,zz");
}

TEST(GdbParser, ThreadIdForms) {
  EXPECT_EQ(ParseThreadId("1f"), (ThreadId{std::nullopt, 0x1f}));
  EXPECT_EQ(ParseThreadId("-1"), (ThreadId{std::nullopt, -1}));
  EXPECT_EQ(ParseThreadId("p-1"), (ThreadId{-1, -1}));
  EXPECT_EQ(ParseThreadId("p1.-1"), (ThreadId{1, -1}));
  EXPECT_FALSE(ParseThreadId("").has_value());
  EXPECT_FALSE(ParseThreadId("p").has_value());
  EXPECT_FALSE(ParseThreadId("-").has_value());
  EXPECT_FALSE(ParseThreadId("80000000").has_value());
  EXPECT_EQ(FormatThreadId(0x100, 0x102, true), "p100.102");
  EXPECT_EQ(FormatThreadId(0x100, 0x102, false), "102");
}

}  // namespace
}  // namespace rwd::gdbserver

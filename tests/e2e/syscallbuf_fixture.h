// What the syscall buffer's tests share (syscallbuf_test.cc, the replay;
// syscallbuf_gdb_test.cc, gdb in and around buffered calls): recording with
// the buffer on whatever the suite's REWIND_SYSCALLBUF says, the fixtures
// that skip where the architecture has no buffer, and a trace's events.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "arch/arch.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"
#include "trace/buffer_records.h"
#include "trace/trace_reader.h"

namespace rwd::e2e {

inline const RunOptions kBuffered{.env = {"REWIND_SYSCALLBUF=1"}};

inline bool HostHasSyscallBuffer() { return arch::HostArch().HasSyscallBuffer(); }

// The events of a trace, or a test failure.
inline std::vector<trace::Event> ReadEvents(const std::string& dir) {
  std::vector<trace::Event> events;
  auto reader = trace::TraceReader::Open(dir);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return events;
  while (true) {
    auto ev = (*reader)->Next();
    EXPECT_TRUE(ev.ok()) << ev.status().ToString();
    if (!ev.ok() || !*ev) break;
    events.push_back(std::move(**ev));
  }
  return events;
}

// A batch's calls, or a test failure.
inline std::vector<trace::SyscallEvent> CallsOf(const trace::SyscallBatchEvent& batch) {
  auto calls = trace::CallsOf(batch, arch::HostArch().syscalls());
  EXPECT_TRUE(calls.ok()) << calls.status().ToString();
  return calls.ok() ? std::move(*calls) : std::vector<trace::SyscallEvent>();
}

class SyscallBufferTest : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    if (IsSkipped()) return;
    if (!HostHasSyscallBuffer()) GTEST_SKIP() << "no syscall buffer library on this architecture";
  }
};

class SyscallBufferGdbTest : public GdbTest {
 protected:
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped()) return;
    if (!HostHasSyscallBuffer()) GTEST_SKIP() << "no syscall buffer library on this architecture";
  }
};

}  // namespace rwd::e2e

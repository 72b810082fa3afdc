#include "tests/unit/trace_test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "trace/buffer_records.h"
#include "trace/trace_writer.h"

namespace rwd::trace::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/rewind-trace-test-XXXXXX";
  char* made = ::mkdtemp(tmpl);
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    std::abort();
  }
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  EXPECT_TRUE(out.good()) << "cannot write " << path;
}

void WriteText(const std::string& path, const std::string& text) {
  WriteBytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

TraceHeader SampleHeader() {
  TraceHeader h;
  h.arch = "x86_64";
  h.cpu_model = "Example CPU @ 3.00GHz";
  h.cpu_features = "rdrand rdseed cpuid_fault";
  h.kernel = "6.1.0-test";
  h.exe_path = "/usr/bin/example";
  h.argv = {"example", "--flag", "", "arg with spaces"};
  h.envp = {"HOME=/root", "LANG=C.UTF-8", std::string("BIN=\x01\xff\0x", 9)};
  h.cwd = "/home/user";
  h.pinned_cpu = 3;
  h.start_time_ns = 1700000000123456789ull;
  return h;
}

std::vector<Event> SampleEvents() {
  SyscallEvent syscall{.nr = 0,
                       .args = {3, 0x7ffd0000, 4096, 0, 0, ~0ull},
                       .result = -4,
                       .writes = {{0x7ffd0000, {1, 2, 3}}, {0x1000, {}}},
                       .mapped_file_id = "0123456789abcdef0123456789abcdef",
                       .mapped_path = "/lib/libc.so.6",
                       .output_stream = 2};
  SignalEvent signal{
      .signo = 11, .siginfo = std::vector<uint8_t>(128, 0xab), .pc = 0x401000, .synchronous = true};
  InsnTrapEvent trap{.kind = arch::TrapInsnKind::kCpuid,
                     .pc = 0x401234,
                     .values = {0x16, 0x756e6547, 0x6c65746e, 0x49656e69}};
  ExecEvent exec{.path = "/usr/bin/example",
                 .argv = {"example", "x"},
                 .exe_file_id = "fedcba9876543210fedcba9876543210",
                 .at_random = std::vector<uint8_t>(16, 0x5a),
                 .at_random_addr = 0x7ffc1234,
                 .mappings = {{0x400000, 0x401000, 0, 5, 2, "/usr/bin/example", "ab"},
                              {0x7f0000000000, 0x7f0000200000, 0x1000, 1, 1, "/x", ""}},
                 .trap_sites = {0x401010, 0x402020},
                 .cpuid_faulting = true,
                 .tsc_reads_patched = true,
                 .script_file_id = "0123456789abcdef0123456789abcdef"};
  // Not the defaults, so a codec that dropped a field would be caught.
  ExitEvent exit{.wait_status = -1, .whole_process = false};
  SyscallEntryEvent entry{.nr = 202, .args = {0x7f0000001000, 0x80, 2, 0, ~0ull, 1ull << 63}};
  std::vector<uint8_t> fingerprint(27 * 8);  // an x86-64 user_regs_struct
  for (size_t k = 0; k < fingerprint.size(); ++k) fingerprint[k] = static_cast<uint8_t>(k * 13);
  PreemptEvent preempt{.fingerprint = std::move(fingerprint), .stack_hash = 0xfedcba9876543210};
  SyscallBatchEvent batch = MakeSyscallBatch(
      {SyscallEvent{.nr = 0, .args = {3, 0x1000, 64}, .result = 5, .writes = {{0x1000, {1, 2, 3, 4, 5}}}},
       SyscallEvent{.nr = 39, .result = 4242}});
  return {{.tid = 100, .body = syscall},
          {.tid = -1, .body = signal},
          {.tid = 0, .body = trap},
          {.tid = 2147483647, .body = exec},
          {.tid = -2147483647 - 1, .body = exit},
          {.tid = 4243, .body = entry},
          {.tid = 4244, .body = preempt},
          {.tid = 4245, .body = batch}};
}

Event NumberedEvent(uint64_t i, size_t payload_bytes) {
  SyscallEvent syscall;
  syscall.nr = static_cast<int64_t>(i % 400);
  syscall.args = {i, i * 3, 0, 0, 0, 0};
  syscall.result = static_cast<int64_t>(i);
  std::vector<uint8_t> bytes(payload_bytes);
  for (size_t k = 0; k < bytes.size(); ++k) bytes[k] = static_cast<uint8_t>(i * 31 + k * 7);
  syscall.writes.push_back({0x10000 + i, std::move(bytes)});
  return {.tid = static_cast<int32_t>(1000 + i % 4), .body = syscall};
}

void WriteTrace(const std::string& dir, const TraceHeader& header, const std::vector<Event>& events,
                bool finish) {
  auto writer = TraceWriter::Create(dir, header);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (const Event& event : events) {
    ASSERT_TRUE((*writer)->Append(event).ok());
  }
  if (finish) {
    ASSERT_TRUE((*writer)->Finish().ok());
  } else {
    ASSERT_TRUE((*writer)->Flush().ok());
  }
}

}  // namespace rwd::trace::testing

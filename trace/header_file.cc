#include "trace/header_file.h"

#include <fcntl.h>
#include <xxhash.h>

#include <algorithm>

#include "trace/byte_codec.h"
#include "trace/file_io.h"
#include "trace/layout.h"

namespace rwd::trace {

namespace {

constexpr size_t kMagicBytes = sizeof(kHeaderMagic);
constexpr size_t kPrefixBytes = kMagicBytes + 4;  // magic, version
constexpr size_t kChecksumBytes = 8;

void EncodeBody(const TraceHeader& h, ByteWriter* out) {
  out->PutString(h.arch);
  out->PutString(h.cpu_model);
  out->PutString(h.cpu_features);
  out->PutString(h.kernel);
  out->PutString(h.exe_path);
  out->PutStrings(h.argv);
  out->PutStrings(h.envp);
  out->PutString(h.cwd);
  out->PutSvarint(h.pinned_cpu);
  out->PutUvarint(h.start_time_ns);
  out->PutString(h.cpuid_mask);
}

Status DecodeBody(ByteReader* in, TraceHeader* h) {
  RETURN_IF_ERROR(in->ReadString(&h->arch));
  RETURN_IF_ERROR(in->ReadString(&h->cpu_model));
  RETURN_IF_ERROR(in->ReadString(&h->cpu_features));
  RETURN_IF_ERROR(in->ReadString(&h->kernel));
  RETURN_IF_ERROR(in->ReadString(&h->exe_path));
  RETURN_IF_ERROR(in->ReadStrings(&h->argv));
  RETURN_IF_ERROR(in->ReadStrings(&h->envp));
  RETURN_IF_ERROR(in->ReadString(&h->cwd));
  RETURN_IF_ERROR(in->ReadSvarint32(&h->pinned_cpu));
  RETURN_IF_ERROR(in->ReadUvarint(&h->start_time_ns));
  if (!in->AtEnd()) RETURN_IF_ERROR(in->ReadString(&h->cpuid_mask));
  if (!in->AtEnd()) {
    return Status(ErrorCode::kCorrupt,
                  std::to_string(in->remaining()) +
                      " unexpected bytes after the header fields");
  }
  return Status::Ok();
}

std::string HeaderPath(const std::string& dir) {
  return dir + "/" + kHeaderFileName;
}

}  // namespace

std::vector<uint8_t> SerializeHeaderFile(const TraceHeader& header) {
  ByteWriter out;
  out.PutRaw({reinterpret_cast<const uint8_t*>(kHeaderMagic), kMagicBytes});
  out.PutFixed32(kFormatVersion);
  EncodeBody(header, &out);
  out.PutFixed64(XXH64(out.bytes().data(), out.size(), 0));
  return out.bytes();
}

Expected<TraceHeader> ParseHeaderFile(std::span<const uint8_t> bytes,
                                      const std::string& dir) {
  if (bytes.size() < kMagicBytes ||
      !std::equal(bytes.begin(), bytes.begin() + kMagicBytes, kHeaderMagic)) {
    return Status(ErrorCode::kCorrupt, "not a rewind trace: " + dir);
  }
  auto corrupt = [&](const std::string& why) {
    return Status(ErrorCode::kCorrupt,
                  "header of trace " + dir + " is corrupt (" + why + ")");
  };
  if (bytes.size() < kPrefixBytes)
    return corrupt("it ends inside the format version");
  ByteReader prefix(bytes.subspan(kMagicBytes, 4));
  uint32_t version = 0;
  RETURN_IF_ERROR(prefix.ReadFixed32(&version));
  if (version != kFormatVersion) {
    return Status(ErrorCode::kVersion, "trace " + dir + " has format version " +
                                           std::to_string(version) +
                                           "; this rewind reads version " +
                                           std::to_string(kFormatVersion));
  }
  if (bytes.size() < kPrefixBytes + kChecksumBytes)
    return corrupt("it ends before its checksum");
  size_t checked = bytes.size() - kChecksumBytes;
  ByteReader checksum_reader(bytes.subspan(checked));
  uint64_t checksum = 0;
  RETURN_IF_ERROR(checksum_reader.ReadFixed64(&checksum));
  if (checksum != XXH64(bytes.data(), checked, 0))
    return corrupt("checksum mismatch");

  TraceHeader header;
  header.format_version = version;
  ByteReader body(bytes.subspan(kPrefixBytes, checked - kPrefixBytes));
  Status status = DecodeBody(&body, &header);
  if (!status.ok()) return corrupt(status.message());
  return header;
}

Status WriteHeaderFile(const std::string& dir, const TraceHeader& header) {
  std::string path = HeaderPath(dir);
  ASSIGN_OR_RETURN(ScopedFd fd,
                   OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, kTraceFileMode));
  return WriteAll(fd.get(), SerializeHeaderFile(header), path);
}

Expected<TraceHeader> ReadHeaderFile(const std::string& dir) {
  auto bytes = ReadWholeFile(HeaderPath(dir));
  if (!bytes.ok()) {
    if (bytes.status().code() == ErrorCode::kNotFound) {
      return Status(ErrorCode::kNotFound,
                    "not a rewind trace: " + dir + " has no header file");
    }
    return bytes.status();
  }
  return ParseHeaderFile(*bytes, dir);
}

}  // namespace rwd::trace

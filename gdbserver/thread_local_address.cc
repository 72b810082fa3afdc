#include "gdbserver/thread_local_address.h"

#include <cstring>
#include <string>

#include "base/hex.h"

namespace rwd::gdbserver {
namespace {

// glibc's DB_STRUCT_FIELD / DB_STRUCT_ARRAY_FIELD descriptor.
struct FieldDescriptor {
  uint32_t bits = 0;
  uint32_t count = 0;
  uint32_t offset = 0;
};

Expected<FieldDescriptor> Descriptor(const TlsLookup& lookup, const std::string& field) {
  std::string name = "_thread_db_" + field;
  std::optional<uint64_t> addr = lookup.symbol(name);
  if (!addr) {
    return Status(ErrorCode::kNotFound,
                  "the program's libc has no " + name +
                      " (thread-local variables need a dynamically linked glibc)");
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, lookup.read(*addr, sizeof(FieldDescriptor)));
  if (bytes.size() < sizeof(FieldDescriptor)) {
    return Status(ErrorCode::kNotFound, "cannot read " + name + " at " + Hex(*addr));
  }
  FieldDescriptor d;
  std::memcpy(&d, bytes.data(), sizeof d);
  return d;
}

Expected<uint64_t> ReadWord(const TlsLookup& lookup, uint64_t addr, uint32_t bits,
                            const char* what) {
  if (bits != 32 && bits != 64) {
    return Status(ErrorCode::kUnsupported,
                  std::string("glibc's ") + what + " is " + std::to_string(bits) + " bits wide");
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, lookup.read(addr, bits / 8));
  if (bytes.size() < bits / 8) {
    return Status(ErrorCode::kNotFound,
                  std::string("cannot read the ") + what + " at " + Hex(addr));
  }
  uint64_t value = 0;
  std::memcpy(&value, bytes.data(), bits / 8);
  return value;
}

}  // namespace

Expected<uint64_t> ThreadLocalAddress(const TlsLookup& lookup, uint64_t link_map, uint64_t offset) {
  ASSIGN_OR_RETURN(FieldDescriptor modid_field, Descriptor(lookup, "link_map_l_tls_modid"));
  ASSIGN_OR_RETURN(FieldDescriptor dtv_pointer, Descriptor(lookup, "pthread_dtvp"));
  ASSIGN_OR_RETURN(FieldDescriptor dtv_slot, Descriptor(lookup, "dtv_dtv"));
  ASSIGN_OR_RETURN(FieldDescriptor slot_value, Descriptor(lookup, "dtv_t_pointer_val"));
  ASSIGN_OR_RETURN(uint64_t modid, ReadWord(lookup, link_map + modid_field.offset, modid_field.bits,
                                            "module's TLS id"));
  if (modid == 0) {
    return Status(ErrorCode::kNotFound,
                  "the module at link_map " + Hex(link_map) + " has no thread-local storage");
  }
  ASSIGN_OR_RETURN(uint64_t dtv, ReadWord(lookup, lookup.tcb + dtv_pointer.offset, dtv_pointer.bits,
                                          "thread's dtv pointer"));
  uint64_t slot = dtv + dtv_slot.offset + modid * (dtv_slot.bits / 8);
  ASSIGN_OR_RETURN(uint64_t block,
                   ReadWord(lookup, slot + slot_value.offset, slot_value.bits, "TLS block"));
  // TLS_DTV_UNALLOCATED: the thread has not touched a dlopened module's
  // variables yet.
  if (block == ~uint64_t{0} || block == 0) {
    return Status(ErrorCode::kNotFound,
                  "this thread has not allocated the module's thread-local storage yet");
  }
  return block + offset;
}

}  // namespace rwd::gdbserver

#include "console/backtrace.h"

#include <libunwind-ptrace.h>

#include <memory>

namespace rwd::console {

std::vector<Frame> Unwind(pid_t live_tid, const Symbols& symbols, size_t max_frames,
                          std::string* error) {
  std::vector<Frame> frames;
  std::unique_ptr<std::remove_pointer_t<unw_addr_space_t>, void (*)(unw_addr_space_t)> space(
      unw_create_addr_space(&_UPT_accessors, 0), unw_destroy_addr_space);
  if (!space) {
    *error = "libunwind cannot create an address space";
    return frames;
  }
  std::unique_ptr<void, void (*)(void*)> upt(_UPT_create(live_tid), _UPT_destroy);
  if (!upt) {
    *error = "libunwind cannot read thread " + std::to_string(live_tid);
    return frames;
  }
  unw_cursor_t cursor;
  if (int rc = unw_init_remote(&cursor, space.get(), upt.get()); rc < 0) {
    *error = std::string("libunwind: ") + unw_strerror(rc);
    return frames;
  }
  do {
    unw_word_t pc = 0, sp = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &pc) < 0 || pc == 0) break;
    unw_get_reg(&cursor, UNW_REG_SP, &sp);
    Frame frame;
    frame.pc = pc;
    frame.sp = sp;
    // A caller's pc is a return address; its line is the call's.
    frame.where = symbols.Describe(pc, /*after_call=*/!frames.empty());
    frames.push_back(std::move(frame));
  } while (frames.size() < max_frames && unw_step(&cursor) > 0);
  return frames;
}

}  // namespace rwd::console

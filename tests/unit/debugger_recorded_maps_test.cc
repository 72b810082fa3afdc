// RecordedMaps (debugger/recorded_maps.h): the maps gdb is shown.
#include <gtest/gtest.h>

#include "debugger/recorded_maps.h"

namespace rwd::debugger {
namespace {

constexpr char kLive[] =
    "555555554000-555555555000 r--p 00000000 fe:00 11 /home/u/.cache/rewind/files/exe\n"
    "70000000-70001000 r-xp 00000000 00:00 0 \n"
    "70100000-70140000 rw-p 00000000 00:00 0 \n"
    "7ffff7fae000-7ffff7faf000 r--p 00000000 fe:00 12 /home/u/.cache/rewind/files/sb\n"
    "7ffff7fb2000-7ffff7fb4000 rw-p 00003000 fe:00 12 /home/u/.cache/rewind/files/sb\n"
    "7ffff7fc3000-7ffff7fc5000 r--p 00000000 fe:00 13 /home/u/.cache/rewind/files/ld\n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n";

TEST(RecordedMaps, RewindsPathsAndRangesAreLeftOutAndCopiesTranslated) {
  MapsTranslation t;
  t.recorded_path_of["/home/u/.cache/rewind/files/exe"] = "/src/prog";
  t.recorded_path_of["/home/u/.cache/rewind/files/ld"] = "/lib64/ld-linux-x86-64.so.2";
  t.recorded_path_of["/home/u/.cache/rewind/files/sb"] = "/opt/rewind/librewind_syscallbuf.so";
  t.hidden_paths.insert("/home/u/.cache/rewind/files/sb");
  t.hidden.emplace_back(0x70000000, 0xb0100000);
  EXPECT_EQ(RecordedMaps(kLive, t),
            "555555554000-555555555000 r--p 00000000 fe:00 11 /src/prog\n"
            "7ffff7fc3000-7ffff7fc5000 r--p 00000000 fe:00 13 /lib64/ld-linux-x86-64.so.2\n"
            "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n");
}

TEST(RecordedMaps, WithNothingToTranslateTheTextIsUnchanged) {
  EXPECT_EQ(RecordedMaps(kLive, MapsTranslation{}), kLive);
}

}  // namespace
}  // namespace rwd::debugger

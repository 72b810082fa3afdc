# Checks the one-way arrows of STYLE.md on the sources' #include lines: each
# library includes only itself and what lies beneath it. base/ includes
# nothing of ours, arch/ only base/, trace/ (the on-disk format) nothing from
# the ptrace library core/, and the replayer nothing from the recorder.
# preload/ headers are the syscall buffer's ABI, shared with the tracee;
# include/ is what programs include (rewind/checkpoint.h), whose ABI the
# recorder shares.
# Run by ctest as `cmake -DSOURCE_DIR=<repo> -P layering_check.cmake`.
cmake_minimum_required(VERSION 3.25)
set(allowed_base base)
set(allowed_arch base arch)
set(allowed_core base arch core)
set(allowed_trace base arch trace preload)
set(allowed_recorder base arch core trace preload include recorder)
set(allowed_replayer base arch core trace preload replayer)
set(allowed_debugger base arch core trace preload replayer debugger)
set(allowed_gdbserver base arch core trace preload replayer debugger gdbserver)
set(allowed_console base arch core trace preload replayer debugger console)

set(violations "")
foreach(dir base arch core trace recorder replayer debugger gdbserver console)
  file(GLOB_RECURSE files ${SOURCE_DIR}/${dir}/*.h ${SOURCE_DIR}/${dir}/*.cc)
  foreach(file ${files})
    file(STRINGS ${file} includes REGEX "^#include \"[a-z0-9_]+/")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"([a-z0-9_]+)/.*" "\\1" lib "${line}")
      if(NOT lib IN_LIST allowed_${dir})
        file(RELATIVE_PATH rel ${SOURCE_DIR} ${file})
        string(APPEND violations "  ${rel}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "#include against the layering (STYLE.md, README's Layout):\n${violations}")
endif()
message(STATUS "layering: every library includes only itself and what lies beneath it")

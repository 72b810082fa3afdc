# Checks the one-way arrows of STYLE.md on the sources' #include lines:
# base/ includes nothing of ours but itself, arch/ only base/, and trace/
# (the on-disk format) nothing from the ptrace library core/ or above.
# Run by ctest as `cmake -DSOURCE_DIR=<repo> -P layering_check.cmake`.
cmake_minimum_required(VERSION 3.25)
set(allowed_base base)
set(allowed_arch base arch)
set(allowed_trace base arch trace preload)

set(violations "")
foreach(dir base arch trace)
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
  message(FATAL_ERROR "includes against the layering (base <- arch <- trace; "
                      "nothing in these from core/ or above):\n${violations}")
endif()
message(STATUS "layering: base/, arch/ and trace/ include only what lies beneath them")

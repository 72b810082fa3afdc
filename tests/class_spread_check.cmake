# Checks that no class has member functions defined in more than two .cc
# files (issue 11's acceptance): a class spread wider has outgrown one noun,
# and is to be split along its seams into classes of their own, not
# spread further. Reads the sources as text: a definition is a line that
# starts at column 0 with `[return type] Class::Member(`; nested classes
# count as classes of their own.
# Run by ctest as `cmake -DSOURCE_DIR=<repo> -P class_spread_check.cmake`.
cmake_minimum_required(VERSION 3.25)
set(max_files 2)

set(classes "")
foreach(dir base arch core trace recorder replayer debugger gdbserver console cli preload
        tests bench examples)
  file(GLOB_RECURSE files ${SOURCE_DIR}/${dir}/*.cc)
  foreach(file ${files})
    file(RELATIVE_PATH rel ${SOURCE_DIR} ${file})
    file(STRINGS ${file} lines REGEX "^[A-Za-z_~].*::~?[A-Za-z_][A-Za-z0-9_]*[^(]*\\(")
    set(in_file "")
    foreach(line ${lines})
      # What precedes the parameter list: return type and qualified name.
      string(REGEX REPLACE "\\(.*" "" head "${line}")
      # `auto x = Foo::Make(...)` calls a function; it defines none.
      if(head MATCHES "=" AND NOT head MATCHES "::operator")
        continue()
      endif()
      string(REGEX REPLACE "^.*[ *&]" "" name "${head}")
      if(NOT name MATCHES "::")
        continue()
      endif()
      string(REGEX REPLACE "::[^:]*$" "" class "${name}")
      string(REGEX REPLACE "<[^>]*>" "" class "${class}")
      # Classes are CamelCase (STYLE.md); a lower-case qualifier is a namespace.
      string(REGEX REPLACE "^.*::" "" last "${class}")
      if(NOT last MATCHES "^[A-Z]")
        continue()
      endif()
      string(MAKE_C_IDENTIFIER "${class}" key)
      if(NOT key IN_LIST in_file)
        list(APPEND in_file ${key})
        if(NOT key IN_LIST classes)
          list(APPEND classes ${key})
          set(name_${key} "${class}")
        endif()
        list(APPEND files_${key} ${rel})
      endif()
    endforeach()
  endforeach()
endforeach()

set(violations "")
foreach(key ${classes})
  list(LENGTH files_${key} count)
  if(count GREATER max_files)
    list(JOIN files_${key} ", " where)
    string(APPEND violations "  ${name_${key}} (${count} files): ${where}\n")
  endif()
endforeach()
if(violations)
  message(FATAL_ERROR "classes whose member functions are defined in more than ${max_files} "
                      ".cc files (split them along their seams):\n${violations}")
endif()
list(LENGTH classes count)
message(STATUS "class spread: each of ${count} classes is defined in at most ${max_files} .cc files")

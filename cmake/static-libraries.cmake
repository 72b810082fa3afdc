# Included after project() by cmake/aarch64-toolchain.cmake: find_library
# (and so pkg_check_modules) picks static archives only.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)

# Cross-compiles rewind for AArch64 Linux on a Debian x86-64 host with
# g++-aarch64-linux-gnu and the arm64 multiarch -dev packages (see
# scripts/aarch64/packages.sh). Everything links statically, so the binaries
# run in a bare initramfs. Used by scripts/aarch64/build.sh:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-toolchain.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Headers and libraries of the target: the cross toolchain's sysroot and the
# arm64 multiarch directories (capstone, zstd, xxhash).
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} /)

set(CMAKE_EXE_LINKER_FLAGS_INIT -static)
# pkg-config's imported targets resolve -lfoo with find_library, which must
# find the static archives. The platform files reset the suffixes after this
# file is read, so they are set again once project() is done.
set(CMAKE_PROJECT_INCLUDE ${CMAKE_CURRENT_LIST_DIR}/static-libraries.cmake)

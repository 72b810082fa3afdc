#!/usr/bin/env bash
# Installs what the AArch64 suite needs on the (x86-64 Debian) host, once:
# the cross compiler, arm64 development libraries (multiarch), qemu and
# gdb-multiarch. Idempotent: checks dpkg first and touches apt (update,
# install) only when something is missing. Fails loudly if it cannot.
set -euo pipefail

A64_HOST_PACKAGES=(
  g++-aarch64-linux-gnu
  qemu-system-arm
  gdb-multiarch
  socat
  cpio
  # header-only, for any architecture
  libcli11-dev
  libcapstone-dev:arm64
  libzstd-dev:arm64
  libxxhash-dev:arm64
  libarchive-dev:arm64
  libdw-dev:arm64
  libreadline-dev:arm64
  libunwind-dev:arm64
  # what the static libarchive and libdw link against (pkg-config --static)
  nettle-dev:arm64
  libacl1-dev:arm64
  liblz4-dev:arm64
  libbz2-dev:arm64
  libxml2-dev:arm64
  libicu-dev:arm64
  liblzma-dev:arm64
  zlib1g-dev:arm64
  libncurses-dev:arm64
)

a64_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

a64_apt() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "$@" </dev/null
}

a64_ensure_packages() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "==> aarch64: enabling the arm64 Debian architecture (dpkg --add-architecture arm64)"
    a64_apt dpkg --add-architecture arm64
    A64_NEED_UPDATE=1
  fi
  local missing=() p
  for p in "${A64_HOST_PACKAGES[@]}"; do
    a64_installed "$p" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ] && [ -z "${A64_NEED_UPDATE:-}" ]; then
    return 0
  fi
  echo "==> aarch64: installing ${missing[*]}"
  a64_apt apt-get update -q
  if [ ${#missing[@]} -gt 0 ]; then
    a64_apt apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  a64_ensure_packages
fi

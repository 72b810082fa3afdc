# shellcheck shell=bash
# Sourced by the scripts in this folder: where things are, which Debian
# packages rewind needs, and how to build it.
#
# REWIND_BUILD_DIR overrides the build directory (default: build/ at the
# repository root); REWIND_JOBS the build parallelism (default 2).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REWIND_BUILD_DIR:-$REPO_ROOT/build}"
JOBS="${REWIND_JOBS:-2}"

# Everything needed to build rewind, run its tests and its demo.
REWIND_PACKAGES=(
  build-essential cmake pkg-config
  libzstd-dev libxxhash-dev libcapstone-dev libunwind-dev libreadline-dev
  libarchive-dev libdw-dev libcli11-dev
  libgtest-dev libgmock-dev googletest
  gdb python3
  python3-pexpect  # the interactive rewind debug test drives a pty
  xz-utils openssl  # real programs the tests record
)

# Installs the packages that are missing; touches apt only if one is.
ensure_packages() {
  if ! command -v dpkg-query >/dev/null; then
    echo "rewind: dpkg-query not found; install these packages by hand: ${REWIND_PACKAGES[*]}" >&2
    return 1
  fi
  local missing=() p
  for p in "${REWIND_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "==> installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# Configures (RelWithDebInfo) and builds the given targets, or everything.
build_rewind() {
  echo "==> building in ${BUILD_DIR#"$REPO_ROOT"/} (cmake, -j$JOBS)"
  cmake -S "$REPO_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo --log-level=WARNING
  local targets=()
  if [ $# -gt 0 ]; then
    targets=(--target "$@")
  fi
  cmake --build "$BUILD_DIR" -j"$JOBS" "${targets[@]}"
}

# Prints a command as a user would type it (paths relative to the
# repository root).
show_command() {
  local shown=() arg
  for arg in "$@"; do
    shown+=("${arg#"$REPO_ROOT"/}")
  done
  printf '\n$ %s\n' "${shown[*]}"
}

show_and_run() {
  show_command "$@"
  "$@"
}

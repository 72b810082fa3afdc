#!/usr/bin/env bash
# Installs missing Debian packages, builds rewind and its tests, and runs the
# whole suite (unit and end-to-end) with ctest. Exits non-zero on failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages
build_rewind
echo "==> running the tests"
# --no-tests=error: a build that lost its tests must not pass.
exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$JOBS" --no-tests=error

#!/usr/bin/env bash
# Build box with AddressSanitizer and UBSan (-DBOX_SANITIZE=ON) in its own build
# directory, run the unit tests and a subset of the bats suite against it, and
# fail if a sanitizer reported anything, even from a process whose output the
# tests swallowed (a forked child, a detached container's init).
#
# Usage: hack/test-asan.sh [BATS_FILE...]
#   default: test/{lifecycle,run,bad-input,exec}.bats (those that exist)
# Environment:
#   ASAN_BUILD_DIR  build directory (default: <repo>/build-asan)
#   ROOTFS_DIR, BOX_ROOTLESS, BATS_FILTER   as for hack/test.sh
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-$REPO/build-asan}
DEFAULT_BATS=(lifecycle run bad-input exec)

log() { echo "test-asan: $*" >&2; }

if [[ $# -gt 0 ]]; then
  bats_files=("$@")
else
  bats_files=()
  for f in "${DEFAULT_BATS[@]}"; do
    [[ ! -f "$REPO/test/$f.bats" ]] || bats_files+=("$REPO/test/$f.bats")
  done
fi

if [[ ! -f "$ASAN_BUILD_DIR/CMakeCache.txt" ]] ||
  { [[ ! -f "$ASAN_BUILD_DIR/Makefile" ]] && [[ ! -f "$ASAN_BUILD_DIR/build.ninja" ]]; }; then
  cmake -S "$REPO/runtime" -B "$ASAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOX_SANITIZE=ON
fi
cmake --build "$ASAN_BUILD_DIR" -j"$(nproc)"

# Every sanitizer report goes to a file under $logs as well as being fatal
# where it can be: box forks children and runs in namespaces where stderr may
# be a pipe nobody reads, so the files are what the verdict rests on. The
# directory is world-writable for the rootless pass.
logs=$(mktemp -d /tmp/box-asan-logs.XXXXXX)
chmod 1777 "$logs"
trap 'rm -rf "$logs"' EXIT
# detect_leaks: on. box's children leave by _exit or exec, which skip the
#   leak check, so only the command-line process itself is checked at exit.
# exitcode=86: a sanitizer exit is not mistaken for box's own status 1.
export ASAN_OPTIONS="log_path=$logs/asan:exitcode=86:detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1:exitcode=86:${UBSAN_OPTIONS:-}"
export LSAN_OPTIONS="exitcode=86:${LSAN_OPTIONS:-}"

rc=0
BUILD_DIR=$ASAN_BUILD_DIR BOX_BIN=$ASAN_BUILD_DIR/box "$REPO/hack/test.sh" "${bats_files[@]}" || rc=$?

reports=()
mapfile -t reports < <(find "$logs" -type f -size +0 | LC_ALL=C sort)
if [[ ${#reports[@]} -gt 0 ]]; then
  for r in "${reports[@]}"; do
    log "sanitizer report $(basename "$r"):"
    cat "$r" >&2
  done
  mkdir -p "$ASAN_BUILD_DIR/test-results"
  cp "${reports[@]}" "$ASAN_BUILD_DIR/test-results/"
  log "${#reports[@]} sanitizer report(s); copies in $ASAN_BUILD_DIR/test-results/"
  exit 1
fi
[[ $rc -eq 0 ]] || { log "test suite failed (exit status $rc)"; exit "$rc"; }
log "no sanitizer reports"

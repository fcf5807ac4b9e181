#!/usr/bin/env bash
# Build the libFuzzer targets (runtime/fuzz/) with clang and
# -fsanitize=fuzzer,address,undefined in their own build directory, then run
# each for a bounded time from its seed corpus.
#
# Usage: hack/fuzz.sh [TARGET...]   (default: fuzz_config fuzz_process fuzz_state)
# Environment:
#   FUZZ_SECONDS    seconds per target (default: 60)
#   FUZZ_BUILD_DIR  build directory (default: <repo>/build-fuzz)
#   FUZZ_ARGS       extra libFuzzer flags (e.g. "-jobs=2 -workers=2")
#   CC, CXX         compilers (default: clang, clang++)
# Outputs:
#   $FUZZ_BUILD_DIR/corpus/TARGET/   the grown corpus, kept between runs
#   runtime/fuzz/crashes/TARGET-*    inputs that crashed, leaked, hung or hit UB
#   $FUZZ_BUILD_DIR/logs/TARGET.log  the fuzzer's output
# Exit status: 0 when no target found anything, 1 otherwise.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$REPO/build-fuzz}
FUZZ_ARGS=${FUZZ_ARGS:-}
CC=${CC:-clang}
CXX=${CXX:-clang++}
FUZZ_DIR=$REPO/runtime/fuzz
CRASHES=$FUZZ_DIR/crashes
ALL_TARGETS=(fuzz_config fuzz_process fuzz_state)

log() { echo "fuzz: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ "$FUZZ_SECONDS" =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a number of seconds, got '$FUZZ_SECONDS'"
command -v "$CXX" >/dev/null || die "$CXX not found (Debian/Ubuntu: apt-get install clang)"
"$CXX" --version | grep -qi clang || die "$CXX is not clang: libFuzzer needs clang"

# The fuzzer runtime ships separately on Debian (libclang-rt-N-dev).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cpp"
if ! "$CXX" -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>"$probe/err"; then
  cat "$probe/err" >&2
  die "$CXX cannot link -fsanitize=fuzzer (Debian 12: apt-get install libclang-rt-14-dev)"
fi

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=("${ALL_TARGETS[@]}")
fi
for t in "${targets[@]}"; do
  [[ -f "$FUZZ_DIR/$t.cpp" ]] || die "unknown target '$t' (have: ${ALL_TARGETS[*]})"
done

if [[ ! -f "$FUZZ_BUILD_DIR/CMakeCache.txt" ]]; then
  CC=$CC CXX=$CXX cmake -S "$REPO/runtime" -B "$FUZZ_BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOX_FUZZ=ON
fi
cmake --build "$FUZZ_BUILD_DIR" -j"$(nproc)" --target "${targets[@]}"

mkdir -p "$CRASHES" "$FUZZ_BUILD_DIR/logs"
# Leaks are bugs too; UBSan reports carry a stack trace.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  corpus=$FUZZ_BUILD_DIR/corpus/$name
  logf=$FUZZ_BUILD_DIR/logs/$t.log
  mkdir -p "$corpus"
  log "$t: ${FUZZ_SECONDS}s (log: $logf)"
  rc=0
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
  "$FUZZ_BUILD_DIR/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -dict="$FUZZ_DIR/oci.dict" -artifact_prefix="$CRASHES/$t-" \
    -print_final_stats=1 $FUZZ_ARGS \
    "$corpus" "$FUZZ_DIR/seeds/$name" >"$logf" 2>&1 || rc=$?
  grep -E '^(Done [0-9]+ runs|stat::peak_rss_mb)' "$logf" | sed "s/^/fuzz: $t: /" >&2 || true
  if [[ $rc -ne 0 ]]; then
    log "$t: FAILED (exit status $rc); end of $logf:"
    tail -n 40 "$logf" >&2
    failed+=("$t")
  else
    log "$t: no findings ($(find "$corpus" -type f | wc -l) inputs in $corpus)"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  log "findings in: ${failed[*]} (inputs saved as $CRASHES/<target>-*; reproduce with: $FUZZ_BUILD_DIR/<target> FILE)"
  exit 1
fi
log "all targets ran ${FUZZ_SECONDS}s without findings"

#!/usr/bin/env bash
# Run box's test suites and print one summary line at the end:
#   N passed, N failed, N skipped
#
# Parts, in order:
#   1. unit tests:    ctest --test-dir build --output-on-failure
#   2. bats:          bats --formatter tap test/   (as the invoking user)
#   3. bats rootless: the same suite as user boxtest (hack/rootless-user.sh),
#                     only when running as root and the host allows it.
# TAP and JUnit results go to build/test-results/.
#
# Usage: hack/test.sh [BATS_PATH...]   (default: test/)
# Environment:
#   BUILD_DIR           CMake build directory (default: <repo>/build)
#   BOX_BIN             binary under test (default: $BUILD_DIR/box)
#   ROOTFS_DIR          rootfs output directory (default: <repo>/rootfs)
#   ROOTFS              extracted rootfs given to the tests (default: $ROOTFS_DIR/rootfs)
#   BOX_ROOTLESS        0 = no rootless pass; 1 = require it; default: run it if possible
#   BOX_ROOTLESS_ONLY   1 = run only the rootless pass
#   BOX_UNIT_ONLY       1 = run only the unit tests
#   BATS_FILTER         passed to bats --filter
#   BOX_TEST_USER       user for the rootless pass (default: boxtest)
#   BOX_TEST_GROUPS     extra supplementary groups of that user, comma-separated
#                       (e.g. root: as a sudo or su login has group 0)
# The bats runs get BOX_BIN, ROOTFS and BOX_TEST_PASS=root|user|rootless in their
# environment; the rootless run has XDG_RUNTIME_DIR and TMPDIR unset.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HACK_DIR="$REPO/hack"
BUILD_DIR=${BUILD_DIR:-$REPO/build}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
RESULTS="$BUILD_DIR/test-results"
BOX_BIN=${BOX_BIN:-$BUILD_DIR/box}
ROOTFS_DIR=${ROOTFS_DIR:-$REPO/rootfs}
[[ ! -d "$ROOTFS_DIR" ]] || ROOTFS_DIR=$(cd "$ROOTFS_DIR" && pwd)
ROOTFS=${ROOTFS:-$ROOTFS_DIR/rootfs}
BOX_ROOTLESS=${BOX_ROOTLESS:-auto}
BOX_ROOTLESS_ONLY=${BOX_ROOTLESS_ONLY:-0}
BOX_UNIT_ONLY=${BOX_UNIT_ONLY:-0}
BATS_FILTER=${BATS_FILTER:-}
BOX_TEST_USER=${BOX_TEST_USER:-boxtest}
export BOX_BIN BOX_TEST_USER ROOTFS

if [[ $# -gt 0 ]]; then
  BATS_TARGETS=()
  for t in "$@"; do
    BATS_TARGETS+=("$(cd "$(dirname "$t")" && pwd)/$(basename "$t")")
  done
else
  BATS_TARGETS=("$REPO/test")
fi

mkdir -p "$RESULTS"
rm -f "$RESULTS"/*.tap "$RESULTS"/*.xml

TOTAL_PASS=0
TOTAL_FAIL=0
TOTAL_SKIP=0
SUMMARY=()

section() { printf '\n=== %s ===\n' "$*"; }
note() { echo "test.sh: $*" >&2; }

# Say which rootfs the suite gets (make rootfs records where it came from).
if [[ "$BOX_UNIT_ONLY" != 1 ]]; then
  if [[ "$ROOTFS" == "$ROOTFS_DIR/rootfs" && -s "$ROOTFS_DIR/SOURCE" ]]; then
    note "rootfs: $(head -n1 "$ROOTFS_DIR/SOURCE")"
  else
    note "rootfs: $ROOTFS"
  fi
fi

# record LABEL PASS FAIL SKIP [NOTE]
record() {
  local label=$1 pass=$2 fail=$3 skip=$4 msg=${5:-}
  TOTAL_PASS=$((TOTAL_PASS + pass))
  TOTAL_FAIL=$((TOTAL_FAIL + fail))
  TOTAL_SKIP=$((TOTAL_SKIP + skip))
  SUMMARY+=("# $label: pass=$pass fail=$fail skip=$skip${msg:+ ($msg)}")
}

# xml_attr FILE NAME: first NAME="number" attribute in FILE (0 if absent).
xml_attr() {
  local v
  v=$(grep -o "[[:space:]]$2=\"[0-9]*\"" "$1" 2>/dev/null | head -n1 | grep -o '[0-9]*' || true)
  echo "${v:-0}"
}

run_unit() {
  section "unit tests (ctest)"
  local junit="$RESULTS/ctest.xml" rc=0 tests fail skip disabled pass
  if [[ ! -f "$BUILD_DIR/CTestTestfile.cmake" ]]; then
    note "no CTest tests in $BUILD_DIR (run: make build)"
    record unit 0 1 0 "not built"
    return
  fi
  ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error \
    --output-junit "$junit" || rc=$?
  if [[ -s "$junit" ]]; then
    tests=$(xml_attr "$junit" tests)
    fail=$(xml_attr "$junit" failures)
    skip=$(xml_attr "$junit" skipped)
    disabled=$(xml_attr "$junit" disabled)
    skip=$((skip + disabled))
    pass=$((tests - fail - skip))
    ((pass >= 0)) || pass=0
  else
    pass=0 fail=0 skip=0
  fi
  if [[ $rc -ne 0 && $fail -eq 0 ]]; then
    record unit "$pass" 1 "$skip" "ctest exited with status $rc"
  else
    record unit "$pass" "$fail" "$skip"
  fi
}

# bats >= 1.3 has --formatter; older releases (Ubuntu 22.04: 1.2.1) only --tap.
bats_tap_args() {
  if bats --help 2>&1 | grep -q -- '--formatter'; then
    args=(--formatter tap)
  else
    args=(--tap)
  fi
}

bats_has_junit() {
  bats --help 2>&1 | grep -q -- '--report-formatter'
}

# run_bats LABEL [rootless]
run_bats() {
  local label=$1 mode=${2:-} tap="$RESULTS/$1.tap" junit_dir="" rc=0
  local pass skip fail plan seen msg="" cmd args
  section "bats: $label"
  if ! command -v bats >/dev/null 2>&1; then
    note "bats is not installed (run: hack/install-deps.sh)"
    record "$label" 0 1 0 "bats missing"
    return
  fi
  bats_tap_args
  if bats_has_junit; then
    if [[ "$mode" == rootless ]]; then
      junit_dir=$(mktemp -d /tmp/box-junit.XXXXXX)
    else
      junit_dir=$(mktemp -d)
    fi
    args+=(--report-formatter junit --output "$junit_dir")
  fi
  [[ -z "$BATS_FILTER" ]] || args+=(--filter "$BATS_FILTER")

  if [[ "$mode" == rootless ]]; then
    [[ -z "$junit_dir" ]] || chown "$BOX_TEST_USER" "$junit_dir"
    cmd=(runuser -u "$BOX_TEST_USER")
    if [[ -n "${BOX_TEST_GROUPS:-}" ]]; then
      local group groups
      IFS=, read -ra groups <<<"$BOX_TEST_GROUPS"
      cmd+=(-g "$(id -gn "$BOX_TEST_USER")")
      for group in "${groups[@]}"; do cmd+=(-G "$group"); done
    fi
    cmd+=(--
      env -u XDG_RUNTIME_DIR -u TMPDIR -u BATS_TMPDIR
      "HOME=$(getent passwd "$BOX_TEST_USER" | cut -d: -f6)"
      "BOX_BIN=$BOX_BIN" "ROOTFS=$ROOTFS" BOX_TEST_PASS=rootless
      bats "${args[@]}" "${BATS_TARGETS[@]}")
  elif [[ $(id -u) -eq 0 ]]; then
    cmd=(env BOX_TEST_PASS=root bats "${args[@]}" "${BATS_TARGETS[@]}")
  else
    cmd=(env BOX_TEST_PASS=user bats "${args[@]}" "${BATS_TARGETS[@]}")
  fi

  (cd "$REPO" && "${cmd[@]}") | tee "$tap" || rc=$?

  if [[ -n "$junit_dir" ]]; then
    # bats writes the report in a background process that may still be
    # running when bats exits: wait (up to 10s) for the closing tag.
    local i
    for ((i = 0; i < 100; i++)); do
      grep -q '</testsuites>' "$junit_dir/report.xml" 2>/dev/null && break
      sleep 0.1
    done
    if [[ -f "$junit_dir/report.xml" ]]; then
      cp "$junit_dir/report.xml" "$RESULTS/$label.xml"
      grep -q '</testsuites>' "$RESULTS/$label.xml" || note "JUnit report $RESULTS/$label.xml is incomplete"
    fi
    rm -rf "$junit_dir"
  fi

  skip=$(grep -cE '^ok [0-9]+.* # [Ss][Kk][Ii][Pp]( |$)' "$tap" || true)
  pass=$(grep -cE '^ok [0-9]+' "$tap" || true)
  pass=$((pass - skip))
  fail=$(grep -cE '^not ok [0-9]+' "$tap" || true)
  plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tap" | head -n1)
  seen=$((pass + skip + fail))
  if [[ -n "$plan" && $plan -gt $seen ]]; then
    msg="$((plan - seen)) planned tests did not report"
    fail=$((fail + plan - seen))
  fi
  if [[ $rc -ne 0 && $fail -eq 0 ]]; then
    msg="bats exited with status $rc"
    fail=1
  fi
  record "$label" "$pass" "$fail" "$skip" "$msg"
}

# rootless_possible: 0 if the rootless pass can run, else 1 with the reason
# on stderr.
rootless_possible() {
  if [[ $(id -u) -ne 0 ]]; then
    note "rootless pass needs root (to switch to user $BOX_TEST_USER)"
    return 1
  fi
  local paths=("$REPO" "$BOX_BIN" "${BATS_TARGETS[@]}")
  [[ ! -d "$ROOTFS" ]] || paths+=("$ROOTFS")
  "$HACK_DIR/rootless-user.sh" "${paths[@]}"
}

# The checkout may sit where the test user cannot read it (a clone under /root):
# stage the suite, the binaries and the rootfs in a directory it can read, laid
# out like the repo so that test/helpers.bash finds everything the same way.
stage_for_rootless() {
  local stage f
  stage=$(mktemp -d /tmp/box-rootless.XXXXXX)
  mkdir -p "$stage/build" "$stage/rootfs"
  cp -a "$REPO/test" "$stage/test"
  for f in "$BUILD_DIR"/box "$BUILD_DIR"/box-*; do
    [[ -f "$f" && -x "$f" ]] && cp -a "$f" "$stage/build/"
  done
  [[ "$BOX_BIN" == "$BUILD_DIR/box" ]] || cp -a "$BOX_BIN" "$stage/build/box"
  # test/install.bats runs `make install` from the stage: the Makefile, the man page
  # generator, the completion and the generated page
  cp -a "$REPO/Makefile" "$stage/"
  mkdir -p "$stage/runtime"
  cp -a "$REPO/runtime/tools" "$stage/runtime/tools"
  [[ ! -f "$BUILD_DIR/box.8" ]] || cp -a "$BUILD_DIR/box.8" "$stage/build/"
  cp -a "$ROOTFS" "$stage/rootfs/rootfs"
  chmod -R a+rX "$stage"
  chmod 755 "$stage"
  STAGED_REPO=$stage
  STAGED_TARGETS=()
  local t
  for t in "${BATS_TARGETS[@]}"; do
    STAGED_TARGETS+=("$stage/test${t#"$REPO/test"}")
  done
}

run_rootless() {
  case "$BOX_ROOTLESS" in
    0|no|false)
      note "BOX_ROOTLESS=$BOX_ROOTLESS: skipping the rootless pass"
      return ;;
  esac
  if [[ $(id -u) -eq 0 ]]; then
    stage_for_rootless
    local saved_repo=$REPO saved_bin=$BOX_BIN saved_rootfs=$ROOTFS
    local saved_targets=("${BATS_TARGETS[@]}")
    REPO=$STAGED_REPO BOX_BIN=$STAGED_REPO/build/box ROOTFS=$STAGED_REPO/rootfs/rootfs
    BATS_TARGETS=("${STAGED_TARGETS[@]}")
    run_rootless_pass
    REPO=$saved_repo BOX_BIN=$saved_bin ROOTFS=$saved_rootfs
    BATS_TARGETS=("${saved_targets[@]}")
    rm -rf "$STAGED_REPO"
  else
    # Not root: we are the unprivileged user, so the suite runs rootless as we are.
    run_bats bats-rootless
  fi
}

run_rootless_pass() {
  if rootless_possible; then
    run_bats bats-rootless rootless
  elif [[ "$BOX_ROOTLESS" == 1 || "$BOX_ROOTLESS_ONLY" == 1 ]]; then
    record bats-rootless 0 1 0 "rootless pass requested but not possible here"
  else
    note "skipping the rootless pass (host does not allow it; see above)"
    SUMMARY+=("# bats-rootless: not run (host does not allow it)")
  fi
}

if [[ "$BOX_UNIT_ONLY" == 1 ]]; then
  run_unit
elif [[ "$BOX_ROOTLESS_ONLY" == 1 ]]; then
  run_rootless
else
  run_unit
  run_bats bats
  # As root, run the suite again as an unprivileged user; a non-root run already was one.
  if [[ $(id -u) -eq 0 ]]; then run_rootless; fi
fi

# failures_again: each failed test with its diagnostics, once more at the end,
# where a log that keeps only its tail (CI) still shows them.
failures_again() {
  local tap
  for tap in "$RESULTS"/*.tap; do
    [[ -f "$tap" ]] || continue
    grep -q '^not ok ' "$tap" || continue
    echo "# failed in $(basename "$tap" .tap):"
    awk '/^not ok /{on=1; n=0; print; next} /^(ok|not ok) /{on=0} on && /^#/ && n++ < 40 {print}' "$tap"
  done
}

if [[ $TOTAL_FAIL -gt 0 ]]; then
  section failures
  failures_again
fi
section summary
printf '%s\n' "${SUMMARY[@]}"
echo "# results: $RESULTS"
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed, $TOTAL_SKIP skipped"
[[ $TOTAL_FAIL -eq 0 ]]

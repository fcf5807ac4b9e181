# shellcheck shell=bash
# Sourced by the hack/test-*.sh scripts that run one extra bats suite
# (engines, k8s, systemd): the paths, options, package installs and the
# summary line they share. The caller sets REPO and SUITE (its name in notes).

note() { echo "$SUITE: $*" >&2; }

# suite_paths: BUILD_DIR, ROOTFS_DIR (as for make), BOX_BIN and ROOTFS (as for
# the rest of the suite), made absolute and exported for bats.
suite_paths() {
  BUILD_DIR=${BUILD_DIR:-$REPO/build}
  [[ ! -d "$BUILD_DIR" ]] || BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
  ROOTFS_DIR=${ROOTFS_DIR:-$REPO/rootfs}
  [[ ! -d "$ROOTFS_DIR" ]] || ROOTFS_DIR=$(cd "$ROOTFS_DIR" && pwd)
  BOX_BIN=${BOX_BIN:-$BUILD_DIR/box}
  ROOTFS=${ROOTFS:-$ROOTFS_DIR/rootfs}
  [[ "$BOX_BIN" == /* ]] || BOX_BIN=$PWD/$BOX_BIN
  [[ "$ROOTFS" == /* ]] || ROOTFS=$PWD/$ROOTFS
  export BOX_BIN ROOTFS
}

# suite_options ARGS...: --no-runc (only the run with box; --runc, the old
# opt-in, is accepted) and --no-install set with_runc and install; the rest
# is left in args for bats.
suite_options() {
  with_runc=1 install=1
  args=()
  local a
  for a in "$@"; do
    case "$a" in
      --runc) with_runc=1 ;;
      --no-runc) with_runc=0 ;;
      --no-install) install=0 ;;
      *) args+=("$a") ;;
    esac
  done
}

# install_packages PKG...: apt-get installs the Debian packages named (once
# each) when install=1, running as root, with apt-get there; otherwise says
# which are missing (the tests that need them skip).
install_packages() {
  (($#)) || return 0
  local missing
  mapfile -t missing < <(printf '%s\n' "$@" | sort -u)
  if [[ ${install:-1} == 1 && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    note "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    note "missing packages: ${missing[*]} (the tests that need them will skip;" \
      "install as root: apt-get install ${missing[*]})"
  fi
}

# require_built: the box binary and the rootfs are there (make, make rootfs).
require_built() {
  [[ -x "$BOX_BIN" ]] || { note "no box binary at $BOX_BIN (run make)"; exit 1; }
  [[ -x "$ROOTFS/bin/sh" ]] || { note "no rootfs at $ROOTFS (run make rootfs)"; exit 1; }
}

# bats_runc_then_box ENABLE-VAR FILES...: runs the bats FILES with ENABLE-VAR=1,
# first with runc as the engines' runtime (when with_runc=1; its test names
# marked [runc]), then with box, appending the TAP to $tap; sets rc non-zero
# when a run failed.
bats_runc_then_box() {
  local enable=$1
  shift
  if [[ $with_runc == 1 ]]; then
    note "baseline: runc"
    env "$enable=1" BOX_ENGINE_RUNTIME=runc bats --tap "${args[@]}" "$@" |
      sed -u 's/^\(\(not \)\?ok [0-9]* \)/\1[runc] /' | tee -a "$tap" || rc=$?
  fi
  note "box: $BOX_BIN"
  env "$enable=1" bats --tap "${args[@]}" "$@" | tee -a "$tap" || rc=$?
}

# tap_summary TAPFILE RC: prints the line for the TAP in TAPFILE (bats exited
# with RC; a failed run that reported no failure counts as one) and returns
# non-zero when anything failed. Failed tests are repeated with their
# diagnostics first, so that a log that keeps only its tail still shows them.
tap_summary() {
  local tap=$1 rc=$2 pass skip fail
  pass=$(grep -E '^ok [0-9]+ ' "$tap" | grep -vc '# skip' || true)
  skip=$(grep -E '^ok [0-9]+ .*# skip' -c "$tap" || true)
  fail=$(grep -cE '^not ok [0-9]+ ' "$tap" || true)
  ((rc == 0 || fail > 0)) && [[ -s "$tap" ]] || fail=$((fail + 1))
  if ((fail > 0)); then
    echo "=== failures ==="
    awk '/^not ok /{on=1; n=0; print; next} /^(ok|not ok) /{on=0} on && /^#/ && n++ < 40 {print}' "$tap"
  fi
  echo "$pass passed, $fail failed, $skip skipped"
  ((fail == 0))
}

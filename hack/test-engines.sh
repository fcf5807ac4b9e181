#!/usr/bin/env bash
# Run box under real engines: test/engines.bats (podman through conmon,
# containerd's runc shim), test/engines-docker.bats (a private dockerd) and
# test/engines-rootless.bats (podman as an unprivileged user), installing the
# engines from Debian/Ubuntu packages first when running as root and they are
# missing, and preparing the rootless user (hack/rootless-user.sh).
#
# Usage: hack/test-engines.sh [--no-runc] [--no-install] [BATS_ARGS...]
#   First runs every file with runc as the engines' runtime (the engines' own
#   baseline on this host), then with box.
#   --no-runc     only the run with box (--runc, the old opt-in, is accepted)
#   --no-install  do not apt-get install anything
# Prints the `N passed, N failed, N skipped` summary line last, as hack/test.sh.
# Environment: BUILD_DIR, ROOTFS_DIR (as for make), BOX_BIN, ROOTFS (as for
#   the rest of the suite), BOX_ENGINE_TIMEOUT (seconds per engine command,
#   default 60).
# Needs `make` and `make rootfs` to have run (the Makefile target does both).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
[[ ! -d "$BUILD_DIR" ]] || BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
ROOTFS_DIR=${ROOTFS_DIR:-$REPO/rootfs}
[[ ! -d "$ROOTFS_DIR" ]] || ROOTFS_DIR=$(cd "$ROOTFS_DIR" && pwd)
BOX_BIN=${BOX_BIN:-$BUILD_DIR/box}
ROOTFS=${ROOTFS:-$ROOTFS_DIR/rootfs}
[[ "$BOX_BIN" == /* ]] || BOX_BIN=$PWD/$BOX_BIN
[[ "$ROOTFS" == /* ]] || ROOTFS=$PWD/$ROOTFS
export BOX_BIN ROOTFS

with_runc=1 install=1
args=()
for a in "$@"; do
  case "$a" in
    --runc) with_runc=1 ;;
    --no-runc) with_runc=0 ;;
    --no-install) install=0 ;;
    *) args+=("$a") ;;
  esac
done

note() { echo "test-engines: $*" >&2; }

# Debian package per command the tests use.
declare -A pkg_of=(
  [podman]=podman [conmon]=conmon [containerd]=containerd [ctr]=containerd
  [containerd-shim-runc-v2]=containerd [runc]=runc [script]=bsdutils
  [dockerd]=docker.io [docker-init]=docker.io [catatonit]=catatonit
  [newuidmap]=uidmap [bats]=bats [jq]=jq
)
missing=()
for cmd in "${!pkg_of[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${pkg_of[$cmd]}")
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $install == 1 && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    note "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    note "missing packages: ${missing[*]} (the tests that need them will skip;" \
      "install as root: apt-get install ${missing[*]})"
  fi
fi

if [[ $(id -u) -ne 0 ]]; then
  note "the engine tests need root; they will all skip"
fi
[[ -x "$BOX_BIN" ]] || { note "no box binary at $BOX_BIN (run make)"; exit 1; }
[[ -x "$ROOTFS/bin/sh" ]] || { note "no rootfs at $ROOTFS (run make rootfs)"; exit 1; }

for v in podman containerd dockerd; do
  if command -v "$v" >/dev/null; then note "$("$v" --version 2>&1 | head -n1)"; fi
done
if [[ $(id -u) -eq 0 ]] && ! "$REPO/hack/rootless-user.sh" "$BOX_BIN" "$ROOTFS" >/dev/null; then
  note "the rootless user is not ready (see above): the rootless podman tests will fail"
fi
files=(test/engines.bats test/engines-docker.bats test/engines-rootless.bats)

# shellcheck source=hack/tap-summary.sh
source "$REPO/hack/tap-summary.sh"
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
rc=0
cd "$REPO"
if [[ $with_runc == 1 ]]; then
  note "baseline: the engines with runc"
  BOX_TEST_ENGINES=1 BOX_ENGINE_RUNTIME=runc bats --tap "${args[@]}" "${files[@]}" |
    sed -u 's/^\(\(not \)\?ok [0-9]* \)/\1[runc] /' | tee -a "$tap" || rc=$?
fi
note "the engines with $BOX_BIN"
BOX_TEST_ENGINES=1 bats --tap "${args[@]}" "${files[@]}" | tee -a "$tap" || rc=$?
tap_summary "$tap" "$rc"

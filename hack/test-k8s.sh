#!/usr/bin/env bash
# Kubernetes pods through containerd's CRI plugin (make test-k8s):
# test/k8s.bats with runc as the runc shim's BinaryName first (the baseline:
# what containerd and the kubelet's calls do on this host), then with box.
# Installs what the tests need from Debian/Ubuntu packages first when running
# as root and something is missing: containerd (with its CRI plugin),
# containernetworking-plugins (the CNI plugins), python3-grpcio and
# python3-grpc-tools (test/cri/cri.py, the CRI client), runc.
# Prints the `N passed, N failed, N skipped` summary line last, as hack/test.sh.
#
# Usage: hack/test-k8s.sh [--no-runc] [--no-install] [BATS_ARGS...]
#   --no-runc     only the run with box
#   --no-install  do not apt-get install anything
# Environment: BUILD_DIR, ROOTFS_DIR (as for make), BOX_BIN, ROOTFS (as for
#   the rest of the suite), BOX_ENGINE_TIMEOUT (seconds per CRI call, default 60).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
ROOTFS_DIR=${ROOTFS_DIR:-$REPO/rootfs}
BOX_BIN=${BOX_BIN:-$BUILD_DIR/box}
ROOTFS=${ROOTFS:-$ROOTFS_DIR/rootfs}
[[ "$BOX_BIN" == /* ]] || BOX_BIN=$PWD/$BOX_BIN
[[ "$ROOTFS" == /* ]] || ROOTFS=$PWD/$ROOTFS
export BOX_BIN ROOTFS

with_runc=1 install=1
args=()
for a in "$@"; do
  case "$a" in
    --no-runc) with_runc=0 ;;
    --no-install) install=0 ;;
    *) args+=("$a") ;;
  esac
done

note() { echo "test-k8s: $*" >&2; }
[[ $(id -u) -eq 0 ]] || {
  note "must run as root"
  exit 1
}

# Debian package per command or file the tests use (the Python modules are
# Debian's: /usr/bin/python3, not a pyenv or venv one).
declare -A pkg_of=(
  [containerd]=containerd [ctr]=containerd [containerd-shim-runc-v2]=containerd
  [runc]=runc [bats]=bats [jq]=jq [unshare]=util-linux [nsenter]=util-linux
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [/usr/lib/cni/host-local]=containernetworking-plugins
  [/usr/lib/cni/loopback]=containernetworking-plugins
)
missing=()
for cmd in "${!pkg_of[@]}"; do
  if [[ "$cmd" == /* ]]; then [[ -x "$cmd" ]]; else command -v "$cmd" >/dev/null; fi ||
    missing+=("${pkg_of[$cmd]}")
done
/usr/bin/python3 -c 'import grpc' 2>/dev/null || missing+=(python3-grpcio)
/usr/bin/python3 -c 'import grpc_tools' 2>/dev/null || missing+=(python3-grpc-tools)
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $install == 1 ]] && command -v apt-get >/dev/null; then
    note "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    note "missing packages: ${missing[*]} (the tests will skip; install: apt-get install ${missing[*]})"
  fi
fi

[[ -x "$BOX_BIN" ]] || { note "no box binary at $BOX_BIN (run make)"; exit 1; }
[[ -x "$ROOTFS/bin/sh" ]] || { note "no rootfs at $ROOTFS (run make rootfs)"; exit 1; }
if command -v containerd >/dev/null; then note "$(containerd --version 2>&1 | head -n1)"; fi

# shellcheck source=hack/tap-summary.sh
source "$REPO/hack/tap-summary.sh"
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
rc=0
cd "$REPO"
if [[ $with_runc == 1 ]]; then
  note "baseline: runc as the shim's BinaryName"
  BOX_TEST_K8S=1 BOX_ENGINE_RUNTIME=runc bats --tap "${args[@]}" test/k8s.bats |
    sed -u 's/^\(\(not \)\?ok [0-9]* \)/\1[runc] /' | tee -a "$tap" || rc=$?
fi
note "$BOX_BIN as the shim's BinaryName"
BOX_TEST_K8S=1 bats --tap "${args[@]}" test/k8s.bats | tee -a "$tap" || rc=$?

tap_summary "$tap" "$rc"

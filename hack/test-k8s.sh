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
SUITE=test-k8s
# shellcheck source=hack/suite-lib.sh
source "$REPO/hack/suite-lib.sh"
suite_paths
suite_options "$@"

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
install_packages "${missing[@]}"

require_built
if command -v containerd >/dev/null; then note "$(containerd --version 2>&1 | head -n1)"; fi

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
rc=0
cd "$REPO"
bats_runc_then_box BOX_TEST_K8S test/k8s.bats
tap_summary "$tap" "$rc"

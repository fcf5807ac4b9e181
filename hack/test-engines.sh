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
SUITE=test-engines
# shellcheck source=hack/suite-lib.sh
source "$REPO/hack/suite-lib.sh"
suite_paths
suite_options "$@"

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
install_packages "${missing[@]}"

if [[ $(id -u) -ne 0 ]]; then
  note "the engine tests need root; they will all skip"
fi
require_built

for v in podman containerd dockerd; do
  if command -v "$v" >/dev/null; then note "$("$v" --version 2>&1 | head -n1)"; fi
done
if [[ $(id -u) -eq 0 ]] && ! "$REPO/hack/rootless-user.sh" "$BOX_BIN" "$ROOTFS" >/dev/null; then
  note "the rootless user is not ready (see above): the rootless podman tests will fail"
fi
files=(test/engines.bats test/engines-docker.bats test/engines-rootless.bats)

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
rc=0
cd "$REPO"
bats_runc_then_box BOX_TEST_ENGINES "${files[@]}"
tap_summary "$tap" "$rc"

#!/usr/bin/env bash
# The systemd cgroup driver's tests (make test-systemd): test/systemd/*.bats
# against a real systemd. Where PID 1 is systemd (GitHub's runners) they run
# on this host directly; elsewhere box boots one (hack/systemd-host.sh up,
# which debootstraps its rootfs once), the tests drive the runtimes inside it,
# and the last test takes it down and checks nothing is left.
# The files run in this order: the driver (systemd.bats), the engines over it
# (engines.bats), rootless with the user's systemd (rootless.bats), and last
# teardown.bats, which takes the host down.
# Prints the `N passed, N failed, N skipped` summary line last, as hack/test.sh.
#
# Usage: hack/test-systemd.sh [BATS_ARGS...]
# Environment: BUILD_DIR, ROOTFS_DIR (as for make), BOX_BIN, ROOTFS,
#   SYSTEMD_HOST_DIR (as for hack/systemd-host.sh).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITE=test-systemd
# shellcheck source=hack/suite-lib.sh
source "$REPO/hack/suite-lib.sh"
suite_paths

[[ $(id -u) -eq 0 ]] || {
  note "must run as root"
  exit 1
}

files=()
for f in systemd engines rootless teardown; do files+=("$REPO/test/systemd/$f.bats"); done
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
rc=0
if [[ -d /run/systemd/system && "$(cat /proc/1/comm)" == systemd ]]; then
  note "PID 1 is systemd: testing on this host directly"
  export SYSTEMD_TEST_DIRECT=1
  bats --tap "$@" "${files[@]}" | tee "$tap" || rc=$?
else
  export SYSTEMD_TEST_OWNS_HOST=1
  started=$SECONDS
  if "$REPO/hack/systemd-host.sh" up; then
    note "systemd host up in $((SECONDS - started))s"
    bats --tap "$@" "${files[@]}" | tee "$tap" || rc=$?
  else
    echo "not ok 1 systemd-host: up (hack/systemd-host.sh up failed)" >"$tap"
    rc=1
  fi
  # The last test takes the host down; after a failure it may still be up.
  "$REPO/hack/systemd-host.sh" down >/dev/null 2>&1 || true
  # box delete removes the cgroups systemd made inside the host's own (the
  # last test checks it); after a failed test some may be left: empty by
  # now, and ours.
  host_cgroup="box/$(basename "${SYSTEMD_HOST_DIR:-/var/tmp/box-systemd-host}")"
  for d in /sys/fs/cgroup/*/"$host_cgroup" /sys/fs/cgroup/"$host_cgroup"; do
    [[ ! -d "$d" ]] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
fi

tap_summary "$tap" "$rc"

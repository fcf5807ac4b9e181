# shellcheck shell=bash
# What every file of test/systemd shares: where the systemd under test runs
# and how to run commands there. hack/test-systemd.sh boots one with box
# (hack/systemd-host.sh) where PID 1 is not systemd; on a host whose PID 1 is
# systemd (SYSTEMD_TEST_DIRECT=1, or no booted host) the tests run on the host
# directly.

load ../helpers

SYSTEMD_HOST="$REPO/hack/systemd-host.sh"

# For setup_file: decides once whether the tests run on this host directly.
detect_systemd_host() {
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" != 1 ]] && ! "$SYSTEMD_HOST" status >/dev/null 2>&1; then
		if [[ -d /run/systemd/system && "$(cat /proc/1/comm)" == systemd ]]; then
			export SYSTEMD_TEST_DIRECT=1
		fi
	fi
}

# For setup: skips when there is no systemd to test against.
requires_systemd_host() {
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" != 1 ]]; then
		"$SYSTEMD_HOST" status >/dev/null 2>&1 ||
			skip "requires a running systemd host (hack/systemd-host.sh up, or systemd as PID 1)"
	fi
}

# in_host SCRIPT [ARGS...]: runs bash SCRIPT with ARGS as root where systemd
# is PID 1 (inside the booted host, or on this host directly); stdin is passed
# through.
in_host() {
	local script="$1"
	shift
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" == 1 ]]; then
		bash -c "$script" in_host "$@"
	else
		"$SYSTEMD_HOST" exec bash -c "$script" in_host "$@"
	fi
}

# The suite's rootfs as the systemd host sees it.
host_rootfs() {
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" == 1 ]]; then echo "$ROOTFS"; else echo /opt/box/rootfs; fi
}

# The box under test as the systemd host sees it (box-systemd is beside it).
host_box() {
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" == 1 ]]; then echo "$BOX_BIN"; else echo /usr/local/bin/box; fi
}

# host_runtime box|runc: the runtime's full path in the systemd host (engines
# are given full paths); fails when it is not there.
host_runtime() {
	case "$1" in
	box) host_box ;;
	*) in_host 'command -v "$1"' "$1" ;;
	esac
}

requires_in_host() {
	local cmd
	for cmd in "$@"; do
		in_host 'command -v "$1"' "$cmd" >/dev/null || skip "requires $cmd in the systemd host"
	done
}

# host_units PATTERN: the units matching PATTERN that systemd has loaded.
host_units() {
	in_host 'systemctl list-units --all --no-legend --plain "$1"' "$1"
}

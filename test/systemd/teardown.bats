#!/usr/bin/env bats
# Last of test/systemd (hack/test-systemd.sh runs it after the others; bats
# also sorts it last): nothing the tests started is left in the systemd host,
# and the host booted for this run halts cleanly and leaves nothing behind.

load host

setup_file() {
	detect_systemd_host
}

setup() {
	requires_systemd_host
}

@test "systemd-host: no test unit is left in systemctl list-units" {
	# boxtest-*: the driver's and containerd's scopes and services; libpod-*:
	# podman's containers and their conmon scopes; cri-containerd-*: pods.
	run host_units 'boxtest-*'
	assert_success
	assert_output ""
	[[ "${SYSTEMD_TEST_DIRECT:-0}" != 1 ]] || return 0 # other podman containers may run there
	run host_units 'libpod-*'
	assert_success
	assert_output ""
	run host_units 'cri-containerd-*'
	assert_success
	assert_output ""
}

@test "systemd-host: down halts systemd cleanly and leaves nothing" {
	[[ "${SYSTEMD_TEST_OWNS_HOST:-0}" == 1 ]] ||
		skip "requires the systemd host booted for this run (hack/test-systemd.sh)"
	"$SYSTEMD_HOST" down
	run "$SYSTEMD_HOST" status
	assert_failure
	assert_output absent
	local dir="${SYSTEMD_HOST_DIR:-/var/tmp/box-systemd-host}"
	run mountpoint -q "$dir/bundle/rootfs"
	assert_failure
	HOST_CGROUP="box/$(basename "$dir")"
	_no_host_cgroup || fail "left behind: $(find /sys/fs/cgroup -maxdepth 3 -path "*/$HOST_CGROUP" -type d -print0 | xargs -0)"
}

_no_host_cgroup() {
	[[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/$HOST_CGROUP" -type d)" ]]
}

#!/usr/bin/env bats
# Namespaces: new ones by default, joining by path, sharing when absent.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "pid namespace: the container's process is pid 1" {
	# shellcheck disable=SC2016
	set_args sh -c 'echo $$'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output 1
}

# assert_new_ns TYPE: the container's TYPE namespace is not the host's.
assert_new_ns() {
	start_container
	local pid
	pid="$(container_pid "$CID")"
	local inside host
	inside="$(ns_of "$pid" "$1")"
	host="$(ns_of self "$1")"
	[[ -n "$inside" ]] || fail "cannot read /proc/$pid/ns/$1"
	assert_not_equal "$inside" "$host"
}

@test "pid namespace differs from the host's" {
	assert_new_ns pid
}

@test "uts namespace differs from the host's" {
	assert_new_ns uts
}

@test "ipc namespace differs from the host's" {
	assert_new_ns ipc
}

@test "network namespace differs from the host's" {
	# the rootless spec shares the host's network; a user namespace can still make one
	is_rootless && update_config '.linux.namespaces += [{"type": "network"}]'
	assert_new_ns net
}

@test "mount namespace differs from the host's" {
	assert_new_ns mnt
}

@test "a new network namespace has only the loopback interface" {
	is_rootless && update_config '.linux.namespaces += [{"type": "network"}]'
	set_args sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output lo
}

@test "a namespace with a path is joined: B shares A's network namespace" {
	requires root # rootless, B's own user namespace has no rights over A's namespaces
	create_container "$CID-a"
	local pid_a
	pid_a="$(container_pid "$CID-a")"
	update_config ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$pid_a/ns/net\" else . end)"
	create_container "$CID-b"
	local pid_b
	pid_b="$(container_pid "$CID-b")"
	assert_equal "$(ns_of "$pid_b" net)" "$(ns_of "$pid_a" net)"
	assert_not_equal "$(ns_of "$pid_b" net)" "$(ns_of self net)"
	# only the namespace with a path is shared
	assert_not_equal "$(ns_of "$pid_b" uts)" "$(ns_of "$pid_a" uts)"
}

@test "a namespace with a path is joined: uts (B sees A's hostname)" {
	requires root # rootless, B's own user namespace has no rights over A's namespaces
	update_config '.hostname = "host-a"'
	create_container "$CID-a"
	local pid_a
	pid_a="$(container_pid "$CID-a")"
	update_config "del(.hostname) | .linux.namespaces |= map(if .type == \"uts\" then .path = \"/proc/$pid_a/ns/uts\" else . end)"
	set_args hostname
	run box run --bundle "$BUNDLE" "$CID-b"
	assert_success
	assert_output host-a
}

@test "without a network namespace in the config the host's is shared" {
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	start_container
	assert_equal "$(ns_of "$(container_pid "$CID")" net)" "$(ns_of self net)"
}

@test "without ipc and uts namespaces in the config the host's are shared" {
	update_config '.linux.namespaces |= map(select(.type != "ipc" and .type != "uts")) | del(.hostname) | del(.domainname)'
	# rootless, mqueue can only be mounted by the owner of an ipc namespace
	! is_rootless || update_config '.mounts |= map(select(.type != "mqueue"))'
	start_container
	local pid
	pid="$(container_pid "$CID")"
	assert_equal "$(ns_of "$pid" ipc)" "$(ns_of self ipc)"
	assert_equal "$(ns_of "$pid" uts)" "$(ns_of self uts)"
	# the namespaces still in the config are new
	assert_not_equal "$(ns_of "$pid" mnt)" "$(ns_of self mnt)"
}

@test "user namespace with uid/gid mappings" {
	requires root userns
	# uid 100000 must reach and own the rootfs: bats' tmpdirs are 0700
	local d="$BATS_TEST_TMPDIR"
	while [[ "$d" == "$BATS_RUN_TMPDIR"* ]]; do
		chmod o+x "$d"
		d="$(dirname "$d")"
	done
	chmod o+x "$BUNDLE"
	unshare_rootfs
	chown -R 100000:100000 "$BUNDLE/rootfs"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
	set_args sh -c 'cat /proc/self/uid_map; id -u; echo ready > /dev/shm/ready; exec sleep 1000'
	start_container
	local pid
	pid="$(container_pid "$CID")"
	assert_not_equal "$(ns_of "$pid" user)" "$(ns_of self user)"
	# seen from the host, the container's root is uid 100000
	run awk '/^Uid:/ {print $2}' "/proc/$pid/status"
	assert_output 100000
	run cat "/proc/$pid/uid_map"
	assert_output --regexp '^ +0 +100000 +65536$'
}

# no_mount_namespace: the config without a mount namespace and without what
# would need one (mounts, masked and read-only paths, devices, a terminal).
no_mount_namespace() {
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| .mounts = [] | del(.linux.maskedPaths, .linux.readonlyPaths, .linux.devices, .linux.sysctl)
		| .process.terminal = false'
}

@test "without a mount namespace in the config the runtime's is shared, chrooted into the rootfs (as runc), and nothing is mounted" {
	requires root
	no_mount_namespace
	echo in-the-rootfs >"$BUNDLE/rootfs/marker"
	cp /proc/self/mountinfo "$BATS_TEST_TMPDIR/mountinfo.before"
	set_args sh -c 'cat /marker; ls /proc | wc -l'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "$(printf 'in-the-rootfs\n0')"
	set_args sleep 1000
	start_container
	local pid
	pid="$(container_pid "$CID")"
	assert_equal "$(ns_of "$pid" mnt)" "$(ns_of self mnt)"
	assert_equal "$(readlink "/proc/$pid/root")" "$(readlink -f "$BUNDLE/rootfs")"
	run box exec "$CID" cat /marker
	assert_success
	assert_output in-the-rootfs
	box delete --force "$CID"
	assert_mount_table_unchanged "$BATS_TEST_TMPDIR/mountinfo.before"
	assert_nothing_left
}

@test "without a mount namespace, what would need a mount is refused, naming it (runc mounts it on the host)" {
	no_mount_namespace
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	local edit field
	for edit in '.mounts = [{destination: "/proc", type: "proc", source: "proc"}]|mounts' \
		'.linux.maskedPaths = ["/proc/kcore"]|linux.maskedPaths' '.root.readonly = true|root.readonly' \
		'.process.terminal = true|process.terminal'; do
		field="${edit##*|}"
		cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
		update_config "${edit%|*}"
		run --separate-stderr box run --bundle "$BUNDLE" "$CID"
		assert_box_error "config.json: $field: "
		[[ "$stderr" == *"without a mount namespace of the container's own"* ]] || fail "$stderr"
		assert_nothing_left
	done
}

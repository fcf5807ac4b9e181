#!/usr/bin/env bats
# linux.sysctl: namespaced keys are set in the container's namespaces, the
# others are refused.

load helpers

setup() {
	box_setup
	setup_bundle
	setup_checker
	if is_rootless; then
		# The rootless spec shares the host's network namespace: give it its own.
		update_config '.linux.namespaces += [{"type": "network"}]'
		# The kernel lets only the host's root write the uts sysctls (runc fails the same way).
		SYSCTLS="$(jq -c 'del(."kernel.domainname")' <<<"$SYSCTLS")"
	fi
}

teardown() {
	box_teardown
}

# The namespaced sysctls the tests set, with values that differ from the defaults.
SYSCTLS='{
	"net.ipv4.ip_forward": "1",
	"net.ipv4.ip_local_port_range": "40000 50000",
	"net.core.somaxconn": "1234",
	"kernel.shmmax": "123456789",
	"kernel.msgmax": "4321",
	"fs.mqueue.queues_max": "77",
	"kernel.domainname": "sysctl.example"
}'

host_values() {
	local key
	for key in net.ipv4.ip_forward net.ipv4.ip_local_port_range net.core.somaxconn \
		kernel.shmmax kernel.msgmax fs.mqueue.queues_max kernel.domainname; do
		printf '%s=%s\n' "$key" "$(tr -s '\t ' ' ' <"/proc/sys/${key//.//}")"
	done
}

@test "sysctl: namespaced sysctls hold inside the container" {
	update_config ".linux.sysctl = $SYSCTLS"
	run_checker
}

@test "sysctl: the host's values do not change" {
	local before
	before="$(host_values)"
	update_config ".linux.sysctl = $SYSCTLS"
	run_checker
	assert_equal "$(host_values)" "$before"
}

@test "sysctl: a process started with exec sees the values" {
	update_config ".linux.sysctl = $SYSCTLS"
	set_args sleep 1000
	start_container
	run box exec "$CID" cat /proc/sys/kernel/msgmax /proc/sys/net/core/somaxconn
	assert_success
	assert_output "$(printf '4321\n1234')"
}

# bad_sysctl JSON MESSAGE: create fails with MESSAGE, nothing left.
bad_sysctl() {
	update_config ".linux.sysctl = $1"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "$2"
	assert_nothing_left
}

@test "sysctl: a non-namespaced sysctl is refused" {
	bad_sysctl '{"kernel.panic": "1"}' 'linux.sysctl: "kernel.panic" is not namespaced'
	bad_sysctl '{"vm.swappiness": "10"}' 'linux.sysctl: "vm.swappiness" is not namespaced'
	bad_sysctl '{"fs.file-max": "100000"}' 'linux.sysctl: "fs.file-max" is not namespaced'
}

@test "sysctl: a namespaced sysctl without its namespace is refused" {
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	bad_sysctl '{"net.ipv4.ip_forward": "1"}' 'linux.sysctl: "net.ipv4.ip_forward" needs a network namespace'
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.linux.namespaces |= map(select(.type != "ipc"))'
	bad_sysctl '{"kernel.shmmax": "4096"}' 'linux.sysctl: "kernel.shmmax" needs an ipc namespace'
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.linux.namespaces |= map(select(.type != "uts")) | del(.hostname)'
	bad_sysctl '{"kernel.domainname": "x"}' 'linux.sysctl: "kernel.domainname" needs a uts namespace'
}

@test "sysctl: an unknown namespaced key is refused, naming it" {
	bad_sysctl '{"net.ipv4.box_no_such_key": "1"}' 'linux.sysctl: "net.ipv4.box_no_such_key"'
}

@test "sysctl: a value the kernel rejects is refused, naming the key" {
	bad_sysctl '{"net.ipv4.ip_forward": "banana"}' 'linux.sysctl: "net.ipv4.ip_forward"'
}

@test "sysctl: a key that climbs out of /proc/sys is refused" {
	bad_sysctl '{"net/../../../proc/self/oom_score_adj": "500"}' 'linux.sysctl'
	bad_sysctl '{"net.ipv4/../../kernel/panic": "1"}' 'linux.sysctl'
}

# host_ns TYPE: a path to the runtime's own (the host's) namespace of TYPE:
# /proc/1/ns/TYPE as root when it is ours, else our shell's.
host_ns() {
	local path="/proc/1/ns/$1"
	if is_rootless || [[ "$(stat -L -c %i "$path" 2>/dev/null)" != "$(stat -L -c %i "/proc/self/ns/$1")" ]]; then
		path="/proc/$$/ns/$1"
	fi
	echo "$path"
}

# join_ns TYPE PATH: the config joins PATH as its namespace of TYPE.
join_ns() {
	update_config ".linux.namespaces |= (map(select(.type != \"$1\")) + [{type: \"$1\", path: \"$2\"}])"
}

# Each refused key is set to the host's current value: should a broken
# runtime write it anyway, nothing on the host changes.
@test "sysctl: a namespace joined by path that is the runtime's own (the host's) is refused, naming the key" {
	local net ipc uts before
	net="$(host_ns net)" ipc="$(host_ns ipc)" uts="$(host_ns uts)"
	before="$(host_values)"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	join_ns network "$net"
	bad_sysctl "{\"net.core.somaxconn\": \"$(cat /proc/sys/net/core/somaxconn)\"}" \
		"linux.sysctl: \"net.core.somaxconn\" needs a network namespace of its own: \"$net\" is the runtime's own (the host's)"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	join_ns ipc "$ipc"
	bad_sysctl "{\"kernel.msgmax\": \"$(cat /proc/sys/kernel/msgmax)\"}" \
		"linux.sysctl: \"kernel.msgmax\" needs an ipc namespace of its own: \"$ipc\" is the runtime's own"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config 'del(.hostname)'
	join_ns uts "$uts"
	bad_sysctl "{\"kernel.domainname\": \"$(cat /proc/sys/kernel/domainname)\"}" \
		"linux.sysctl: \"kernel.domainname\" needs a uts namespace of its own: \"$uts\" is the runtime's own"
	assert_equal "$(host_values)" "$before"
}

@test "sysctl: a network namespace joined by path that the test made is the container's own" {
	requires root
	local netns="$BATS_TEST_TMPDIR/netns" before
	before="$(cat /proc/sys/net/core/somaxconn)"
	touch "$netns"
	unshare --net="$netns" true || fail "cannot make a network namespace at $netns"
	join_ns network "$netns"
	update_config '.linux.sysctl = {"net.core.somaxconn": "1234"}'
	set_args cat /proc/sys/net/core/somaxconn
	run box run --bundle "$BUNDLE" "$CID"
	local in_container="$output" in_netns
	in_netns="$(nsenter --net="$netns" cat /proc/sys/net/core/somaxconn)"
	umount "$netns"
	assert_equal "$in_container" 1234
	assert_equal "$in_netns" 1234
	assert_equal "$(cat /proc/sys/net/core/somaxconn)" "$before"
}

@test "sysctl: kernel.hostname beside hostname, kernel.domainname beside domainname: refused as a conflict (runc's words)" {
	update_config '.hostname = "boxhost"'
	if runc_available; then
		update_config '.linux.sysctl = {"kernel.hostname": "other"}'
		run --separate-stderr runc_ref run --bundle "$(runc_bundle)" "$CID-runc"
		assert_failure
		[[ "$stderr" == *'sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" field'* ]] ||
			fail "runc said: $stderr"
	fi
	bad_sysctl '{"kernel.hostname": "other"}' \
		'config.json: linux.sysctl: "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'
	update_config '.domainname = "example.org"'
	bad_sysctl '{"kernel.domainname": "other.org"}' \
		'config.json: linux.sysctl: "kernel.domainname" is not allowed as it conflicts with the OCI "domainname" field'
}

@test "sysctl: kernel.domainname without a domainname field sets it" {
	# (rootless: the kernel lets only the host's root write the uts sysctls)
	requires root
	update_config '.hostname = "boxhost" | del(.domainname) | .linux.sysctl = {"kernel.domainname": "sysctl.example"}'
	set_args cat /proc/sys/kernel/domainname
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output sysctl.example
}

#!/usr/bin/env bats
# hostname and domainname (UTS namespace)

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "hostname from the config is what hostname prints inside" {
	update_config '.hostname = "boxhost"'
	set_args hostname
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output boxhost
}

@test "domainname from the config is set in the container's UTS namespace" {
	update_config '.hostname = "boxhost" | .domainname = "example.org"'
	set_args sh -c 'cat /proc/sys/kernel/hostname; cat /proc/sys/kernel/domainname; uname -n'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 boxhost
	assert_line --index 1 example.org
	assert_line --index 2 boxhost
}

@test "the host's hostname and domainname are unchanged" {
	local host_name host_domain
	host_name="$(cat /proc/sys/kernel/hostname)"
	host_domain="$(cat /proc/sys/kernel/domainname)"
	update_config '.hostname = "boxhost-changed" | .domainname = "changed.example"'
	set_args hostname
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output boxhost-changed
	assert_equal "$(cat /proc/sys/kernel/hostname)" "$host_name"
	assert_equal "$(cat /proc/sys/kernel/domainname)" "$host_domain"
}

@test "hostname can be changed inside without touching the host" {
	local host_name
	host_name="$(cat /proc/sys/kernel/hostname)"
	update_config '.hostname = "before" | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	set_args sh -c 'hostname after && hostname'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output after
	assert_equal "$(cat /proc/sys/kernel/hostname)" "$host_name"
}

@test "hostname and domainname with a uts namespace joined by path are set there, as runc" {
	requires root
	local uts="$BATS_TEST_TMPDIR/uts" host_name
	host_name="$(cat /proc/sys/kernel/hostname)"
	touch "$uts"
	unshare --uts="$uts" true || fail "cannot make a uts namespace at $uts"
	update_config ".hostname = \"joined\" | .domainname = \"joined.example\"
		| .linux.namespaces |= (map(select(.type != \"uts\")) + [{type: \"uts\", path: \"$uts\"}])"
	set_args sh -c 'hostname; cat /proc/sys/kernel/domainname'
	run box run --bundle "$BUNDLE" "$CID"
	local box_status="$status" box_output="$output" in_ns runc_output="" runc_in_ns=""
	in_ns="$(nsenter --uts="$uts" sh -c 'hostname; cat /proc/sys/kernel/domainname')"
	if runc_available; then
		update_config '.hostname = "runc-joined" | del(.domainname)'
		set_args hostname
		runc_output="$(runc_ref run --bundle "$(runc_bundle)" "$CID-runc" </dev/null 2>&1)"
		runc_in_ns="$(nsenter --uts="$uts" hostname)"
	fi
	umount "$uts"
	assert_equal "$box_status" 0
	assert_equal "$box_output" "$(printf 'joined\njoined.example')"
	assert_equal "$in_ns" "$(printf 'joined\njoined.example')"
	if runc_available; then
		assert_equal "$runc_output" runc-joined
		assert_equal "$runc_in_ns" runc-joined
	fi
	assert_equal "$(cat /proc/sys/kernel/hostname)" "$host_name"
}

@test "hostname with the runtime's own uts namespace joined by path is refused (it would rename the host)" {
	requires root
	local host_name
	host_name="$(cat /proc/sys/kernel/hostname)"
	update_config ".hostname = \"renamed-host\"
		| .linux.namespaces |= (map(select(.type != \"uts\")) + [{type: \"uts\", path: \"/proc/$$/ns/uts\"}])"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "config.json: hostname: needs a uts namespace of its own: \"/proc/$$/ns/uts\" is the runtime's own (the host's)"
	assert_nothing_left
	assert_equal "$(cat /proc/sys/kernel/hostname)" "$host_name"
}

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

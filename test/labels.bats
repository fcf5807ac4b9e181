#!/usr/bin/env bats
# SELinux labels and AppArmor profiles: process.selinuxLabel, linux.mountLabel,
# process.apparmorProfile and exec's --process-label/--apparmor. box applies
# none of them: each one set is refused with one line naming it, nothing is
# left, and never is one silently ignored. On a host without SELinux and
# AppArmor runc fails with all three as well.

load helpers

setup() {
	box_setup
	setup_bundle
	set_args true
}

teardown() {
	box_teardown
}

# lsm_enabled: SELinux or AppArmor is on (runc would then apply the labels).
lsm_enabled() {
	[[ -e /sys/fs/selinux/enforce ]] || grep -qx Y /sys/module/apparmor/parameters/enabled 2>/dev/null
}

# refused FIELD VALUE MESSAGE: a config with .FIELD = VALUE fails create with
# MESSAGE and leaves nothing; runc fails too (where it is the reference).
refused() {
	local field="$1" value="$2" message="$3"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	update_config ".$field = \"$value\""
	if runc_available && ! lsm_enabled; then
		run --separate-stderr runc_ref run --bundle "$(runc_bundle)" "$CID-runc"
		[[ "$status" -ne 0 ]] || fail "runc ran with $field set: $output $stderr"
		rm -rf "$BATS_TEST_TMPDIR/runc-bundle"
	fi
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "config.json: $field: $message"
	assert_nothing_left
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_box_error "config.json: $field: $message"
	assert_nothing_left
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
}

selinux_words() {
	if [[ -e /sys/fs/selinux/enforce ]]; then
		echo "is set, but box does not apply SELinux labels"
	else
		echo "is set, but SELinux is disabled or not supported on this host"
	fi
}

apparmor_words() {
	if grep -qx Y /sys/module/apparmor/parameters/enabled 2>/dev/null; then
		echo "is set, but box does not apply AppArmor profiles"
	else
		echo "is set, but AppArmor is not enabled on this host"
	fi
}

@test "labels: process.selinuxLabel, linux.mountLabel and process.apparmorProfile are each refused, naming the field (runc fails too without SELinux/AppArmor)" {
	refused process.selinuxLabel system_u:system_r:container_t:s0 "$(selinux_words)"
	refused linux.mountLabel system_u:object_r:container_file_t:s0 "$(selinux_words)"
	refused process.apparmorProfile box-test-profile "$(apparmor_words)"
}

@test "labels: empty labels are no labels" {
	update_config '.process.selinuxLabel = "" | .linux.mountLabel = "" | .process.apparmorProfile = ""'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
}

@test "labels: exec --process-label, --apparmor and a --process file with a label are refused, naming them" {
	set_args sleep 1000
	start_container
	run --separate-stderr box exec --process-label system_u:system_r:container_t:s0 "$CID" true
	assert_box_error -255 "--process-label $(selinux_words)"
	run --separate-stderr box exec --apparmor box-test-profile "$CID" true
	assert_box_error -255 "--apparmor $(apparmor_words)"
	local p="$BATS_TEST_TMPDIR/process.json"
	jq -n '{args: ["true"], cwd: "/", selinuxLabel: "system_u:system_r:container_t:s0"}' >"$p"
	run --separate-stderr box exec --process "$p" "$CID"
	assert_box_error -255 "$p: selinuxLabel: $(selinux_words)"
	jq -n '{args: ["true"], cwd: "/", apparmorProfile: "box-test-profile"}' >"$p"
	run --separate-stderr box exec --process "$p" "$CID"
	assert_box_error -255 "$p: apparmorProfile: $(apparmor_words)"
	run box exec "$CID" true
	assert_success
}

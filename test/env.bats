#!/usr/bin/env bats
# process.env, cwd, user and umask

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "process.env is the container's environment, and nothing from the host leaks" {
	update_config '.process.env = ["PATH=/usr/bin:/bin", "FOO=bar baz", "EMPTY="]'
	export BOX_TEST_HOST_ONLY=leak
	set_args env
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line "FOO=bar baz"
	assert_line "EMPTY="
	assert_line "PATH=/usr/bin:/bin"
	refute_output --partial BOX_TEST_HOST_ONLY
	refute_output --partial BOX_ROOT
}

# shellcheck disable=SC2016 # a literal $HOME must reach the container
@test "process.args are passed verbatim (spaces, quotes, empty strings)" {
	set_args printf '[%s]\n' "a b" "" "it's" '$HOME' '*'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "$(printf '[%s]\n' "a b" "" "it's" '$HOME' '*')"
}

@test "process.args[0] is looked up in the container's PATH" {
	mkdir -p "$BUNDLE/rootfs/opt/tools"
	printf '#!/bin/sh\necho from-opt-tools\n' >"$BUNDLE/rootfs/opt/tools/mytool"
	chmod +x "$BUNDLE/rootfs/opt/tools/mytool"
	update_config '.process.env = ["PATH=/opt/tools:/bin"]'
	set_args mytool
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output from-opt-tools
}

@test "process.cwd is the working directory" {
	mkdir -p "$BUNDLE/rootfs/work/dir"
	update_config '.process.cwd = "/work/dir"'
	set_args pwd
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output /work/dir
}

@test "user uid, gid and additionalGids" {
	requires root
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [1002, 1003]}'
	set_args sh -c 'id -u; id -g; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 1000
	assert_line --index 1 1001
	assert_line --regexp '^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$'
	assert_line --regexp '^Gid:[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001$'
	assert_line --regexp '^Groups:[[:space:]]+1002 1003[[:space:]]*$'
}

@test "user without additionalGids has no supplementary groups" {
	requires root
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args grep '^Groups:' /proc/self/status
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output --regexp '^Groups:[[:space:]]*$'
}

@test "files created by a non-root user are owned by that user" {
	requires root
	update_config '.process.user = {"uid": 1000, "gid": 1001}'
	set_args sh -c 'touch /tmp/owned'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$(stat -c '%u:%g' "$BUNDLE/rootfs/tmp/owned")" 1000:1001
}

@test "umask from process.user.umask" {
	update_config '.process.user.umask = 23'
	set_args sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 0027
	assert_line --index 1 640
}

@test "umask 0077" {
	update_config '.process.user.umask = 63'
	set_args sh -c umask
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output 0077
}

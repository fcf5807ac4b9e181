#!/usr/bin/env bats
# process.noNewPrivileges

load helpers

setup() {
	box_setup
	setup_bundle
	setup_checker
}

teardown() {
	box_teardown
}

@test "nnp: noNewPrivileges true holds" {
	update_config '.process.noNewPrivileges = true'
	run_checker
}

@test "nnp: noNewPrivileges false holds" {
	update_config '.process.noNewPrivileges = false'
	run_checker
}

@test "nnp: noNewPrivileges left out means no_new_privs unset" {
	update_config 'del(.process.noNewPrivileges)'
	run_checker
}

# A set-uid-root copy of the checker, run as uid 1000: with no_new_privs the
# exec does not raise its effective uid and every check holds.
setuid_checker() {
	cp "$BOX_CHECKER" "$BUNDLE/rootfs/box-checker-suid"
	chown 0:0 "$BUNDLE/rootfs/box-checker-suid"
	chmod 4755 "$BUNDLE/rootfs/box-checker-suid"
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.args = ["/box-checker-suid"]'
}

@test "nnp: a set-uid binary does not gain privileges under noNewPrivileges" {
	requires root
	setuid_checker
	update_config '.process.noNewPrivileges = true'
	run_checker
}

@test "nnp: a set-uid binary gains its owner without noNewPrivileges" {
	requires root
	setuid_checker
	update_config '.process.noNewPrivileges = false'
	cp "$BUNDLE/config.json" "$BUNDLE/rootfs/spec.json"
	chmod 0644 "$BUNDLE/rootfs/spec.json"
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_failure 1
	# shellcheck disable=SC2154 # stderr comes from bats `run`
	assert_equal "$stderr" "process.user.uid: expected 1000, saw real/effective/saved 1000/0/0"
}

@test "nnp: exec --no-new-privs sets it for that process only" {
	update_config '.process.noNewPrivileges = false'
	set_args sleep 1000
	start_container
	run box exec --no-new-privs "$CID" grep '^NoNewPrivs:' /proc/self/status
	assert_success
	assert_output --regexp '^NoNewPrivs:[[:space:]]+1$'
	run box exec "$CID" grep '^NoNewPrivs:' /proc/self/status
	assert_success
	assert_output --regexp '^NoNewPrivs:[[:space:]]+0$'
	run box exec "$CID" grep '^NoNewPrivs:' /proc/1/status
	assert_success
	assert_output --regexp '^NoNewPrivs:[[:space:]]+0$'
}

@test "nnp: a process started with exec inherits the container's noNewPrivileges" {
	update_config '.process.noNewPrivileges = true'
	set_args sleep 1000
	start_container
	run box exec "$CID" grep '^NoNewPrivs:' /proc/self/status
	assert_success
	assert_output --regexp '^NoNewPrivs:[[:space:]]+1$'
}

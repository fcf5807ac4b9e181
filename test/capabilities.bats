#!/usr/bin/env bats
# process.capabilities: the five sets as the checker sees them, and what a
# dropped capability forbids.

load helpers

setup() {
	box_setup
	setup_bundle
	setup_checker
}

teardown() {
	box_teardown
}

# held_capabilities: JSON array of the capability names in this shell's
# bounding set (the runtime cannot hand out more than it holds).
held_capabilities() {
	local bnd
	bnd="$(awk '/^CapBnd:/ {print $2}' /proc/self/status)"
	"$BOX_BIN" features | jq -c --argjson bnd "$((16#$bnd))" \
		'[.linux.capabilities | to_entries[] | select((($bnd / pow(2; .key)) | floor) % 2 == 1) | .value]'
}

# set_capabilities JSON-ARRAY: the same list in all five sets.
set_capabilities() {
	update_config ".process.capabilities = {bounding: $1, effective: $1, inheritable: $1, permitted: $1, ambient: $1}"
}

@test "capabilities: the default spec's sets hold" {
	run_checker
}

@test "capabilities: no capabilities at all" {
	set_capabilities '[]'
	run_checker
}

@test "capabilities: every capability the runtime holds, in all five sets" {
	set_capabilities "$(held_capabilities)"
	run_checker
}

@test "capabilities: a non-root user keeps its ambient capabilities" {
	requires root
	set_capabilities '["CAP_KILL", "CAP_NET_BIND_SERVICE"]'
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run_checker
}

@test "capabilities: an ambient capability outside the inheritable set is not raised" {
	update_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"],
		permitted: ["CAP_KILL"], ambient: ["CAP_KILL"]}'
	run_checker
	set_args grep CapAmb /proc/self/status
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output --regexp '^CapAmb:[[:space:]]+0+$'
}

@test "capabilities: a process started with exec gets the container's sets" {
	set_args sleep 1000
	start_container
	run box exec "$CID" grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status
	assert_success
	# CAP_KILL, CAP_NET_BIND_SERVICE and CAP_AUDIT_WRITE: bits 5, 10 and 29
	assert_line --regexp '^CapPrm:[[:space:]]+0*20000420$'
	assert_line --regexp '^CapEff:[[:space:]]+0*20000420$'
	assert_line --regexp '^CapBnd:[[:space:]]+0*20000420$'
	assert_line --regexp '^CapInh:[[:space:]]+0+$'
}

@test "capabilities: chown fails without CAP_CHOWN" {
	requires root
	set_args sh -c 'touch /tmp/owned && chown 1:1 /tmp/owned'
	run box run --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_output --partial "Operation not permitted"
	assert_equal "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/owned")" 0:0
}

@test "capabilities: chown works with CAP_CHOWN" {
	requires root
	update_config '.process.capabilities |= with_entries(.value += ["CAP_CHOWN"])'
	set_args sh -c 'touch /tmp/owned && chown 1:1 /tmp/owned'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/owned")" 1:1
}

@test "capabilities: mknod fails without CAP_MKNOD" {
	requires root
	set_args mknod /tmp/null c 1 3
	run box run --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_output --partial "Operation not permitted"
	assert_not_exists "$BUNDLE/rootfs/tmp/null"
}

@test "capabilities: mknod works with CAP_MKNOD" {
	requires root
	update_config '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
	set_args mknod /tmp/null c 1 3
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_character_exists "$BUNDLE/rootfs/tmp/null"
}

@test "capabilities: names box or the kernel does not know are left out with one warning, and the container runs (as runc)" {
	local set
	for set in bounding effective inheritable permitted ambient; do
		update_config ".process.capabilities.${set} = [\"CAP_KILL\", \"CAP_FOO\", \"KILL\", \"CAP_99\"]"
	done
	set_args grep -E '^Cap(Prm|Eff|Bnd|Amb):' /proc/self/status
	local want_warning='ignoring unknown or unavailable capabilities: [CAP_99 CAP_FOO KILL]'
	if runc_available; then
		run --separate-stderr runc_ref run --bundle "$(runc_bundle)" "$CID-runc"
		assert_success
		[[ "$stderr" == *"level=warning msg=\"$want_warning\""* ]] || fail "runc warned: $stderr"
		assert_output "$(printf 'CapPrm:\t0000000000000020\nCapEff:\t0000000000000020\nCapBnd:\t0000000000000020\nCapAmb:\t0000000000000020')"
	fi
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$stderr" "box: warning: $want_warning"
	assert_output "$(printf 'CapPrm:\t0000000000000020\nCapEff:\t0000000000000020\nCapBnd:\t0000000000000020\nCapAmb:\t0000000000000020')"
	assert_nothing_left
}

@test "capabilities: one the runtime's own bounding set lacks (it cannot grant it) is left out with a warning, and the container runs" {
	requires root # (dropping from the bounding set needs CAP_SETPCAP)
	local set
	for set in bounding effective permitted; do
		update_config ".process.capabilities.${set} = [\"CAP_KILL\", \"CAP_SYS_TIME\"]"
	done
	set_args grep -E '^Cap(Prm|Eff|Bnd):' /proc/self/status
	run --separate-stderr setpriv --bounding-set -sys_time -- "$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$stderr" "box: warning: ignoring unknown or unavailable capabilities: [CAP_SYS_TIME]"
	assert_output "$(printf 'CapPrm:\t0000000000000020\nCapEff:\t0000000000000020\nCapBnd:\t0000000000000020')"
	assert_nothing_left
}

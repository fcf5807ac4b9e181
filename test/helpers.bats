#!/usr/bin/env bats
# Self-tests for test/helpers.bash. Only the assert_nothing_left/teardown
# ones at the end need the runtime and the rootfs.

load helpers

# write_inner_test BODY-FUNCTIONS TEST-BODY: writes a one-test bats file that
# loads the real helpers, and prints its path.
write_inner_test() {
	local f="$BATS_TEST_TMPDIR/inner.bats"
	# The test header is printed, not written literally: bats would rewrite
	# a literal one in this file into a test of its own.
	{
		printf 'load "%s/helpers"\n' "$BATS_TEST_DIRNAME"
		printf '%s\n' "$1"
		printf '%s "inner" {\n\t%s\n}\n' '@test' "$2"
	} >"$f"
	echo "$f"
}

# Runs the inner file with a nested bats; TAP output lands in $output.
run_inner() {
	local f
	f="$(write_inner_test "$1" "$2")"
	# a clean environment: the outer bats exports its own BATS_* state
	# (the bats on PATH here is bats' internal libexec one: use the front end)
	local bats_bin="$BATS_ROOT/bin/bats"
	[[ -x "$bats_bin" ]] || bats_bin="$(command -v bats)"
	run env -i PATH="$PATH" HOME="${HOME:-/}" TMPDIR="$BATS_TEST_TMPDIR" "$bats_bin" --tap "$f"
}

@test "known_failure: a failing function makes the test skip with the reason" {
	run_inner '
fails() {
	false
}' 'known_failure "issue 42" fails'
	assert_success
	assert_line "ok 1 inner # skip known failure: issue 42"
}

@test "known_failure: set -e is in effect inside the function" {
	local marker="$BATS_TEST_TMPDIR/after"
	run_inner "
fails_at_first_command() {
	false
	touch '$marker'
}" 'known_failure "issue 42" fails_at_first_command'
	assert_line "ok 1 inner # skip known failure: issue 42"
	assert_file_not_exists "$marker"
}

@test "known_failure: a failing bats-assert assertion counts as failing" {
	run_inner '
fails_in_assertion() {
	run echo actual
	assert_output expected
}' 'known_failure "assertion bug" fails_in_assertion'
	assert_success
	assert_line "ok 1 inner # skip known failure: assertion bug"
}

@test "known_failure: a function that passes makes the test fail" {
	run_inner '
passes() {
	run echo fine
	assert_output fine
}' 'known_failure "issue 42" passes'
	assert_failure
	assert_line "not ok 1 inner"
	assert_output --partial "known failure now passes: remove the marker (issue 42)"
}

@test "known_failure: arguments are passed to the function" {
	# shellcheck disable=SC2016 # code for the inner test file
	run_inner '
same() { [[ "$1" == "$2" ]]; }' 'known_failure "args" same a b'
	assert_line "ok 1 inner # skip known failure: args"

	# shellcheck disable=SC2016
	run_inner '
same() { [[ "$1" == "$2" ]]; }' 'known_failure "args" same a a'
	assert_line "not ok 1 inner"
	assert_output --partial "known failure now passes: remove the marker (args)"
}

# Inside `run`, bash ignores set -e; the marker must refuse instead of
# reporting a bogus "now passes".
@test "known_failure: refuses to run where set -e cannot work" {
	run known_failure "ctx" false
	assert_failure
	assert_output --partial "set -e has no effect here"
	refute_output --partial "now passes"
}

@test "wait_for_file: returns once the file appears, fails on timeout" {
	local f="$BATS_TEST_TMPDIR/later"
	(
		sleep 0.3
		touch "$f"
	) &
	wait_for_file "$f" 3
	assert_file_exists "$f"

	run wait_for_file "$BATS_TEST_TMPDIR/never" 0.2
	assert_failure
	assert_output --partial "did not appear"
}

@test "requires: skips naming the missing prerequisite, runs when present" {
	local have missing
	if [[ $(id -u) -eq 0 ]]; then
		have=root missing=rootless
	else
		have=rootless missing=root
	fi
	run_inner '' "requires $missing"
	assert_success
	assert_line "ok 1 inner # skip requires $missing"

	run_inner '' "requires $have"
	assert_success
	assert_line "ok 1 inner"

	run_inner '' "requires $have $missing"
	assert_success
	assert_line "ok 1 inner # skip requires $missing"
}

@test "update_config and set_args edit config.json in place" {
	BUNDLE="$BATS_TEST_TMPDIR"
	echo '{"process":{"args":["sh"]},"hostname":"x"}' >"$BUNDLE/config.json"
	update_config '.hostname = "y"'
	set_args sh -c 'echo "a b"'
	run jq -c '[.hostname, .process.args]' "$BUNDLE/config.json"
	assert_output '["y",["sh","-c","echo \"a b\""]]'
}

# The "nothing left" checks must be able to fail. These need the runtime.

@test "assert_nothing_left: passes on a clean test" {
	box_setup
	setup_bundle
	assert_nothing_left
	box_teardown
}

@test "assert_nothing_left: reports a live container's state dir, processes and cgroup" {
	requires root # rootless containers get no cgroup without delegation
	box_setup
	setup_bundle
	update_config 'del(.linux.cgroupsPath)'
	start_container
	run assert_nothing_left
	assert_failure
	assert_output --partial "state directories in $BOX_ROOT: $CID"
	assert_output --partial "processes still running in $BUNDLE/rootfs: $(container_pid "$CID")"
	assert_output --regexp "cgroups left: [^ ]*/box/$CID"
	box delete --force "$CID"
	assert_nothing_left
	box_teardown
}

@test "assert_nothing_left and teardown: report a mount left on the host" {
	requires root
	box_setup
	setup_bundle
	mkdir "$BATS_TEST_TMPDIR/m"
	mount -t tmpfs boxtest "$BATS_TEST_TMPDIR/m"
	run assert_nothing_left
	local rc_check=$status out_check=$output
	run box_teardown
	local rc_teardown=$status out_teardown=$output
	umount "$BATS_TEST_TMPDIR/m" 2>/dev/null || true
	assert_equal "$rc_check" 1
	assert_regex "$out_check" "new mounts on the host since setup: $BATS_TEST_TMPDIR/m"
	assert_equal "$rc_teardown" 1
	assert_regex "$out_teardown" "mounts left on the host: $BATS_TEST_TMPDIR/m"
	# teardown unmounted it
	run grep -c " $BATS_TEST_TMPDIR/m " /proc/self/mountinfo
	assert_output 0
}

@test "teardown: deletes containers a test left and reports nothing when that works" {
	box_setup
	setup_bundle
	start_container
	local pid
	pid="$(container_pid "$CID")"
	run box_teardown
	assert_success
	wait_for_pid_gone "$pid"
	assert_dir_not_exists "$BOX_ROOT/$CID"
}

@test "own_mounts: another engine's mounts are not the test's; the test's own leaks are" {
	requires root
	# The mounts are made in a private mount namespace of this test's own
	# (unshare -m): nothing here reaches the host.
	local body
	body="$(
		cat <<'INNER'
box_setup
	setup_bundle
	local before="$BATS_TEST_TMPDIR/before"
	cp /proc/self/mountinfo "$before"
	# another engine at work: a container's rootfs, a netns, a user session
	mount -t tmpfs tmpfs /run
	mkdir -p /run/containers/storage/overlay/c0ffee/merged /run/netns /run/user/1000
	mount -t tmpfs overlay /run/containers/storage/overlay/c0ffee/merged
	mount -t tmpfs tmpfs /run/user/1000
	assert_equal "$(new_mounts)" ""
	assert_mount_table_unchanged "$before"
	# the test's own: under its tmpdir, a bind of it elsewhere, a container's
	# destination in our namespace
	mkdir "$BATS_TEST_TMPDIR/leak" "$BATS_TEST_TMPDIR/src" /run/elsewhere
	mount -t tmpfs tmpfs "$BATS_TEST_TMPDIR/leak"
	mount --bind "$BATS_TEST_TMPDIR/src" /run/elsewhere
	mount -t tmpfs shm /dev/shm
	run new_mounts
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' "$BATS_TEST_TMPDIR/leak" /dev/shm /run/elsewhere | sort)"
	run assert_mount_table_unchanged "$before"
	assert_failure
	assert_output --partial "> $BATS_TEST_TMPDIR/leak tmpfs tmpfs"
	assert_output --partial "> /run/elsewhere "
	assert_output --partial "> /dev/shm tmpfs shm"
	refute_output --partial "c0ffee"
	refute_output --partial "/run/user"
INNER
	)"
	local f bats_bin="$BATS_ROOT/bin/bats"
	[[ -x "$bats_bin" ]] || bats_bin="$(command -v bats)"
	# (the inner teardown unmounts the leaks before bats removes its tmpdir)
	f="$(write_inner_test 'teardown() { umount /dev/shm /run/elsewhere "$BATS_TEST_TMPDIR/leak" 2>/dev/null || true; }' "$body")"
	run unshare -m --propagation private env -i PATH="$PATH" HOME="${HOME:-/}" TMPDIR="$BATS_TEST_TMPDIR" \
		BOX_BIN="$BOX_BIN" ROOTFS="$ROOTFS" "$bats_bin" --tap "$f"
	assert_success
	assert_line "ok 1 inner"
}

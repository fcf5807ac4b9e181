#!/usr/bin/env bats
# box run --detach

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "run -d returns at once with the container running" {
	local t0 t1
	t0="${EPOCHREALTIME/./}"
	run box run -d --bundle "$BUNDLE" "$CID"
	t1="${EPOCHREALTIME/./}"
	assert_success
	# the program is `sleep 1000`: returning means run did not wait for it
	(((t1 - t0) < 15000000)) || fail "run -d took $(((t1 - t0) / 1000)) ms"
	assert_equal "$(state_field "$CID" status)" running
	pid_alive "$(container_pid "$CID")" || fail "detached container's init is not alive"
}

@test "run --detach: a fresh CLI lists, kills and deletes it" {
	run box run --detach --bundle "$BUNDLE" "$CID"
	assert_success

	run box list --quiet
	assert_success
	assert_output "$CID"

	local pid
	pid="$(container_pid "$CID")"
	run box kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	wait_for_pid_gone "$pid"

	run box delete "$CID"
	assert_success
	run box list --quiet
	assert_output ""
	assert_nothing_left
}

@test "run -d --pid-file writes the init pid" {
	run box run -d --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" "$CID"
	assert_success
	assert_file_exists "$BATS_TEST_TMPDIR/pid"
	local pid
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	assert_equal "$pid" "$(container_pid "$CID")"
	pid_alive "$pid" || fail "pid $pid is not alive"
}

@test "run -d: the program has started when run returns" {
	set_args sh -c 'echo started > /started; exec sleep 1000'
	run box run -d --bundle "$BUNDLE" "$CID"
	assert_success
	wait_for_file "$BUNDLE/rootfs/started"
}

@test "run -d: the container's output goes to run's stdout" {
	set_args sh -c 'echo hello from the container; exec sleep 1000'
	local out="$BATS_TEST_TMPDIR/out"
	box_raw run -d --bundle "$BUNDLE" "$CID" </dev/null >"$out" 2>"$BATS_TEST_TMPDIR/err"
	retry 5 grep -q 'hello from the container' "$out" || fail "container output not in run -d's stdout: $(cat "$out")"
}

@test "run -d: a program that exits at once leaves a stopped container" {
	set_args sh -c 'exit 3'
	run box run -d --bundle "$BUNDLE" "$CID"
	assert_success
	wait_for_status "$CID" stopped
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

#!/usr/bin/env bats
# box create

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "create --pid-file writes the init pid" {
	run box create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/init.pid" "$CID"
	assert_success
	assert_file_exists "$BATS_TEST_TMPDIR/init.pid"
	local pid
	pid="$(cat "$BATS_TEST_TMPDIR/init.pid")"
	assert_regex "$pid" '^[1-9][0-9]*$'
	assert_equal "$pid" "$(container_pid "$CID")"
	pid_alive "$pid" || fail "pid $pid from the pid file is not alive"
}

@test "create --pid-file with a relative path is relative to the cwd" {
	cd "$BATS_TEST_TMPDIR"
	run box create --bundle "$BUNDLE" --pid-file rel.pid "$CID"
	assert_success
	cd /
	assert_file_exists "$BATS_TEST_TMPDIR/rel.pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/rel.pid")" "$(container_pid "$CID")"
}

@test "create does not run the user program before start" {
	set_args sh -c 'echo ran > /ran; exec sleep 1000'
	create_container
	# give a runtime that starts the program too early a chance to do so
	sleep 0.3
	assert_file_not_exists "$BUNDLE/rootfs/ran"
	assert_equal "$(state_field "$CID" status)" created

	box start "$CID"
	wait_for_text "$BUNDLE/rootfs/ran"
	assert_equal "$(cat "$BUNDLE/rootfs/ran")" ran
}

@test "create returns while init keeps waiting in created state" {
	create_container
	local pid
	pid="$(container_pid "$CID")"
	sleep 0.3
	assert_equal "$(state_field "$CID" status)" created
	pid_alive "$pid" || fail "init $pid of the created container died"
}

@test "create without --bundle uses the current directory" {
	cd "$BUNDLE"
	run box create "$CID"
	assert_success
	cd /
	assert_equal "$(state_field "$CID" bundle)" "$(realpath "$BUNDLE")"
	assert_equal "$(state_field "$CID" status)" created
}

@test "create -b and --flag=value forms are accepted" {
	run box create -b "$BUNDLE" "$CID"
	assert_success
	run box create --bundle="$BUNDLE" --pid-file="$BATS_TEST_TMPDIR/p2" "$CID-2"
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/p2")" "$(container_pid "$CID-2")"
	run timeout 10 "$BOX_BIN" --root="$BOX_ROOT" state "$CID-2"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" created
}

@test "create accepts an id using every allowed character class" {
	local id="A-z_0.9+${CID}"
	run box create --bundle "$BUNDLE" "$id"
	assert_success
	assert_equal "$(state_field "$id" id)" "$id"
	assert_dir_exists "$BOX_ROOT/$id"
}

@test "create of a second container from the same bundle works" {
	create_container "$CID-a"
	create_container "$CID-b"
	assert_not_equal "$(container_pid "$CID-a")" "$(container_pid "$CID-b")"
	assert_equal "$(state_field "$CID-a" status)" created
	assert_equal "$(state_field "$CID-b" status)" created
}

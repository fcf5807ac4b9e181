#!/usr/bin/env bats
# OCI lifecycle: create -> created -> start -> running -> kill -> stopped ->
# delete, and what is on disk at each step.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "create: status is created, state.json and exec.fifo exist" {
	run box create --bundle "$BUNDLE" "$CID"
	assert_success

	run box state "$CID"
	assert_success
	run jq -r .status <<<"$output"
	assert_output created

	assert_file_exists "$BOX_ROOT/$CID/state.json"
	assert_fifo_exists "$BOX_ROOT/$CID/exec.fifo"
	# state.json on disk is valid JSON (written atomically)
	run jq -e . "$BOX_ROOT/$CID/state.json"
	assert_success
}

@test "start: status goes from created to running and exec.fifo is removed" {
	create_container
	assert_equal "$(state_field "$CID" status)" created

	run box start "$CID"
	assert_success
	wait_for_status "$CID" running

	assert_file_exists "$BOX_ROOT/$CID/state.json"
	assert_not_exists "$BOX_ROOT/$CID/exec.fifo"
}

@test "kill: status goes from running to stopped, state stays on disk" {
	start_container
	local pid
	pid="$(container_pid "$CID")"

	run box kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	wait_for_pid_gone "$pid"

	assert_file_exists "$BOX_ROOT/$CID/state.json"
	assert_not_exists "$BOX_ROOT/$CID/exec.fifo"
}

@test "delete: the state directory is gone and state no longer knows the id" {
	start_container
	box kill "$CID" KILL
	wait_for_status "$CID" stopped

	run box delete "$CID"
	assert_success
	assert_dir_not_exists "$BOX_ROOT/$CID"

	run --separate-stderr box state "$CID"
	assert_box_error "container \"$CID\" does not exist"
	assert_nothing_left
}

@test "full lifecycle in one go: created, running, stopped, deleted" {
	create_container
	assert_equal "$(state_field "$CID" status)" created
	box start "$CID"
	wait_for_status "$CID" running
	box kill "$CID" KILL
	wait_for_status "$CID" stopped
	box delete "$CID"
	assert_dir_not_exists "$BOX_ROOT/$CID"
	assert_nothing_left
}

@test "state: has ociVersion, id, status, pid, bundle, rootfs, created" {
	create_container
	run box state "$CID"
	assert_success
	local json="$output"

	run jq -r '.ociVersion' <<<"$json"
	assert_output --regexp '^1\.[0-9]+\.[0-9]+'
	run jq -r '.id' <<<"$json"
	assert_output "$CID"
	run jq -r '.status' <<<"$json"
	assert_output created
	run jq -r '.pid | type' <<<"$json"
	assert_output number
	run jq -r '.pid' <<<"$json"
	assert_output --regexp '^[1-9][0-9]*$'
	run jq -r '.bundle' <<<"$json"
	assert_output "$(realpath "$BUNDLE")"
	run jq -r '.rootfs' <<<"$json"
	assert_output "$(realpath "$BUNDLE/rootfs")"
	# RFC 3339 with nanoseconds, close to now
	local created
	created="$(jq -r '.created' <<<"$json")"
	assert_regex "$created" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'
	local t now
	t="$(date -d "$created" +%s)"
	now="$(date +%s)"
	((now - t >= -5 && now - t <= 60)) || fail "created ($created) is not close to now ($(date -u +%FT%TZ))"
}

@test "state: bundle is absolute even when given relative to the cwd" {
	cd "$(dirname "$BUNDLE")"
	run box create --bundle "$(basename "$BUNDLE")" "$CID"
	assert_success
	cd /
	assert_equal "$(state_field "$CID" bundle)" "$(realpath "$BUNDLE")"
	assert_equal "$(state_field "$CID" rootfs)" "$(realpath "$BUNDLE/rootfs")"
}

@test "state: pid is a live process in its own pid namespace" {
	create_container
	local pid
	pid="$(container_pid "$CID")"
	pid_alive "$pid" || fail "state pid $pid is not a live process"
	assert_not_equal "$(ns_of "$pid" pid)" "$(ns_of self pid)"
	# it is pid 1 inside its namespace
	run awk '/^NSpid:/ {print $NF}' "/proc/$pid/status"
	assert_output 1

	box start "$CID"
	wait_for_status "$CID" running
	assert_equal "$(container_pid "$CID")" "$pid"
	pid_alive "$pid" || fail "running container's pid $pid is not alive"
}

#!/usr/bin/env bats
# box state

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "state shows the config's annotations" {
	update_config '.annotations = {"org.example.key": "value", "com.example.empty": ""}'
	create_container
	run box state "$CID"
	assert_success
	run jq -c '.annotations' <<<"$output"
	assert_output '{"com.example.empty":"","org.example.key":"value"}'
}

@test "state of a stopped container has pid 0" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	run box state "$CID"
	assert_success
	run jq -r '.pid' <<<"$output"
	assert_output 0
}

@test "state from a fresh process with another cwd and environment sees the container" {
	start_container
	local pid
	pid="$(container_pid "$CID")"
	cd /
	run env -i PATH=/usr/bin:/bin timeout 10 "$BOX_BIN" --root "$BOX_ROOT" state "$CID"
	assert_success
	assert_equal "$(jq -r .status <<<"$output")" running
	assert_equal "$(jq -r .pid <<<"$output")" "$pid"
}

@test "state after init is killed from outside (kill -9 PID) is stopped" {
	start_container
	local pid
	pid="$(container_pid "$CID")"
	kill -9 "$pid"
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
	assert_equal "$(state_field "$CID" pid)" 0
}

@test "state after the program exits on its own is stopped" {
	set_args sh -c 'exit 3'
	create_container
	local pid
	pid="$(container_pid "$CID")"
	box start "$CID"
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
}

@test "state of a created container has a live pid" {
	create_container
	local pid
	pid="$(container_pid "$CID")"
	assert_equal "$(state_field "$CID" status)" created
	pid_alive "$pid" || fail "created container's pid $pid is not alive"
}

@test "state of an unknown id fails" {
	run --separate-stderr box state nosuchcontainer
	assert_box_error "container \"nosuchcontainer\" does not exist"
}

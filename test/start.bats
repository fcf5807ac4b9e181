#!/usr/bin/env bats
# box start

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "start runs the container's program" {
	set_args sh -c 'echo started > /started; exec sleep 1000'
	create_container
	run box start "$CID"
	assert_success
	wait_for_file "$BUNDLE/rootfs/started"
	assert_equal "$(state_field "$CID" status)" running
}

@test "start twice fails: the container is running, not created" {
	create_container
	box start "$CID"
	wait_for_status "$CID" running
	local pid
	pid="$(container_pid "$CID")"

	run --separate-stderr box start "$CID"
	assert_box_error "cannot start container \"$CID\": it is running, not created"
	# and the running container is unaffected
	assert_equal "$(state_field "$CID" status)" running
	pid_alive "$pid" || fail "container init $pid died after the second start"
}

@test "start of a stopped container fails" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped

	run --separate-stderr box start "$CID"
	assert_box_error "cannot start container \"$CID\": it is stopped, not created"
}

@test "start of an unknown id fails" {
	run --separate-stderr box start nosuchcontainer
	assert_box_error "container \"nosuchcontainer\" does not exist"
	assert_nothing_left
}

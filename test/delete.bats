#!/usr/bin/env bats
# box delete

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "delete of a stopped container leaves nothing behind" {
	set_args true
	create_container
	local pid
	pid="$(container_pid "$CID")"
	box start "$CID"
	wait_for_status "$CID" stopped

	run box delete "$CID"
	assert_success
	assert_dir_not_exists "$BOX_ROOT/$CID"
	_pid_gone "$pid" || fail "init $pid still alive"
	assert_nothing_left
}

@test "delete of a running container without --force fails and it keeps running" {
	start_container
	local pid
	pid="$(container_pid "$CID")"

	run --separate-stderr box delete "$CID"
	assert_box_error "cannot delete container \"$CID\": it is running (use --force)"
	assert_dir_exists "$BOX_ROOT/$CID"
	assert_equal "$(state_field "$CID" status)" running
	pid_alive "$pid" || fail "init $pid died"
}

@test "delete --force of a running container kills it and leaves nothing" {
	start_container
	local pid
	pid="$(container_pid "$CID")"

	run box delete --force "$CID"
	assert_success
	wait_for_pid_gone "$pid"
	assert_dir_not_exists "$BOX_ROOT/$CID"
	assert_nothing_left
}

@test "delete -f kills every process of the container" {
	# shellcheck disable=SC2016
	set_args sh -c 'sleep 1000 & sleep 1000 & echo ready > /ready; wait'
	start_container
	wait_for_file "$BUNDLE/rootfs/ready"

	run box delete -f "$CID"
	assert_success
	assert_nothing_left
}

@test "delete of a created container kills its init" {
	create_container
	local pid
	pid="$(container_pid "$CID")"
	pid_alive "$pid" || fail "created container has no live init"

	run box delete "$CID"
	assert_success
	wait_for_pid_gone "$pid"
	assert_dir_not_exists "$BOX_ROOT/$CID"
	assert_nothing_left
}

@test "delete removes the container's cgroup" {
	requires root # rootless containers get no cgroup without delegation
	# the default cgroup path, /box/<id>
	update_config 'del(.linux.cgroupsPath)'
	start_container
	local pid
	pid="$(container_pid "$CID")"
	# the runtime placed init in a cgroup named after the id
	run grep -c "/box/$CID\$" "/proc/$pid/cgroup"
	assert_success
	refute_output 0

	box delete --force "$CID"
	run leftover_cgroups
	assert_output ""
}

@test "delete of an unknown id fails" {
	run --separate-stderr box delete nosuchcontainer
	assert_box_error "container \"nosuchcontainer\" does not exist"
	assert_nothing_left
}

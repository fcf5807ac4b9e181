#!/usr/bin/env bats
# box pause / resume (issue 5): the freezer (v1 freezer.state and, on a hybrid
# host as well, cgroup v2's cgroup.freeze), state transitions, and kill and
# delete --force of a paused container.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

# A container whose init appends a line to /counter every 20 ms.
start_counter() {
	set_args sh -c 'while true; do echo . >> /counter; usleep 20000; done'
	start_container
	wait_for_file "$BUNDLE/rootfs/counter"
}

counter() {
	wc -l <"$BUNDLE/rootfs/counter"
}

_counter_above() {
	(($(counter) > $1))
}

@test "pause: running -> paused -> running, as state and list report" {
	requires root
	start_container
	run box pause "$CID"
	assert_success
	assert_output ""
	assert_equal "$(state_field "$CID" status)" paused
	run box list --format json
	assert_success
	assert_equal "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .status' <<<"$output")" paused
	run box resume "$CID"
	assert_success
	assert_output ""
	assert_equal "$(state_field "$CID" status)" running
	# and again
	box pause "$CID"
	assert_equal "$(state_field "$CID" status)" paused
	box resume "$CID"
	assert_equal "$(state_field "$CID" status)" running
}

@test "pause: a paused container's process makes no progress until resumed" {
	requires root
	start_counter
	box pause "$CID"
	local n
	n="$(counter)"
	sleep 0.5
	assert_equal "$(counter)" "$n"
	box resume "$CID"
	retry 10 _counter_above "$n" || fail "the counter did not grow after resume (still $(counter))"
}

@test "pause: v1 freezer.state is FROZEN while paused and THAWED after resume" {
	requires root cgroup_v1
	local mp
	mp="$(cgroup_v1_mount freezer)" || skip "requires the v1 freezer controller"
	start_container
	local f="$mp/box/$CID/freezer.state"
	assert_equal "$(cat "$f")" THAWED
	box pause "$CID"
	assert_equal "$(cat "$f")" FROZEN
	box resume "$CID"
	assert_equal "$(cat "$f")" THAWED
}

@test "pause: cgroup v2 cgroup.freeze is 1 while paused (the unified hierarchy on a hybrid host)" {
	requires root cgroup2
	start_container
	local dir
	dir="$(cgroup2_mount)/box/$CID"
	assert_equal "$(cat "$dir/cgroup.freeze")" 0
	box pause "$CID"
	assert_equal "$(cat "$dir/cgroup.freeze")" 1
	grep -qx 'frozen 1' "$dir/cgroup.events" || fail "cgroup.events: $(cat "$dir/cgroup.events")"
	box resume "$CID"
	assert_equal "$(cat "$dir/cgroup.freeze")" 0
	grep -qx 'frozen 0' "$dir/cgroup.events" || fail "cgroup.events: $(cat "$dir/cgroup.events")"
}

@test "pause: kill KILL stops a paused container" {
	requires root
	start_counter
	local pid
	pid="$(container_pid "$CID")"
	box pause "$CID"
	run box kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	wait_for_pid_gone "$pid"
	box delete "$CID"
	assert_nothing_left
}

@test "pause: delete --force removes a paused container and leaves nothing" {
	requires root
	start_counter
	local pid
	pid="$(container_pid "$CID")"
	box pause "$CID"
	run box delete --force "$CID"
	assert_success
	wait_for_pid_gone "$pid"
	run --separate-stderr box state "$CID"
	assert_box_error "container \"$CID\" does not exist"
	assert_nothing_left
}

@test "pause: a stopped container cannot be paused, a running one cannot be resumed" {
	requires root
	start_container
	run --separate-stderr box resume "$CID"
	assert_box_error "$CID"
	assert_equal "$(state_field "$CID" status)" running
	box kill "$CID" KILL
	wait_for_status "$CID" stopped
	run --separate-stderr box pause "$CID"
	assert_box_error "cannot pause container \"$CID\": it is stopped"
	assert_equal "$(state_field "$CID" status)" stopped
	run --separate-stderr box pause "nosuch-$CID"
	assert_box_error "container \"nosuch-$CID\" does not exist"
	run --separate-stderr box resume "nosuch-$CID"
	assert_box_error "container \"nosuch-$CID\" does not exist"
}

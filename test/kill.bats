#!/usr/bin/env bats
# box kill: signals are observed from inside the container. The container
# writes to files at the top of its (writable) rootfs, which the host reads
# under $BUNDLE/rootfs.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

# Container init that records which of several signals it got in /sig and
# exits 0. It has handlers, so even as pid 1 of a pid namespace it receives
# catchable signals.
run_signal_catcher() {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'for s in HUP INT USR1 USR2 TERM; do trap "echo $s > /sig; exit 0" $s; done
echo ready > /ready
while true; do sleep 0.1; done'
	start_container
	wait_for_file "$BUNDLE/rootfs/ready"
}

# assert_caught SIGNAME: the container saw SIGNAME and then stopped.
assert_caught() {
	wait_for_text "$BUNDLE/rootfs/sig"
	assert_equal "$(cat "$BUNDLE/rootfs/sig")" "$1"
	wait_for_status "$CID" stopped
}

@test "kill without a signal sends SIGTERM" {
	run_signal_catcher
	run box kill "$CID"
	assert_success
	assert_caught TERM
}

@test "kill USR1 by name is delivered to the container init" {
	run_signal_catcher
	run box kill "$CID" USR1
	assert_success
	assert_caught USR1
}

@test "kill SIGUSR2 by name with SIG prefix" {
	run_signal_catcher
	run box kill "$CID" SIGUSR2
	assert_success
	assert_caught USR2
}

@test "kill 10 by number (SIGUSR1)" {
	run_signal_catcher
	run box kill "$CID" 10
	assert_success
	assert_caught USR1
}

@test "kill hup in lowercase" {
	run_signal_catcher
	run box kill "$CID" hup
	assert_success
	assert_caught HUP
}

# SIGKILL cannot be caught: observe that init is gone and the container
# stopped.
assert_killed_with() {
	start_container
	local pid
	pid="$(container_pid "$CID")"
	run box kill "$CID" "$1"
	assert_success
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
}

@test "kill KILL stops the container" {
	assert_killed_with KILL
}

@test "kill SIGKILL stops the container" {
	assert_killed_with SIGKILL
}

@test "kill 9 stops the container" {
	assert_killed_with 9
}

@test "kill sigkill (lowercase) stops the container" {
	assert_killed_with sigkill
}

# init and two children each record a TERM in a file.
start_family() {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'trap "echo init >> /init-got" TERM
child() { trap "echo child >> /children-got; exit 0" TERM; echo up >> /children-up; while true; do sleep 0.1; done; }
child & child &
echo ready > /ready
while true; do sleep 0.1; done'
	start_container
	wait_for_file "$BUNDLE/rootfs/ready"
	retry 5 file_has_lines "$BUNDLE/rootfs/children-up" 2 ||
		fail "the container's two children did not start"
}

@test "kill --all signals every process in the container" {
	start_family
	run box kill --all "$CID" TERM
	assert_success
	retry 5 file_has_lines "$BUNDLE/rootfs/children-got" 2 ||
		fail "children got TERM: $(cat "$BUNDLE/rootfs/children-got" 2>/dev/null || echo none)"
	wait_for_file "$BUNDLE/rootfs/init-got"
	# init survives (it only records the signal)
	assert_equal "$(state_field "$CID" status)" running
}

@test "kill -a KILL leaves no process of the container" {
	start_family
	run box kill -a "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	retry 10 _no_stray_pids || fail "processes left: $(stray_pids)"
}

@test "kill without --all signals only init" {
	start_family
	run box kill "$CID" TERM
	assert_success
	wait_for_file "$BUNDLE/rootfs/init-got"
	sleep 0.3
	assert_file_not_exists "$BUNDLE/rootfs/children-got"
}

@test "kill with an unknown signal fails and the container keeps running" {
	start_container
	local pid
	pid="$(container_pid "$CID")"
	run --separate-stderr box kill "$CID" FOO
	assert_box_error 'unknown signal "FOO"'
	assert_equal "$(state_field "$CID" status)" running
	pid_alive "$pid" || fail "init died"
}

@test "kill of a stopped container fails" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	run --separate-stderr box kill "$CID" KILL
	assert_box_error "cannot kill container \"$CID\": it is stopped"
}

@test "kill ID 0 checks that the init is alive, as runc" {
	start_container
	run --separate-stderr box kill "$CID" 0
	assert_success
	assert_equal "$output$stderr" ""
	assert_equal "$(state_field "$CID" status)" running
	box kill "$CID" KILL
	wait_for_status "$CID" stopped
	run --separate-stderr box kill "$CID" 0
	assert_box_error "it is stopped"
}

@test "kill takes signals by number and by name with or without SIG, any case, as runc" {
	start_container
	local sig
	for sig in 10 USR1 SIGUSR1 usr1 sigusr1 SigUsr1 0; do
		run --separate-stderr box kill "$CID" "$sig"
		assert_success
	done
	if command -v runc >/dev/null && ! is_rootless; then
		local rroot="$BATS_TEST_TMPDIR/runc"
		(cd "$BUNDLE" && runc --root "$rroot" run -d "$CID-runc" </dev/null >/dev/null 2>&1) || fail "runc run failed"
		for sig in 10 USR1 SIGUSR1 usr1 sigusr1 SigUsr1 0; do
			runc --root "$rroot" kill "$CID-runc" "$sig" || fail "runc kill $sig failed"
		done
		runc --root "$rroot" delete --force "$CID-runc"
	fi
	assert_equal "$(state_field "$CID" status)" running
}

@test "kill of a created container delivers the signal to init" {
	create_container
	local pid
	pid="$(container_pid "$CID")"
	run box kill "$CID" KILL
	assert_success
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
}

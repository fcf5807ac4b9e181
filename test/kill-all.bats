#!/usr/bin/env bats
# box kill --all (additions to kill.bats): every process of the container is
# signalled, including processes added with exec, in new sessions or
# re-parented to init; signals to paused containers. Processes record the
# signals they trap in files at the top of the rootfs.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

# catcher NAME [stay]: a shell loop that appends NAME to /got-USR1 or
# /got-TERM when it traps that signal, and exits on TERM (unless "stay": an
# init that exits would take the others with it before they record theirs).
# Appends NAME to /up once its handlers are set.
# The one that stays waits in the shell's own `read` on a fifo rather than in
# a `sleep` child, so that after TERM it is exactly one process: a count of
# the container's processes then has one right answer at every instant.
catcher() {
	local name="$1" on_term="exit 0" prepare="" idle="while true; do sleep 0.1; done"
	if [[ "${2:-}" == stay ]]; then
		on_term=":"
		# (the fifo is made before /up: a signal must not find mkfifo running)
		prepare="mkfifo /idle-$name; exec 3<>/idle-$name; "
		idle="while true; do read -t 1 x <&3; done"
	fi
	printf '%s' "trap 'echo $name >> /got-USR1' USR1; trap 'echo $name >> /got-TERM; $on_term' TERM; ${prepare}echo $name >> /up; $idle"
}

# up_count: processes that have set their handlers.
up_count() {
	wc -l <"$BUNDLE/rootfs/up" 2>/dev/null || echo 0
}

_up_at_least() {
	(($(up_count) >= $1))
}

wait_up() {
	retry 5 _up_at_least "$1" || fail "only $(up_count) of $1 processes came up: $(cat "$BUNDLE/rootfs/up" 2>/dev/null)"
}

# got SIGNAL: sorted names of the processes that recorded SIGNAL.
got() {
	sort "$BUNDLE/rootfs/got-$1" 2>/dev/null | tr '\n' ' '
}

_got_is() {
	[[ "$(got "$1")" == "$2" ]]
}

# wait_got SIGNAL NAMES: waits until exactly NAMES (sorted, each followed by a
# space) recorded SIGNAL.
wait_got() {
	retry 5 _got_is "$1" "$2" || fail "expected got $1: '$2', got '$(got "$1")'"
}

_procs_are() {
	[[ "$(stray_pids | wc -l)" == "$1" ]]
}

# Container with init, a child, a process in its own session and a
# double-forked daemon re-parented to init, all trapping signals.
start_crowd() {
	set_args sh -c "( $(catcher child) ) &
setsid sh -c \"$(catcher session)\" &
( ( $(catcher daemon) ) & ) &
$(catcher init stay)"
	start_container
	wait_up 4
}

@test "kill --all TERM: init, a child, a new session and a re-parented daemon all trap it" {
	start_crowd
	run box kill --all "$CID" TERM
	assert_success
	wait_got TERM "child daemon init session "
	# the others exited; init stays
	retry 5 _procs_are 1 || fail "processes left: $(stray_pids)"
	assert_equal "$(state_field "$CID" status)" running
}

@test "kill --all USR1: every process traps it and the container keeps running" {
	start_crowd
	run box kill -a "$CID" USR1
	assert_success
	wait_got USR1 "child daemon init session "
	assert_equal "$(state_field "$CID" status)" running
	# each got it exactly once
	assert_equal "$(wc -l <"$BUNDLE/rootfs/got-USR1")" 4
}

@test "kill --all reaches processes started with exec" {
	set_args sh -c "$(catcher init stay)"
	start_container
	wait_up 1
	local n
	for n in 1 2; do
		box exec -d "$CID" sh -c "$(catcher "exec$n")" || fail "exec $n failed"
	done
	wait_up 3
	run box kill --all "$CID" USR1
	assert_success
	wait_got USR1 "exec1 exec2 init "
}

@test "kill without --all does not reach processes started with exec" {
	set_args sh -c "$(catcher init stay)"
	start_container
	wait_up 1
	box exec -d "$CID" sh -c "$(catcher exec1)" || fail "exec failed"
	wait_up 2
	run box kill "$CID" USR1
	assert_success
	wait_got USR1 "init "
	sleep 0.3
	assert_equal "$(got USR1)" "init "
}

@test "kill --all KILL: no process of the container is left, delete cleans up" {
	start_crowd
	box exec -d "$CID" sleep 1000 || fail "exec failed"
	run box kill --all "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	retry 10 _no_stray_pids || fail "processes left: $(stray_pids)"
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "kill --all of a created container signals its init" {
	create_container
	local pid
	pid="$(container_pid "$CID")"
	run box kill --all "$CID" KILL
	assert_success
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "kill --all of a stopped container succeeds quietly, as runc" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	run --separate-stderr box kill --all "$CID" KILL
	assert_success
	assert_equal "$output$stderr" ""
	if command -v runc >/dev/null && ! is_rootless; then
		local rroot="$BATS_TEST_TMPDIR/runc"
		(cd "$BUNDLE" && runc --root "$rroot" run -d "$CID-runc" </dev/null >/dev/null 2>&1) || fail "runc run failed"
		retry 10 bash -c '[[ "$(runc --root "$1" state "$2" | jq -r .status)" == stopped ]]' _ "$rroot" "$CID-runc"
		run --separate-stderr runc --root "$rroot" kill --all "$CID-runc" KILL
		local runc_status="$status"
		runc --root "$rroot" delete "$CID-runc"
		assert_equal "$runc_status" 0
	fi
}

@test "kill --all with an unknown signal fails and signals nobody" {
	start_crowd
	run --separate-stderr box kill --all "$CID" NOSUCHSIG
	assert_box_error 'unknown signal "NOSUCHSIG"'
	sleep 0.2
	assert_equal "$(got USR1)$(got TERM)" ""
	assert_equal "$(state_field "$CID" status)" running
}

@test "kill --all of an unknown container names it" {
	run --separate-stderr box kill --all no-such-container KILL
	assert_box_error 'container "no-such-container" does not exist'
}

# ---------------------------------------------------------------------------
# Paused containers (pause needs a cgroup: root)
# ---------------------------------------------------------------------------

@test "kill KILL of a paused container stops it" {
	requires root
	start_container
	local pid
	pid="$(container_pid "$CID")"
	box pause "$CID" || fail "pause failed"
	wait_for_status "$CID" paused
	run box kill "$CID" KILL
	assert_success
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "kill --all KILL of a paused container leaves no process" {
	requires root
	start_crowd
	box pause "$CID" || fail "pause failed"
	wait_for_status "$CID" paused
	run box kill --all "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	retry 10 _no_stray_pids || fail "processes left: $(stray_pids)"
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "kill --all USR1 of a paused container is handled once it resumes" {
	requires root
	start_crowd
	box pause "$CID" || fail "pause failed"
	wait_for_status "$CID" paused
	run box kill --all "$CID" USR1
	assert_success
	sleep 0.3
	assert_equal "$(got USR1)" ""
	box resume "$CID" || fail "resume failed"
	wait_got USR1 "child daemon init session "
	assert_equal "$(state_field "$CID" status)" running
}

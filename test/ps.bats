#!/usr/bin/env bats
# box ps [--format table|json] ID [-- ps options] (issue 5): the processes of
# a container, found through its cgroup; pids are host pids.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

# Starts the container (init: sleep 1000) and an exec'd `sleep 1001`;
# sets INIT_PID and EXEC_PID (host pids).
start_with_exec() {
	start_container
	INIT_PID="$(container_pid "$CID")"
	box exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" sleep 1001 ||
		fail "box exec --detach failed"
	wait_for_file "$BATS_TEST_TMPDIR/exec.pid"
	EXEC_PID="$(cat "$BATS_TEST_TMPDIR/exec.pid")"
	pid_alive "$EXEC_PID" || fail "exec'd process $EXEC_PID is not running"
}

@test "ps --format json lists the init pid and an exec'd process's pid" {
	requires root
	start_with_exec
	run --separate-stderr box ps --format json "$CID"
	assert_success
	run jq -c 'sort' <<<"$output"
	assert_success
	assert_output "$(jq -cn --argjson a "$INIT_PID" --argjson b "$EXEC_PID" '[$a, $b] | sort')"
	# -f is --format
	run --separate-stderr box ps -f json "$CID"
	assert_success
	assert_equal "$(jq -r 'length' <<<"$output")" 2
}

@test "ps --format json of a container with only init is a one-element array" {
	requires root
	start_container
	run --separate-stderr box ps --format json "$CID"
	assert_success
	assert_output "[$(container_pid "$CID")]"
}

@test "ps table output has the ps header and only the container's rows" {
	requires root
	start_with_exec
	run --separate-stderr box ps "$CID"
	assert_success
	assert_equal "${#lines[@]}" 3
	# header of `ps -ef`
	assert_line --index 0 --regexp '^UID +PID +PPID .*CMD$'
	# one row per container process, matched by the PID column
	local pids
	pids="$(awk 'NR > 1 { print $2 }' <<<"$output" | sort -n | tr '\n' ' ')"
	assert_equal "$pids" "$(printf '%s\n' "$INIT_PID" "$EXEC_PID" | sort -n | tr '\n' ' ')"
	assert_output --regexp "sleep 1000"
	assert_output --regexp "sleep 1001"
	# nothing of the host (this test's shell) or box itself
	refute_output --regexp "bats|box "
	# --format table is the default
	run --separate-stderr box ps --format table "$CID"
	assert_success
	assert_equal "${#lines[@]}" 3
}

@test "ps options after -- are passed to ps, rows still filtered to the container" {
	requires root
	start_with_exec
	# -e: the options replace runc's default -ef, and ps without -e selects
	# only processes on the caller's terminal (none of the container's when
	# the suite runs at a terminal; runc ps behaves the same)
	run --separate-stderr box ps "$CID" -- -e -o pid,args
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp '^ *PID +COMMAND$'
	assert_line --regexp "^ *$INIT_PID +sleep 1000$"
	assert_line --regexp "^ *$EXEC_PID +sleep 1001$"
	# PID need not be the first column (as with runc, columns before it
	# must be single words)
	run --separate-stderr box ps "$CID" -- -e -o comm,pid
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp '^COMMAND +PID$'
	assert_line --regexp "^sleep +$INIT_PID$"
	assert_line --regexp "^sleep +$EXEC_PID$"
}

@test "ps: bad input is a clear error" {
	run --separate-stderr box ps "nosuch-$CID"
	assert_box_error "container \"nosuch-$CID\" does not exist"
	run --separate-stderr box ps --format yaml "nosuch-$CID"
	assert_box_error -2 "yaml"
	run --separate-stderr box ps
	assert_box_error -2 "container id"
	assert_nothing_left
}

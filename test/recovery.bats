#!/usr/bin/env bats
# Detach and recovery: every box command is a fresh process that finds the
# container from its state directory alone; containers whose init or whose
# creating `box create` was killed from outside are reported and cleaned up.

load helpers

setup() {
	box_setup
	setup_bundle
	HOOK_PIDS=()
}

teardown() {
	# sleeping hooks of a killed `box create` run in the host namespaces
	local p
	for p in "${HOOK_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	box_teardown
}

# box_processes: pids of box processes working on this test's state dir
# (whatever their command line after it, including containers' inits that
# have not exec'd yet).
box_processes() {
	local pid
	for pid in /proc/[0-9]*; do
		pid="${pid#/proc/}"
		[[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
		if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--root $BOX_ROOT "; then
			echo "$pid"
		fi
	done
}

_no_box_processes() {
	[[ -z "$(box_processes)" ]]
}

@test "recovery: after run -d the CLI exits; fresh box processes state, exec, kill and delete" {
	run box run -d --bundle "$BUNDLE" "$CID"
	assert_success
	retry 5 _no_box_processes || fail "box processes still around after run -d: $(box_processes)"

	local pid
	pid="$(container_pid "$CID")"
	pid_alive "$pid" || fail "init $pid is not alive"
	assert_equal "$(state_field "$CID" status)" running

	run --separate-stderr box exec "$CID" sh -c 'echo out; echo err >&2; exit 9'
	assert_equal "$status" 9
	assert_output out
	assert_equal "$stderr" err

	run box list --quiet
	assert_output "$CID"

	run box kill "$CID" KILL
	assert_success
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "recovery: 30 short execs in a row into a run -d container lose no output" {
	run box run -d --bundle "$BUNDLE" "$CID"
	assert_success
	local i got rc want="" all=""
	for i in $(seq 1 30); do
		got="$(box exec "$CID" sh -c "seq 1 $i | tr '\n' ' '; exit $((i % 3))")" && rc=0 || rc=$?
		assert_equal "exec $i: $rc" "exec $i: $((i % 3))"
		all+="$got|"
		want+="$(seq 1 "$i" | tr '\n' ' ')|"
	done
	assert_equal "$all" "$want"
}

@test "recovery: init killed with kill -9: state says stopped and delete cleans up" {
	run box run -d --bundle "$BUNDLE" "$CID"
	assert_success
	box exec -d "$CID" sleep 1000 || fail "exec failed"
	local pid
	pid="$(container_pid "$CID")"
	kill -9 "$pid"
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
	assert_equal "$(state_field "$CID" pid)" 0
	run box list --format json
	assert_success
	assert_equal "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .status' <<<"$output")" stopped

	run --separate-stderr box exec "$CID" true
	assert_box_error -255 "it is stopped"
	run --separate-stderr box kill "$CID" TERM
	assert_box_error "it is stopped"

	# a stopped container needs no --force
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "recovery: init of a created container killed with kill -9: state stopped, delete cleans up" {
	create_container
	local pid
	pid="$(container_pid "$CID")"
	kill -9 "$pid"
	wait_for_pid_gone "$pid"
	wait_for_status "$CID" stopped
	run --separate-stderr box start "$CID"
	assert_box_error "cannot start container"
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "recovery: foreground run killed with kill -9: the container lives on and can be deleted" {
	set_args sh -c 'echo ready > /ready; exec sleep 1000'
	record_ids run "$CID"
	"$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 3>&- &
	local bpid=$!
	wait_for_file "$BUNDLE/rootfs/ready"
	kill -9 "$bpid"
	wait "$bpid" || true
	local pid
	pid="$(container_pid "$CID")"
	pid_alive "$pid" || fail "init $pid died with its box run"
	assert_equal "$(state_field "$CID" status)" running
	run box exec "$CID" echo still here
	assert_output "still here"
	run box delete --force "$CID"
	assert_success
	assert_nothing_left
}

# kill_create_in_hook KIND: `box create` with a KIND hook that records its pid
# and sleeps; SIGKILLs box create once the hook runs.
kill_create_in_hook() {
	local kind="$1" hook="$BATS_TEST_TMPDIR/sleepy-hook"
	# the hook's host pid: a createContainer hook runs in the container's pid
	# namespace (so $$ is not it) but still sees the host's /proc
	printf '#!/bin/sh\nread -r stat </proc/self/stat\necho "${stat%%%% *}" > "%s"\nexec sleep 1000\n' \
		"$BATS_TEST_TMPDIR/hook.pid" >"$hook"
	chmod 0755 "$hook"
	update_config ".hooks.$kind = [{\"path\": \"$hook\"}]"
	record_ids create "$CID"
	"$BOX_BIN" --root "$BOX_ROOT" create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 3>&- &
	local bpid=$!
	wait_for_text "$BATS_TEST_TMPDIR/hook.pid"
	local hook_pid
	hook_pid="$(cat "$BATS_TEST_TMPDIR/hook.pid")"
	HOOK_PIDS+=("$hook_pid")
	retry 5 grep -q sleep "/proc/$hook_pid/cmdline" || fail "hook pid $hook_pid is not the hook's sleep"
	assert_dir_exists "$BOX_ROOT/$CID"
	kill -9 "$bpid"
	wait "$bpid" || true
}

# assert_recovers: list and state still work, delete --force removes
# everything the killed create left.
assert_recovers() {
	run box list
	assert_success
	assert_line --partial "$CID"
	run box list --format json
	assert_success
	jq -e --arg id "$CID" 'map(select(.id == $id)) | length == 1' <<<"$output" >/dev/null ||
		fail "list --format json: $output"
	run box state "$CID"
	assert_success
	run box delete --force "$CID"
	assert_success
	run box list --quiet
	assert_output ""
	assert_nothing_left
}

@test "recovery: box create SIGKILLed in a createRuntime hook: list works, delete --force cleans up" {
	kill_create_in_hook createRuntime
	assert_recovers
}

@test "recovery: box create SIGKILLed in a createContainer hook: list works, delete --force cleans up" {
	kill_create_in_hook createContainer
	assert_recovers
	# the container's init ran the hook: it must be gone with everything else
	local p
	for p in "${HOOK_PIDS[@]}"; do
		wait_for_pid_gone "$p"
	done
}

@test "recovery: box create SIGKILLed at various points: delete --force always cleans up" {
	local delay i=0
	for delay in 0.001 0.002 0.003 0.004 0.006 0.008 0.012 0.02 0.04 0.08; do
		i=$((i + 1))
		local id="$CID-$i"
		record_ids create "$id"
		"$BOX_BIN" --root "$BOX_ROOT" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&- &
		local bpid=$!
		sleep "$delay"
		kill -9 "$bpid" 2>/dev/null || true
		wait "$bpid" || true
		run box list
		assert_success
		if [[ -d "$BOX_ROOT/$id" ]]; then
			run box delete --force "$id"
			assert_success
		fi
		assert_dir_not_exists "$BOX_ROOT/$id"
	done
	assert_nothing_left
}

@test "recovery: a state directory without state.json does not break list; delete --force removes it" {
	mkdir -p "$BOX_ROOT/$CID"
	run box list
	assert_success
	run box list --format json
	assert_success
	jq -e . <<<"$output" >/dev/null || fail "not JSON: $output"
	run box delete --force "$CID"
	assert_success
	assert_dir_not_exists "$BOX_ROOT/$CID"
}

#!/usr/bin/env bats
# box events (issue 5): --stats prints one JSON stats line; without it a
# stream of stats every --interval plus {"type":"oom"} when the OOM killer
# kills in the container, ending when the container stops.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

# jq filter: a valid stats event of container $id (no pids limit: runc leaves
# it out)
# shellcheck disable=SC2016 # jq variables
STATS_OK='.type == "stats" and .id == $id
	and (.data.cpu.usage.total | type == "number")
	and (.data.memory.usage | (.usage, .limit, .max, .failcnt) | type == "number")
	and (.data.pids.current | type == "number")
	and (.data.pids | (has("limit") | not) or (.limit | type == "number"))
	and (.data.blkio | type == "object")'

@test "events --stats prints one valid JSON stats line" {
	requires root cgroup_controller=memory cgroup_controller=pids
	update_config '.linux.resources += { memory: { limit: 67108864 }, pids: { limit: 10 } }'
	# some CPU time, then one process
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; echo > /ready; exec sleep 1000'
	start_container
	wait_for_file "$BUNDLE/rootfs/ready"
	run --separate-stderr box events --stats "$CID"
	assert_success
	# shellcheck disable=SC2154 # set by run --separate-stderr
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	local stats="$output"
	run jq -e --arg id "$CID" "$STATS_OK" <<<"$stats"
	assert_success
	# the values are the container's
	run jq -e '.data.cpu.usage.total > 0' <<<"$stats"
	assert_success
	run jq -e '.data.memory.usage | .usage > 0 and .max >= .usage and .limit == 67108864 and .failcnt >= 0' <<<"$stats"
	assert_success
	run jq -e '.data.pids == { current: 1, limit: 10 }' <<<"$stats"
	assert_success
}

@test "events --interval 200ms streams stats lines and ends when the container is killed" {
	requires root
	start_container
	local ev="$BATS_TEST_TMPDIR/events.out"
	box_bg "$ev" events --interval 200ms "$CID"
	local evpid=$BOX_BG_PID
	retry 10 file_has_lines "$ev" 2 || fail "fewer than 2 lines from events in 10s: $(cat "$ev")"
	pid_alive "$evpid" || fail "events exited while the container runs: $(cat "$ev")"
	box kill "$CID" KILL
	retry 5 _pid_gone "$evpid" || fail "events did not end within 5s of the container stopping"
	local rc=0
	wait "$evpid" || rc=$?
	assert_equal "$rc" 0
	# every line is a stats event of this container
	run jq -e -s --arg id "$CID" "length >= 2 and all($STATS_OK)" "$ev"
	assert_success
}

@test "events reports an oom event when the OOM killer kills in the container" {
	requires root cgroup_controller=memory
	start_oom_container
	local ev="$BATS_TEST_TMPDIR/events.out"
	# (the stream must outlive the 30 s the OOM kill may take)
	BOX_CMD_TIMEOUT=50 box_bg "$ev" events --interval 200ms "$CID"
	local evpid=$BOX_BG_PID
	retry 10 file_has_lines "$ev" 1 || fail "no stats from events: $(cat "$ev")"
	run grep -c '"oom"' "$ev"
	assert_output 0
	touch "$BUNDLE/rootfs/go"
	wait_for_text "$BUNDLE/rootfs/rc" 30
	assert_equal "$(cat "$BUNDLE/rootfs/rc")" 137
	retry 5 grep -q '"oom"' "$ev" || fail "no oom event: $(cat "$ev")"
	# the stats saw the limit being hit
	run --separate-stderr box events --stats "$CID"
	assert_success
	run jq -e '.data.memory.usage | .limit == 33554432 and .max > 30000000' <<<"$output"
	assert_success
	box kill "$CID" KILL
	retry 5 _pid_gone "$evpid" || fail "events did not end after the container stopped"
	wait "$evpid" || true
	# exactly one oom event, {"type":"oom","id":ID}; the rest are stats
	run jq -c --arg id "$CID" 'select(.type != "stats")' "$ev"
	assert_success
	assert_equal "${#lines[@]}" 1
	run jq -e --arg id "$CID" '. == { type: "oom", id: $id } and keys_unsorted == ["type", "id"]' <<<"${lines[0]}"
	assert_success
}

@test "events: bad input is a clear error" {
	run --separate-stderr box events --stats "nosuch-$CID"
	assert_box_error "container \"nosuch-$CID\" does not exist"
	run --separate-stderr box events "nosuch-$CID"
	assert_box_error "container \"nosuch-$CID\" does not exist"
	run --separate-stderr box events --interval soon "nosuch-$CID"
	assert_box_error -2 "--interval"
	run --separate-stderr box events --interval 0s "nosuch-$CID"
	assert_box_error -2 "--interval"
	run --separate-stderr box events
	assert_box_error -2 "container id"
	assert_nothing_left
}

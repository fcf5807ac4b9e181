#!/usr/bin/env bats
# process.oomScoreAdj

load helpers

setup() {
	box_setup
	setup_bundle
	setup_checker
}

teardown() {
	box_teardown
}

# has_sys_resource: this shell may lower an oom_score_adj (CAP_SYS_RESOURCE,
# which only counts in the initial user namespace).
has_sys_resource() {
	local eff
	eff="$(awk '/^CapEff:/ {print $2}' /proc/self/status)"
	! is_rootless && (((16#$eff >> 24) & 1))
}

@test "oom: oomScoreAdj 100 holds" {
	update_config '.process.oomScoreAdj = 100'
	run_checker
}

@test "oom: the upper bound 1000 holds" {
	update_config '.process.oomScoreAdj = 1000'
	run_checker
}

@test "oom: the lower bound -1000 holds" {
	has_sys_resource || skip "lowering oom_score_adj needs CAP_SYS_RESOURCE"
	update_config '.process.oomScoreAdj = -1000'
	run_checker
}

@test "oom: the container's value does not change the caller's" {
	local before
	before="$(cat /proc/self/oom_score_adj)"
	update_config '.process.oomScoreAdj = 500'
	set_args cat /proc/self/oom_score_adj
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output 500
	assert_equal "$(cat /proc/self/oom_score_adj)" "$before"
}

# Raises this (sub)shell's own value, which needs no privilege, then runs the container.
run_with_oom_42() {
	echo 42 >/proc/self/oom_score_adj
	box run --bundle "$BUNDLE" "$CID"
}

@test "oom: without oomScoreAdj the container keeps the caller's value" {
	update_config 'del(.process.oomScoreAdj)'
	set_args cat /proc/self/oom_score_adj
	# bats runs it in a subshell: this shell's own value stays as it was
	run run_with_oom_42
	assert_success
	assert_output 42
}

@test "oom: a process started with exec gets the spec's oomScoreAdj (as runc)" {
	update_config '.process.oomScoreAdj = 300'
	set_args sleep 1000
	start_container
	run box exec "$CID" cat /proc/self/oom_score_adj
	assert_success
	assert_output 300
}

@test "oom: a value out of [-1000, 1000] is refused" {
	local v
	for v in 1001 -1001 100000; do
		update_config ".process.oomScoreAdj = $v"
		run --separate-stderr box create --bundle "$BUNDLE" "$CID"
		assert_box_error "config.json: process.oomScoreAdj: must be between -1000 and 1000, got $v"
		assert_nothing_left
	done
}

@test "oom: a value that is not an integer is refused" {
	update_config '.process.oomScoreAdj = "high"'
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "process.oomScoreAdj"
	assert_nothing_left
}

#!/usr/bin/env bats
# process.rlimits. Hard limits stay at or below the host's (nofile hard
# limit is 20000 on the CI host) so the tests also work rootless.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "RLIMIT_NOFILE soft 1024 / hard 2048 as seen by ulimit" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 2048}]'
	set_args sh -c 'ulimit -n; ulimit -Hn'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 1024
	assert_line --index 1 2048
}

@test "RLIMIT_NOFILE equal to the host's hard limit" {
	local hard
	hard="$(ulimit -Hn)"
	[[ "$hard" != unlimited ]] || skip "host nofile hard limit is unlimited"
	update_config ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": $hard, \"hard\": $hard}]"
	set_args sh -c 'ulimit -n; ulimit -Hn'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 "$hard"
	assert_line --index 1 "$hard"
}

@test "the soft limit is enforced: opening more files than allowed fails" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 8, "hard": 8}]'
	# fds 0-2 are open; 3..7 fit, 8 and 9 do not
	set_args sh -c 'exec 7</dev/null && echo fd7-ok; (exec 9</dev/null) 2>/dev/null && echo fd9-ok || echo fd9-denied'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 fd7-ok
	assert_line --index 1 fd9-denied
}

@test "several rlimits at once (NOFILE, CORE, NPROC)" {
	update_config '.process.rlimits = [
		{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
		{"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}
	]'
	set_args sh -c 'ulimit -n; ulimit -c; ulimit -u; ulimit -Hu'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 512
	assert_line --index 1 0
	assert_line --index 2 300
	assert_line --index 3 400
}

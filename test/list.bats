#!/usr/bin/env bats
# box list

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "list with no containers prints only the table header" {
	run box list
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp '^ID +PID +STATUS +BUNDLE +CREATED +OWNER *$'
}

@test "list --format json with no containers prints []" {
	run box list --format json
	assert_success
	run jq -c . <<<"$output"
	assert_success
	assert_output '[]'
}

@test "list --quiet with no containers prints nothing" {
	run box list --quiet
	assert_success
	assert_output ""
}

@test "list shows one row per container with id, pid, status and bundle" {
	create_container "$CID-a"
	start_container "$CID-b"
	local pid_a pid_b
	pid_a="$(container_pid "$CID-a")"
	pid_b="$(container_pid "$CID-b")"

	run box list
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp '^ID +PID +STATUS +BUNDLE +CREATED +OWNER *$'
	local abs_bundle
	abs_bundle="$(realpath "$BUNDLE")"
	# columns are separated by blanks; none of the values contains one
	run awk -v id="$CID-a" '$1 == id { print $2, $3, $4 }' <<<"$output"
	assert_output "$pid_a created $abs_bundle"
	run box list
	run awk -v id="$CID-b" '$1 == id { print $2, $3, $4 }' <<<"$output"
	assert_output "$pid_b running $abs_bundle"
}

@test "list shows a stopped container with pid 0" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	run box list
	assert_success
	run awk -v id="$CID" '$1 == id { print $2, $3 }' <<<"$output"
	assert_output "0 stopped"
}

@test "list --format json is an array of state objects" {
	create_container "$CID-a"
	start_container "$CID-b"
	run box list --format json
	assert_success
	local json="$output"
	run jq -r 'length' <<<"$json"
	assert_output 2
	run jq -r --arg id "$CID-a" '.[] | select(.id == $id) | [.status, (.pid|tostring), .bundle] | join(" ")' <<<"$json"
	assert_output "created $(container_pid "$CID-a") $(realpath "$BUNDLE")"
	run jq -r --arg id "$CID-b" '.[] | select(.id == $id) | .status' <<<"$json"
	assert_output running
	run jq -r '.[0] | has("ociVersion") and has("created") and has("rootfs")' <<<"$json"
	assert_output true
}

@test "list -f json short option" {
	create_container
	run box list -f json
	assert_success
	run jq -r '.[].id' <<<"$output"
	assert_output "$CID"
}

@test "list --quiet prints only the ids" {
	create_container "$CID-a"
	create_container "$CID-b"
	run box list --quiet
	assert_success
	run sort <<<"$output"
	assert_output "$(printf '%s\n%s' "$CID-a" "$CID-b")"
	run box list -q
	assert_equal "${#lines[@]}" 2
}

@test "list does not show deleted containers" {
	create_container "$CID-a"
	create_container "$CID-b"
	box delete "$CID-a"
	run box list --quiet
	assert_success
	assert_output "$CID-b"
}

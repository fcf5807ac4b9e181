#!/usr/bin/env bats
# box features

load helpers

setup() {
	box_setup
}

teardown() {
	box_teardown
}

@test "features prints valid JSON" {
	run box features
	assert_success
	run jq -e 'type == "object"' <<<"$output"
	assert_success
}

@test "features has ociVersionMin and ociVersionMax" {
	run box features
	assert_success
	local json="$output"
	run jq -r '.ociVersionMin' <<<"$json"
	assert_output --regexp '^1\.[0-9]+\.[0-9]+'
	run jq -r '.ociVersionMax' <<<"$json"
	assert_output --regexp '^1\.[0-9]+\.[0-9]+'
}

@test "features lists the namespaces, including pid and mount" {
	run box features
	assert_success
	run jq -r '.linux.namespaces[]' <<<"$output"
	assert_line pid
	assert_line mount
	assert_line network
	assert_line uts
	assert_line ipc
}

@test "features lists the mount options, including ro, bind and nosuid" {
	run box features
	assert_success
	run jq -r '.mountOptions[]' <<<"$output"
	assert_line ro
	assert_line rw
	assert_line bind
	assert_line rbind
	assert_line nosuid
	assert_line nodev
	assert_line noexec
}

@test "features lists the mount options runc lists, the recursive ones too" {
	requires runc
	[[ "$(runc --version | head -1)" == "runc version 1.1."* ]] || skip "requires runc 1.1 (box's contract)"
	run box features
	assert_success
	assert_equal "$(jq -c '.mountOptions | sort' <<<"$output")" "$(runc features | jq -c '.mountOptions | sort')"
}

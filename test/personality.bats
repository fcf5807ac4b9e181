#!/usr/bin/env bats
# linux.personality: the execution domain of the container's process.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "personality: LINUX32 sets the execution domain of the process" {
	update_config '.linux.personality = {domain: "LINUX32"}'
	set_args cat /proc/self/personality
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	# PER_LINUX32
	assert_output 00000008
}

@test "personality: LINUX32 makes uname report the 32-bit machine" {
	case "$(uname -m)" in
	x86_64) want=i686 ;;
	aarch64) want=armv8l ;;
	*) skip "no known 32-bit machine name for $(uname -m)" ;;
	esac
	update_config '.linux.personality = {domain: "LINUX32"}'
	set_args uname -m
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "$want"
}

@test "personality: a process started with exec gets the domain too (as runc)" {
	update_config '.linux.personality = {domain: "LINUX32"}'
	start_container
	run box exec "$CID" cat /proc/self/personality
	assert_success
	assert_output 00000008
}

@test "personality: LINUX keeps the default domain" {
	update_config '.linux.personality = {domain: "LINUX"}'
	set_args cat /proc/self/personality
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output 00000000
}

@test "personality: an unknown domain is rejected, naming it" {
	update_config '.linux.personality = {domain: "PDP11"}'
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error 'config.json: linux.personality.domain: unknown personality domain "PDP11"'
	assert_nothing_left
}

@test "timeOffsets are rejected rather than silently ignored" {
	update_config '.linux.timeOffsets = {monotonic: {secs: 10, nanosecs: 0}}'
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error 'config.json: linux.timeOffsets: not supported by box'
	assert_nothing_left
}

#!/usr/bin/env bats
# Every bad input in docs/cli-contract.md: exit status, one line on stderr
# with the contract's message, and nothing left behind.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

# create_fails MESSAGE [ID]: `box create` fails with MESSAGE and leaves
# nothing behind.
create_fails() {
	local id="${2:-$CID}"
	run --separate-stderr box create --bundle "$BUNDLE" "$id"
	assert_box_error "$1"
	assert_nothing_left
}

# --- config.json ------------------------------------------------------------

@test "invalid JSON: message names line and column" {
	cat >"$BUNDLE/config.json" <<'JSON'
{
  "ociVersion": "1.2.0",
  "process": {"args": ["sh"],, "cwd": "/"},
  "root": {"path": "rootfs"}
}
JSON
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "config.json: invalid JSON at line 3, column "
	# the offending second comma is at column 30
	# shellcheck disable=SC2154 # set by run --separate-stderr
	assert_regex "$stderr" 'at line 3, column (29|30|31): '
	assert_nothing_left
}

@test "invalid JSON: truncated file" {
	head -c 100 "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/trunc"
	mv "$BATS_TEST_TMPDIR/trunc" "$BUNDLE/config.json"
	create_fails "config.json: invalid JSON at line "
}

@test "wrong type: process.args[0] is a number" {
	update_config '.process.args = [5]'
	create_fails "config.json: process.args[0]: expected string, got number"
}

@test "wrong type: linux.namespaces[1].type is a boolean" {
	update_config '.linux.namespaces[1].type = true'
	create_fails "config.json: linux.namespaces[1].type: expected string, got boolean"
}

@test "wrong type: process is a string" {
	update_config '.process = "sh"'
	create_fails "config.json: process: expected object, got string"
}

@test "wrong type: hostname is an object" {
	update_config '.hostname = {}'
	create_fails "config.json: hostname: expected string, got object"
}

@test "missing process.args" {
	update_config 'del(.process.args)'
	create_fails "config.json: process.args: must be a non-empty array"
}

@test "empty process.args" {
	update_config '.process.args = []'
	create_fails "config.json: process.args: must be a non-empty array"
}

@test "unknown namespace type" {
	update_config '.linux.namespaces += [{"type": "foo"}]'
	local n
	n="$(jq '.linux.namespaces | length - 1' "$BUNDLE/config.json")"
	create_fails "config.json: linux.namespaces[$n].type: unknown namespace type \"foo\""
}

# --- bundle and rootfs ------------------------------------------------------

@test "rootfs missing" {
	update_config '.root.path = "no-such-rootfs"'
	create_fails "rootfs \"$(realpath "$BUNDLE")/no-such-rootfs\" does not exist"
}

@test "bundle missing" {
	run --separate-stderr box create --bundle "$BATS_TEST_TMPDIR/no-such-bundle" "$CID"
	assert_box_error "bundle \"$BATS_TEST_TMPDIR/no-such-bundle\" does not exist"
	assert_nothing_left
}

@test "config.json missing from the bundle" {
	rm "$BUNDLE/config.json"
	create_fails "config.json not found in bundle \"$(realpath "$BUNDLE")\""
}

@test "executable not found (absolute path): create fails naming it" {
	set_args /bin/no-such-program arg
	create_fails 'executable "/bin/no-such-program" not found in the container'
}

@test "executable not found (PATH lookup): run fails naming it" {
	set_args no-such-program
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_box_error 'executable "no-such-program" not found in the container'
	assert_nothing_left
}

# --- container ids ----------------------------------------------------------

@test "id empty" {
	run --separate-stderr box create --bundle "$BUNDLE" ""
	# an empty ID argument: invalid (1), or treated as a missing ID (2)
	[[ "$status" -eq 1 || "$status" -eq 2 ]] || fail "exit status $status"
	assert_box_error "-$status" 'invalid container id "": '
	assert_nothing_left
}

@test "id with a slash" {
	create_fails 'invalid container id "a/b": ' a/b
}

@test "id .." {
	create_fails 'invalid container id "..": ' ..
}

@test "id ." {
	create_fails 'invalid container id ".": ' .
}

@test "id containing .." {
	create_fails 'invalid container id "a..b": ' a..b
}

@test "id longer than 1024 characters" {
	local id
	id="$(printf 'a%.0s' {1..1025})"
	create_fails "invalid container id \"$id\": " "$id"
}

@test "id with a character outside [A-Za-z0-9_.+-]" {
	create_fails 'invalid container id "a b": ' "a b"
	create_fails 'invalid container id "a:b": ' "a:b"
}

@test "id that already exists: the first container is untouched" {
	create_container
	local pid
	pid="$(container_pid "$CID")"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "container \"$CID\" already exists"
	assert_equal "$(state_field "$CID" status)" created
	assert_equal "$(container_pid "$CID")" "$pid"
	pid_alive "$pid" || fail "the first container's init died"
	assert_equal "$(box_root_ids)" "$CID"
}

@test "id that already exists via run: the first container is untouched" {
	start_container
	local pid
	pid="$(container_pid "$CID")"
	set_args sh -c 'echo second > /second'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_box_error "container \"$CID\" already exists"
	assert_file_not_exists "$BUNDLE/rootfs/second"
	assert_equal "$(state_field "$CID" status)" running
	assert_equal "$(container_pid "$CID")" "$pid"
}

# --- wrong status -----------------------------------------------------------

@test "start on a running container" {
	start_container
	run --separate-stderr box start "$CID"
	assert_box_error "cannot start container \"$CID\": it is running, not created"
}

@test "delete of a running container without --force" {
	start_container
	run --separate-stderr box delete "$CID"
	assert_box_error "cannot delete container \"$CID\": it is running (use --force)"
	assert_equal "$(state_field "$CID" status)" running
}

@test "kill with an unknown signal" {
	start_container
	run --separate-stderr box kill "$CID" NOSUCHSIG
	assert_box_error 'unknown signal "NOSUCHSIG"'
	run --separate-stderr box kill "$CID" 99999
	assert_box_error 'unknown signal "99999"'
	assert_equal "$(state_field "$CID" status)" running
}

@test "kill of a stopped container" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	run --separate-stderr box kill "$CID"
	assert_box_error "cannot kill container \"$CID\": it is stopped"
}

# --- unknown ids ------------------------------------------------------------

@test "state of an unknown id" {
	run --separate-stderr box state nosuch
	assert_box_error 'container "nosuch" does not exist'
	assert_nothing_left
}

@test "start of an unknown id" {
	run --separate-stderr box start nosuch
	assert_box_error 'container "nosuch" does not exist'
	assert_nothing_left
}

@test "kill of an unknown id" {
	run --separate-stderr box kill nosuch KILL
	assert_box_error 'container "nosuch" does not exist'
	assert_nothing_left
}

@test "delete of an unknown id" {
	run --separate-stderr box delete nosuch
	assert_box_error 'container "nosuch" does not exist'
	assert_nothing_left
}

# --- usage errors (exit status 2) -------------------------------------------

@test "unknown flag is a usage error (exit 2)" {
	run --separate-stderr box create --no-such-flag --bundle "$BUNDLE" "$CID"
	assert_box_error -2 "no-such-flag"
	assert_nothing_left
}

@test "unknown global flag is a usage error (exit 2)" {
	run --separate-stderr box --no-such-global state "$CID"
	assert_box_error -2 "no-such-global"
}

@test "missing ID is a usage error (exit 2)" {
	local cmd
	for cmd in create start state kill delete run; do
		run --separate-stderr box "$cmd"
		assert_box_error -2 ""
	done
	assert_nothing_left
}

@test "unknown command is a usage error (exit 2)" {
	run --separate-stderr box frobnicate
	assert_box_error -2 "frobnicate"
}

# --- logging ----------------------------------------------------------------

@test "--log FILE --log-format json: the error is a JSON line with level error" {
	local log="$BATS_TEST_TMPDIR/box.log"
	run --separate-stderr box --log "$log" --log-format json state nosuch
	assert_box_error 'container "nosuch" does not exist'
	assert_file_exists "$log"
	run jq -r 'select(.level == "error") | .msg' "$log"
	assert_success
	assert_output 'container "nosuch" does not exist'
	run jq -r 'select(.level == "error") | .time' "$log"
	assert_regex "$output" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'
}

@test "--log=FILE --log-format=json: errors are appended, one JSON line each" {
	local log="$BATS_TEST_TMPDIR/box.log"
	echo '{"level":"info","msg":"earlier line"}' >"$log"
	run --separate-stderr box --log="$log" --log-format=json state nosuch1
	assert_failure
	run --separate-stderr box --log="$log" --log-format=json kill nosuch2
	assert_failure
	run jq -r '.msg' "$log"
	assert_success
	assert_line --index 0 "earlier line"
	assert_line 'container "nosuch1" does not exist'
	assert_line 'container "nosuch2" does not exist'
}

@test "--log FILE (text): the error is a logfmt line with level=error" {
	local log="$BATS_TEST_TMPDIR/box.log"
	run --separate-stderr box --log "$log" state nosuch
	assert_box_error 'container "nosuch" does not exist'
	run grep -c . "$log"
	assert_output 1
	run cat "$log"
	assert_output --regexp '^time="[^"]+" level=error msg="container \\"nosuch\\" does not exist"$'
}

#!/usr/bin/env bats
# Terminals: process.terminal with --console-socket (create/run) and
# exec --tty --console-socket. box-recvtty (built next to box) receives the pty
# master over the socket, types input into it and records the output.

load helpers

RECVTTY_BIN="${RECVTTY_BIN:-$(dirname "$BOX_BIN")/box-recvtty}"

setup() {
	box_setup
	setup_bundle
	[[ -x "$RECVTTY_BIN" ]] || fail "box-recvtty not found at $RECVTTY_BIN: run make (or set RECVTTY_BIN)"
	SOCK="$BATS_TEST_TMPDIR/console.sock"
	TTY_OUT="$BATS_TEST_TMPDIR/tty.out"
	RECVTTY_PID=""
}

teardown() {
	if [[ -n "$RECVTTY_PID" ]]; then
		kill "$RECVTTY_PID" 2>/dev/null || true
		wait "$RECVTTY_PID" 2>/dev/null || true
	fi
	box_teardown
}

# start_recvtty [RECVTTY-OPTION...]: box-recvtty in the background, listening
# on $SOCK and writing to $TTY_OUT; returns once the socket accepts.
start_recvtty() {
	"$RECVTTY_BIN" --wait-ms 15000 "$@" "$SOCK" "$TTY_OUT" </dev/null 2>"$BATS_TEST_TMPDIR/recvtty.err" 3>&- &
	RECVTTY_PID=$!
	wait_for_file "$SOCK"
}

# tty_output: waits until the terminal was closed (the process exited) and
# prints what box-recvtty read from it, without the terminal's \r.
tty_output() {
	local rc=0
	wait "$RECVTTY_PID" || rc=$?
	RECVTTY_PID=""
	if ((rc != 0)); then
		fail "box-recvtty exited with $rc: $(cat "$BATS_TEST_TMPDIR/recvtty.err")
output so far: $(cat "$TTY_OUT" 2>/dev/null)"
	fi
	tr -d '\r' <"$TTY_OUT"
}

set_terminal() {
	update_config '.process.terminal = true'
}

# ---------------------------------------------------------------------------
# run and create with a console socket
# ---------------------------------------------------------------------------

@test "tty: run --console-socket: tty inside prints a /dev/pts path of the container" {
	set_terminal
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 't=$(tty); echo "tty=$t"; [ -c "$t" ] && echo "exists-in-container"'
	start_recvtty
	run box run --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_success
	run tty_output
	assert_line --regexp '^tty=/dev/pts/[0-9]+$'
	assert_line exists-in-container
	assert_nothing_left
}

@test "tty: stdin, stdout and stderr are the terminal, and it is the controlling terminal" {
	set_terminal
	set_args sh -c 'for fd in 0 1 2; do [ -t $fd ] && echo "fd$fd is a tty"; done; echo via-dev-tty > /dev/tty; echo to-stderr >&2'
	start_recvtty
	run box run --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_success
	run tty_output
	assert_line "fd0 is a tty"
	assert_line "fd1 is a tty"
	assert_line "fd2 is a tty"
	assert_line via-dev-tty
	assert_line to-stderr
}

@test "tty: the process is a session leader owning the terminal" {
	set_terminal
	# fields 6 and 8 of /proc/self/stat: session id and foreground process group
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'read -r stat </proc/$$/stat; set -- ${stat#*) }; echo "pid=$$ session=$4 tpgid=$6"'
	start_recvtty
	run box run --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_success
	run tty_output
	assert_output --regexp '^pid=([0-9]+) session=\1 tpgid=\1$'
}

@test "tty: stty size shows process.consoleSize" {
	set_terminal
	update_config '.process.consoleSize = {"height": 37, "width": 111}'
	set_args stty size
	start_recvtty --winsize "$BATS_TEST_TMPDIR/winsize"
	run box run --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_success
	run tty_output
	assert_output "37 111"
	# the master side reports the same size
	assert_equal "$(cat "$BATS_TEST_TMPDIR/winsize")" "37 111"
}

@test "tty: input typed into the master arrives" {
	set_terminal
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'echo ready; read -r line; echo "got:[$line]"'
	start_recvtty --input $'hello tty\n' --input-after ready
	run box run --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_success
	run tty_output
	assert_line "got:[hello tty]"
}

@test "tty: ^C typed into the terminal interrupts the process" {
	set_terminal
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'trap "echo interrupted; exit 5" INT; echo ready; while true; do sleep 0.1; done'
	start_recvtty --input $'\003' --input-after ready
	run -5 box run --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	run tty_output
	# the terminal echoes ^C before the trap's output
	assert_line --regexp '^(\^C)?interrupted$'
	assert_nothing_left
}

@test "tty: run passes the exit status through" {
	set_terminal
	set_args sh -c 'echo bye; exit 6'
	start_recvtty
	run -6 box run --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	run tty_output
	assert_output bye
	assert_nothing_left
}

@test "tty: create --console-socket, then start" {
	set_terminal
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'echo "started on $(tty)"; read -r line; echo "got:[$line]"'
	start_recvtty --input $'after start\n' --input-after 'started on'
	run box create --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$(state_field "$CID" status)" created
	run box start "$CID"
	assert_success
	run tty_output
	assert_line --regexp '^started on /dev/pts/[0-9]+$'
	assert_line "got:[after start]"
	wait_for_status "$CID" stopped
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "tty: run -d --console-socket: the container keeps its terminal after run returns" {
	set_terminal
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'echo detached; read -r line; echo "got:[$line]"'
	start_recvtty --input $'to detached\n' --input-after detached
	run box run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_success
	run tty_output
	assert_line detached
	assert_line "got:[to detached]"
	wait_for_status "$CID" stopped
}

# ---------------------------------------------------------------------------
# exec --tty
# ---------------------------------------------------------------------------

@test "tty: exec --tty --console-socket: tty prints a /dev/pts path, exit status passes" {
	start_container
	start_recvtty
	# shellcheck disable=SC2016 # expanded by the container's shell
	run -3 box exec --tty --console-socket "$SOCK" "$CID" sh -c 't=$(tty); echo "tty=$t"; [ -c "$t" ] && echo exists; echo ctty > /dev/tty; exit 3'
	run tty_output
	assert_line --regexp '^tty=/dev/pts/[0-9]+$'
	assert_line exists
	assert_line ctty
}

@test "tty: exec -t: input typed into the master arrives" {
	start_container
	start_recvtty --input $'typed in exec\n' --input-after ready
	# shellcheck disable=SC2016 # expanded by the container's shell
	run box exec -t --console-socket "$SOCK" "$CID" sh -c 'echo ready; read -r line; echo "got:[$line]"'
	assert_success
	run tty_output
	assert_line "got:[typed in exec]"
}

@test "tty: exec --process with terminal and consoleSize" {
	start_container
	jq -n '{args: ["stty", "size"], env: ["PATH=/bin:/usr/bin"], cwd: "/", terminal: true,
		consoleSize: {height: 21, width: 63}}' >"$BATS_TEST_TMPDIR/process.json"
	start_recvtty
	run box exec --process "$BATS_TEST_TMPDIR/process.json" --console-socket "$SOCK" "$CID"
	assert_success
	run tty_output
	assert_output "21 63"
}

@test "tty: exec --tty gets its own terminal, not the container's" {
	set_terminal
	set_args sh -c 'tty > /init-tty; exec sleep 1000'
	start_recvtty
	run box run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_success
	wait_for_file "$BUNDLE/rootfs/init-tty"
	local sock1_pid="$RECVTTY_PID"
	SOCK="$BATS_TEST_TMPDIR/exec.sock" TTY_OUT="$BATS_TEST_TMPDIR/exec.out" start_recvtty
	run box exec -t --console-socket "$BATS_TEST_TMPDIR/exec.sock" "$CID" tty
	assert_success
	local rc=0
	wait "$RECVTTY_PID" || rc=$?
	RECVTTY_PID="$sock1_pid"
	assert_equal "$rc" 0
	local exec_tty
	exec_tty="$(tr -d '\r' <"$BATS_TEST_TMPDIR/exec.out")"
	[[ "$exec_tty" =~ ^/dev/pts/[0-9]+$ ]] || fail "exec's tty: $exec_tty"
	[[ "$exec_tty" != "$(cat "$BUNDLE/rootfs/init-tty")" ]] || fail "exec got the init's terminal $exec_tty"
}

@test "tty: exec -d -t --console-socket returns and the process runs on the terminal" {
	start_container
	start_recvtty --input $'detached input\n' --input-after ready
	# shellcheck disable=SC2016 # expanded by the container's shell
	run box exec -d -t --pid-file "$BATS_TEST_TMPDIR/pid" --console-socket "$SOCK" "$CID" sh -c 'echo ready; read -r line; echo "got:[$line]"'
	assert_success
	assert_file_exists "$BATS_TEST_TMPDIR/pid"
	run tty_output
	assert_line "got:[detached input]"
}

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

@test "tty: terminal without --console-socket is a clear error and leaves nothing" {
	set_terminal
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "process.terminal is true but no --console-socket"
	assert_nothing_left
	run --separate-stderr box run -d --bundle "$BUNDLE" "$CID"
	assert_box_error "process.terminal is true but no --console-socket"
	assert_nothing_left
}

@test "tty: a console socket path that does not exist is an error naming it" {
	set_terminal
	run --separate-stderr box create --console-socket "$BATS_TEST_TMPDIR/no-such.sock" --bundle "$BUNDLE" "$CID"
	assert_box_error "$BATS_TEST_TMPDIR/no-such.sock"
	assert_nothing_left
}

@test "tty: exec with a console socket path that does not exist is an error naming it" {
	start_container
	run --separate-stderr box exec -t --console-socket "$BATS_TEST_TMPDIR/no-such.sock" "$CID" true
	assert_box_error -255 "$BATS_TEST_TMPDIR/no-such.sock"
	assert_equal "$(stray_pids)" "$(container_pid "$CID")"
}

@test "tty: a console socket that is not a socket is an error" {
	set_terminal
	: >"$BATS_TEST_TMPDIR/plain-file"
	run --separate-stderr box create --console-socket "$BATS_TEST_TMPDIR/plain-file" --bundle "$BUNDLE" "$CID"
	assert_box_error "$BATS_TEST_TMPDIR/plain-file"
	assert_nothing_left
}

@test "tty: --console-socket without process.terminal is an error" {
	start_recvtty
	run --separate-stderr box create --console-socket "$SOCK" --bundle "$BUNDLE" "$CID"
	assert_box_error "--console-socket"
	assert_nothing_left
}

#!/usr/bin/env bats
# The foreground terminal: `run` and `exec -t` with a terminal and no
# --console-socket, as `runc run` / `runc exec -t` behave. box allocates the pty
# in the container, relays it to its own stdio and exits with the process's
# status. A real terminal comes from util-linux `script`; where runc is
# installed the same thing runs with runc and the two must show the same.

load helpers

setup() {
	box_setup
	setup_bundle
	update_config '.process.terminal = true'
	command -v script >/dev/null || fail "util-linux script is needed to give box a terminal"
	RUNC_ROOT="$BATS_TEST_TMPDIR/runc"
	OUT="$BATS_TEST_TMPDIR/box.out"
	RUNC_OUT="$BATS_TEST_TMPDIR/runc.out"
}

teardown() {
	local id f
	# a failed test shows what its terminals showed
	if [[ -z "${BATS_TEST_COMPLETED:-}" ]]; then
		for f in "$OUT" "$RUNC_OUT" "$BATS_TEST_TMPDIR/runc.log"; do
			[[ ! -s "$f" ]] || { echo "--- $f:"; cat -v "$f"; }
		done
	fi
	if [[ -d "$RUNC_ROOT" ]]; then
		for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
			runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	box_teardown
}

# box_cmdline ARGS...: the shell command line of `box ARGS...` for a terminal
# made by script (timeout --foreground keeps box in the terminal's foreground
# process group).
box_cmdline() {
	record_ids "$@"
	printf '%q ' timeout --foreground -k 5 "$BOX_CMD_TIMEOUT" "$BOX_BIN" --root "$BOX_ROOT" "$@"
}

# runc_cmdline ARGS...: the same for runc, with its state under the test's
# tmpdir; runc's own log lines go to a file (box's stay on the terminal).
runc_cmdline() {
	printf '%q ' timeout --foreground -k 5 "$BOX_CMD_TIMEOUT" runc --root "$RUNC_ROOT" "$@"
	printf '2>>%q ' "$BATS_TEST_TMPDIR/runc.log"
}

# in_pty OUTFILE COMMAND-LINE [INPUT]: runs the shell command line in a new
# terminal (script), INPUT (or nothing) typed into it; what the terminal showed
# goes to OUTFILE byte for byte, and in_pty returns the command's exit status.
# script's own stdin is never a terminal (it would put that one in raw mode).
# script runs the line with $SHELL: bash, whatever the caller has (dash, CI's
# /bin/sh, does not read the $'...' quoting printf %q makes of newlines).
in_pty() {
	local rc=0
	printf '%s' "${3-}" | SHELL=/bin/bash timeout -k 5 60 script -qfec "$2" /dev/null >"$1" || rc=$?
	return "$rc"
}

# pty_text FILE: what the terminal showed, without \r and without the "^@"
# that the container's terminal may echo when script types its end of input
# (at a moment that depends on timing, with runc as with box).
pty_text() {
	tr -d '\r' <"$1" | sed 's/\^@//g'
}

# foreground_box_pid: the pid of the one box process of this test (not the
# timeout around it).
foreground_box_pid() {
	local pid found=""
	for pid in $(box_pids_for_root); do
		[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == timeout ]] || found+="$pid "
	done
	[[ "$found" =~ ^[0-9]+\ $ ]] || fail "expected one box process, found: ${found:-none}"
	echo "${found% }"
}

# same_bytes BOX-OUT RUNC-OUT: the two terminals showed the same.
same_bytes() {
	cmp -s <(sed 's/\^@//g' "$1") <(sed 's/\^@//g' "$2") || fail "$(printf 'box showed:\n%s\nrunc showed:\n%s' "$(cat -A "$1")" "$(cat -A "$2")")"
}

# The pty's tty path, its terminal mode and window size, and which session
# and process group own it, as the container's process sees them.
# shellcheck disable=SC2016 # expanded by the container's shell
PROBE='t=$(tty); echo "tty=$t"; echo "fd0=$(readlink /proc/self/fd/0)"
[ -c "$t" ] && echo "exists"; ls /dev/pts | grep -v ptmx | sed "s/^/pts:/"
for fd in 1 2; do [ -t $fd ] && echo "fd$fd is the tty"; done
echo "size=$(stty size)"; echo via-dev-tty >/dev/tty
read -r stat </proc/$$/stat; set -- ${stat#*) }; [ "$4" = $$ ] && [ "$6" = $$ ] && echo "session leader owning the tty"'

@test "terminal: run without --console-socket: the process gets a pty of the container's devpts" {
	set_args sh -c "$PROBE; exit 3"
	run -3 in_pty "$OUT" "stty cols 91 rows 33; $(box_cmdline run --bundle "$BUNDLE" "$CID")"
	run pty_text "$OUT"
	assert_line --regexp '^tty=/dev/pts/[0-9]+$'
	local t="${lines[0]#tty=}"
	assert_line "fd0=$t"
	assert_line exists
	# a devpts of its own: its only pty is this one
	assert_line "pts:${t#/dev/pts/}"
	[[ "$(grep -c '^pts:' <<<"$output")" == 1 ]] || fail "other ptys in the container's devpts: $output"
	assert_line "fd1 is the tty"
	assert_line "fd2 is the tty"
	assert_line "size=33 91"
	assert_line via-dev-tty
	assert_line "session leader owning the tty"
	assert_nothing_left
}

@test "terminal: run shows the same bytes and exit status as runc run" {
	requires runc
	set_args sh -c 'echo "one"; printf "two\n"; echo err >&2; tty; stty size; exit 4'
	run -4 in_pty "$OUT" "stty cols 77 rows 22; $(box_cmdline run --bundle "$BUNDLE" "$CID")"
	# runc, the reference, sometimes fails its own `stty size` (its window size is set
	# while the process already runs): take one of up to three runs without that
	for _ in 1 2 3; do
		run -4 in_pty "$RUNC_OUT" "stty cols 77 rows 22; cd $(printf %q "$BUNDLE") && $(runc_cmdline run "$CID-runc")"
		grep -q '^stty: ' <(tr -d '\r' <"$RUNC_OUT") || break
	done
	same_bytes "$OUT" "$RUNC_OUT"
	# "\n" reaches the caller's terminal as "\n" (which adds one "\r"), as with runc
	run pty_text "$OUT"
	assert_line one
	assert_line two
	assert_line err
	grep -q $'one\r\n' "$OUT" || fail "expected one \\r per line: $(cat -A "$OUT")"
}

@test "terminal: box spec's default config gives an interactive shell, as runc's does" {
	local spec=(spec --bundle "$BUNDLE")
	is_rootless && spec+=(--rootless)
	rm "$BUNDLE/config.json"
	"$BOX_BIN" "${spec[@]}"
	update_config '.process.args = ["sh"]'
	[[ "$(jq -r .process.terminal "$BUNDLE/config.json")" == true ]] || fail "box spec's default has no terminal"
	run -3 in_pty "$OUT" "$(box_cmdline run --bundle "$BUNDLE" "$CID")" $'echo "hi from $(id -u)"; exit 3\n'
	run pty_text "$OUT"
	assert_line "hi from 0"
	assert_nothing_left
	if command -v runc >/dev/null; then
		run -3 in_pty "$RUNC_OUT" "cd $(printf %q "$BUNDLE") && $(runc_cmdline run "$CID-runc")" $'echo "hi from $(id -u)"; exit 3\n'
		# (what the shell echoes depends on when the input arrives: compare what it printed)
		run pty_text "$RUNC_OUT"
		assert_line "hi from 0"
	fi
}

@test "terminal: the caller's terminal is raw while the process runs and restored after" {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'echo ready; while [ ! -e /done ]; do sleep 0.05; done; exit 2'
	local outer="$BATS_TEST_TMPDIR/outer" modes="$BATS_TEST_TMPDIR/modes"
	in_pty "$OUT" "tty >$outer; stty -g >$modes; $(box_cmdline run --bundle "$BUNDLE" "$CID"); echo rc=\$?; stty -g >>$modes" &
	local pty_pid=$!
	retry 10 grep -qs ready "$OUT" || fail "the container did not start: $(pty_text "$OUT")"
	local during
	during="$(stty -a -F "$(cat "$outer")" | tr "\n;" "  ")"
	touch "$BUNDLE/rootfs/done"
	wait "$pty_pid"
	for flag in -icanon -echo -isig -icrnl opost; do
		[[ " $during " == *" $flag "* ]] || fail "expected $flag while box runs: $during"
	done
	run pty_text "$OUT"
	assert_line rc=2
	[[ "$(sed -n 1p "$modes")" == "$(sed -n 2p "$modes")" ]] || fail "terminal mode not restored: $(cat "$modes")"
}

@test "terminal: the mode is restored when box forwards a signal and when the process cannot start" {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.05; done'
	local modes="$BATS_TEST_TMPDIR/modes"
	in_pty "$OUT" "stty -g >$modes; $(box_cmdline run --bundle "$BUNDLE" "$CID"); echo rc=\$?; stty -g >>$modes" &
	local pty_pid=$!
	retry 10 grep -qs ready "$OUT" || fail "the container did not start"
	kill -TERM "$(foreground_box_pid)"
	wait "$pty_pid"
	run pty_text "$OUT"
	assert_line got-term
	assert_line rc=9
	[[ "$(sed -n 1p "$modes")" == "$(sed -n 2p "$modes")" ]] || fail "terminal mode not restored: $(cat "$modes")"

	set_args /no/such/program
	run in_pty "$OUT" "stty -g >$modes; $(box_cmdline run --bundle "$BUNDLE" "$CID-2"); echo rc=\$?; stty -g >>$modes"
	run pty_text "$OUT"
	assert_line --partial "/no/such/program"
	refute_line rc=0
	[[ "$(sed -n 1p "$modes")" == "$(sed -n 2p "$modes")" ]] || fail "terminal mode not restored: $(cat "$modes")"
	assert_nothing_left
}

@test "terminal: a resize of the caller's terminal reaches the process (SIGWINCH)" {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'trap "echo size=\$(stty size); exit 7" WINCH; echo "ready $(stty size)"; while :; do sleep 0.05; done'
	local outer="$BATS_TEST_TMPDIR/outer"
	in_pty "$OUT" "stty cols 80 rows 24; tty >$outer; $(box_cmdline run --bundle "$BUNDLE" "$CID")" &
	local pty_pid=$!
	retry 10 grep -qs "ready 24 80" "$OUT" || fail "no ready: $(pty_text "$OUT")"
	stty -F "$(cat "$outer")" cols 123 rows 45
	local rc=0
	wait "$pty_pid" || rc=$?
	run pty_text "$OUT"
	assert_line "size=45 123"
	assert_equal "$rc" 7
}

@test "terminal: the pty belongs to process.user, group tty, mode 0620, as with runc" {
	requires root
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'stat -c "%u %g %a" $(tty); id -u'
	run in_pty "$OUT" "$(box_cmdline run --bundle "$BUNDLE" "$CID")"
	assert_success
	run pty_text "$OUT"
	assert_line "1000 5 620"
	assert_line 1000
	if command -v runc >/dev/null; then
		run in_pty "$RUNC_OUT" "cd $(printf %q "$BUNDLE") && $(runc_cmdline run "$CID-runc")"
		assert_success
		assert_equal "$(pty_text "$RUNC_OUT")" "$(pty_text "$OUT")"
	fi
	# with a tty group in the rootfs, that is the name ls shows
	grep -q '^tty:x:5:' "$BUNDLE/rootfs/etc/group" || echo 'tty:x:5:' >>"$BUNDLE/rootfs/etc/group"
	set_args sh -c 'ls -l $(tty)'
	run in_pty "$OUT" "$(box_cmdline run --bundle "$BUNDLE" "$CID")"
	assert_success
	run pty_text "$OUT"
	assert_output --regexp '^crw--w---- +1 [a-z0-9]+ +tty '
}

@test "terminal: exec -t --user: the pty belongs to that user" {
	requires root
	update_config '.process.terminal = false'
	start_container
	# shellcheck disable=SC2016 # expanded by the container's shell
	run in_pty "$OUT" "$(box_cmdline exec -t --user 1000:1000 "$CID" sh -c 'stat -c "%u %g %a" $(tty); id -u')"
	assert_success
	run pty_text "$OUT"
	assert_line "1000 5 620"
	assert_line 1000
}

@test "terminal: stdin a pipe, output to a pipe, no terminal at all: still works" {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'read -r line; echo "got:[$line]"; tty; exit 4'
	run -4 bash -c 'printf "hello\n" | setsid "$@"' _ "$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID"
	assert_line "hello"
	assert_line "got:[hello]"
	assert_line --regexp '^/dev/pts/[0-9]+$'
	[[ "$output" != *$'\r'* ]] || fail "\\r in the output: $(cat -A <<<"$output")"
	assert_nothing_left
}

@test "terminal: all the output of a process that exits at once is relayed (drained)" {
	# box's stdout is read only after a second: the process has exited long
	# before box has written out what it left in the terminal
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'head -c 1048576 /dev/zero | tr "\0" x; exit 5'
	run -5 bash -c 'out=$1; shift; setsid "$@" </dev/null | { sleep 1; cat >"$out"; }; exit "${PIPESTATUS[0]}"' _ "$OUT" "$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID"
	assert_equal "$(tr -d x <"$OUT" | wc -c) $(wc -c <"$OUT")" "0 1048576"
	update_config '.process.terminal = false | .process.args = ["sleep", "1000"]'
	start_container
	run -6 bash -c 'out=$1; shift; setsid "$@" </dev/null | { sleep 1; cat >"$out"; }; exit "${PIPESTATUS[0]}"' _ "$OUT" "$BOX_BIN" --root "$BOX_ROOT" exec -t "$CID" \
		sh -c 'head -c 1048576 /dev/zero | tr "\0" y; exit 6'
	assert_equal "$(tr -d y <"$OUT" | wc -c) $(wc -c <"$OUT")" "0 1048576"
}

@test "terminal: stdin a pipe, output on a terminal, as runc" {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'read -r line; echo "got:[$line]"; exit 4'
	run -4 in_pty "$OUT" "printf 'piped\\n' | $(box_cmdline run --bundle "$BUNDLE" "$CID")"
	run pty_text "$OUT"
	assert_line "got:[piped]"
	if command -v runc >/dev/null; then
		run -4 in_pty "$RUNC_OUT" "cd $(printf %q "$BUNDLE") && printf 'piped\\n' | $(runc_cmdline run "$CID-runc")"
		same_bytes "$OUT" "$RUNC_OUT"
	fi
}

@test "terminal: signals to box reach the process" {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'trap "echo got-usr1" USR1; trap "echo got-hup; exit 5" HUP; echo ready; while :; do sleep 0.05; done'
	in_pty "$OUT" "$(box_cmdline run --bundle "$BUNDLE" "$CID")" &
	local pty_pid=$!
	retry 10 grep -qs ready "$OUT" || fail "the container did not start"
	local box_pid
	box_pid="$(foreground_box_pid)"
	kill -USR1 "$box_pid"
	retry 10 grep -qs got-usr1 "$OUT" || fail "USR1 did not arrive"
	kill -HUP "$box_pid"
	local rc=0
	wait "$pty_pid" || rc=$?
	assert_equal "$rc" 5
	run pty_text "$OUT"
	assert_line got-hup
}

@test "terminal: exec -t without --console-socket: a pty of its own, window size, exit status" {
	update_config '.process.terminal = false'
	start_container
	run -6 in_pty "$OUT" "stty cols 66 rows 11; stty -g >$BATS_TEST_TMPDIR/modes; $(box_cmdline exec -t "$CID" sh -c "$PROBE; exit 6"); rc=\$?; echo box-exit=\$rc; stty -g >>$BATS_TEST_TMPDIR/modes; exit \$rc"
	run pty_text "$OUT"
	assert_line --regexp '^tty=/dev/pts/[0-9]+$'
	assert_line "fd0=${lines[0]#tty=}"
	assert_line exists
	assert_line "fd1 is the tty"
	assert_line "size=11 66"
	assert_line via-dev-tty
	# exec's process is the leader of a new session with the pty as its controlling terminal
	assert_line "session leader owning the tty"
	[[ "$(sed -n 1p "$BATS_TEST_TMPDIR/modes")" == "$(sed -n 2p "$BATS_TEST_TMPDIR/modes")" ]] ||
		fail "terminal mode not restored"
	# nothing of the exec is left in the container
	assert_equal "$(box ps "$CID" | tail -n +2 | wc -l)" 1
}

@test "terminal: exec -t types input into the process and relays its output, as runc exec -t" {
	update_config '.process.terminal = false'
	start_container
	# shellcheck disable=SC2016 # expanded by the container's shell
	run -3 in_pty "$OUT" "$(box_cmdline exec -t "$CID" sh)" $'echo "sum $((6 * 7))"; exit 3\n'
	run pty_text "$OUT"
	assert_line "sum 42"
	if command -v runc >/dev/null; then
		(cd "$BUNDLE" && runc --root "$RUNC_ROOT" run -d "$CID-runc" </dev/null >/dev/null 2>>"$BATS_TEST_TMPDIR/runc.log")
		run -3 in_pty "$RUNC_OUT" "$(runc_cmdline exec -t "$CID-runc" sh)" $'echo "sum $((6 * 7))"; exit 3\n'
		# (what the shell echoes depends on when the input arrives: compare what it printed)
		run pty_text "$RUNC_OUT"
		assert_line "sum 42"
	fi
}

@test "terminal: create, run -d and exec -d -t still need --console-socket, and say so" {
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "no --console-socket"
	assert_nothing_left
	run --separate-stderr box run -d --bundle "$BUNDLE" "$CID"
	assert_box_error "no --console-socket"
	assert_nothing_left
	update_config '.process.terminal = false'
	start_container
	run --separate-stderr box exec -d -t "$CID" true
	assert_box_error -255 "no --console-socket"
	assert_equal "$(box ps "$CID" | tail -n +2 | wc -l)" 1
}

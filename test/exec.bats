#!/usr/bin/env bats
# box exec: a new process in a running container. The container runs
# `sleep 1000`; files it writes at the top of its (writable) rootfs are read
# by the host under $BUNDLE/rootfs.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

# The container's processes as seen from the host: init and whatever exec
# left running (processes whose root is the container's rootfs).
container_procs() {
	stray_pids | sort -n | tr '\n' ' '
}

_procs_are() {
	[[ "$(container_procs)" == "$1" ]]
}

# assert_only_init: no process but init runs in the container.
assert_only_init() {
	local init
	init="$(container_pid "$CID")"
	retry 5 _procs_are "$init " ||
		fail "processes in the container besides init $init: $(container_procs)"
}

# ---------------------------------------------------------------------------
# stdio and exit status
# ---------------------------------------------------------------------------

@test "exec: runs a command in the container and passes its stdout" {
	start_container
	run --separate-stderr box exec "$CID" echo hello from exec
	assert_success
	assert_output "hello from exec"
	assert_equal "$stderr" ""
	assert_only_init
}

@test "exec: stdout and stderr stay separate" {
	start_container
	run --separate-stderr box exec "$CID" sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2'
	assert_success
	assert_output "$(printf 'out1\nout2')"
	assert_equal "$stderr" "$(printf 'err1\nerr2')"
}

@test "exec: stdin is passed through" {
	start_container
	run box exec "$CID" sh -c 'read a; read b; echo "[$b|$a]"' <<<"$(printf 'first\nsecond')"
	assert_success
	assert_output "[second|first]"
}

@test "exec: 1 MiB on stdout and on stderr arrives intact" {
	head -c 1048576 /dev/urandom >"$BUNDLE/rootfs/big"
	start_container
	local out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err"
	box exec "$CID" sh -c 'cat /big; cat /big >&2' >"$out" 2>"$err" || fail "exec failed: $(head -c 500 "$err")"
	local want
	want="$(sha256sum <"$BUNDLE/rootfs/big")"
	assert_equal "$(stat -c %s "$out")" 1048576
	assert_equal "$(stat -c %s "$err")" 1048576
	assert_equal "$(sha256sum <"$out")" "$want"
	assert_equal "$(sha256sum <"$err")" "$want"
}

@test "exec: 1 MiB on stdin arrives intact" {
	head -c 1048576 /dev/urandom >"$BATS_TEST_TMPDIR/big"
	start_container
	run box exec "$CID" sha256sum <"$BATS_TEST_TMPDIR/big"
	assert_success
	assert_output "$(sha256sum <"$BATS_TEST_TMPDIR/big")"
}

@test "exec: exit status 0, 1, 3 and 255 are passed through" {
	start_container
	local code
	for code in 0 1 3 255; do
		run box exec "$CID" sh -c "exit $code"
		assert_equal "$status" "$code"
	done
}

@test "exec: a process killed by a signal gives 128+N" {
	start_container
	# shellcheck disable=SC2016 # expanded by the container's shell
	run -143 box exec "$CID" sh -c 'kill -TERM $$; sleep 5'
	# shellcheck disable=SC2016
	run -137 box exec "$CID" sh -c 'kill -KILL $$; sleep 5'
	# shellcheck disable=SC2016
	run -138 box exec "$CID" sh -c 'kill -USR1 $$; sleep 5'
	assert_only_init
}

@test "exec: signals sent to box exec reach the process" {
	start_container
	local out="$BATS_TEST_TMPDIR/out"
	record_ids exec "$CID"
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$BOX_BIN" --root "$BOX_ROOT" exec "$CID" sh -c 'trap "echo caught TERM; exit 7" TERM; echo ready > /exec-ready; while true; do sleep 0.1; done' \
		</dev/null >"$out" 2>&1 3>&- &
	local bpid=$!
	wait_for_file "$BUNDLE/rootfs/exec-ready"
	kill -TERM "$bpid"
	local rc=0
	wait "$bpid" || rc=$?
	assert_equal "$rc" 7
	assert_equal "$(cat "$out")" "caught TERM"
	assert_only_init
}

@test "exec: 50 sequential execs, every byte and exit status intact" {
	start_container
	local i out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err" rc
	local want_out="$BATS_TEST_TMPDIR/want-out" want_err="$BATS_TEST_TMPDIR/want-err"
	: >"$out"
	: >"$err"
	: >"$want_out"
	: >"$want_err"
	for i in $(seq 1 50); do
		rc=0
		box exec "$CID" sh -c "echo out line $i; echo err line $i >&2; printf 'no newline $i'; exit $((i % 4))" \
			>>"$out" 2>>"$err" || rc=$?
		assert_equal "exec $i: status $rc" "exec $i: status $((i % 4))"
		printf 'out line %s\nno newline %s' "$i" "$i" >>"$want_out"
		printf 'err line %s\n' "$i" >>"$want_err"
	done
	assert_equal "$(sha256sum <"$out")" "$(sha256sum <"$want_out")"
	assert_equal "$(sha256sum <"$err")" "$(sha256sum <"$want_err")"
	assert_only_init
}

# ---------------------------------------------------------------------------
# Sessions and terminals
# ---------------------------------------------------------------------------

# The caller of box exec has a real controlling terminal (script's pty): the
# process must not share it, as runc's do not. Whatever reaches the terminal is
# script's output; the process's stdout goes to a file.
@test "exec: the process gets a session of its own, without the caller's terminal (also --detach)" {
	command -v script >/dev/null || skip "requires script (bsdutils)"
	start_container
	local t="$BATS_TEST_TMPDIR" screen
	# shellcheck disable=SC2016 # expanded by the container's shell
	local probe='echo on-the-terminal >/dev/tty; echo "dev-tty $?"; cut -d" " -f6,7 /proc/self/stat'
	cat >"$t/at-terminal" <<-EOF
		tty >"$t/caller-tty"
		"$BOX_BIN" --root "$BOX_ROOT" exec "$CID" sh -c '$probe' >"$t/exec.out" 2>&1
		"$BOX_BIN" --root "$BOX_ROOT" exec --detach "$CID" sh -c '{ $probe; } >/detached.out 2>&1'
		# the detached process must be done before the terminal goes away
		i=0; while [ ! -s "$BUNDLE/rootfs/detached.out" ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done
		sleep 0.2
	EOF
	screen="$(SHELL=/bin/bash script -qefc "sh $t/at-terminal" /dev/null </dev/null 3>&- | tr -d '\r\0')"
	assert_regex "$(cat "$t/caller-tty")" '^/dev/pts/[0-9]+$'
	[[ "$screen" != *on-the-terminal* ]] || fail "the exec'd process wrote on the caller's terminal: $screen"
	local out
	for out in "$t/exec.out" "$BUNDLE/rootfs/detached.out"; do
		assert_file_exists "$out"
		# no controlling terminal (tty_nr 0), and the session is the container's own (its
		# leader is in the container's pid namespace, so its id is not 0 there)
		run cat "$out"
		assert_line --partial "No such device or address"
		refute_line "dev-tty 0"
		assert_line --regexp '^[1-9][0-9]* 0$'
	done
}

# ---------------------------------------------------------------------------
# Namespaces and cgroup
# ---------------------------------------------------------------------------

@test "exec: the process joins every namespace and the cgroup of the container" {
	start_container
	local init pid ns
	init="$(container_pid "$CID")"
	run box exec -d --pid-file "$BATS_TEST_TMPDIR/pid" "$CID" sleep 1000
	assert_success
	pid="$(cat "$BATS_TEST_TMPDIR/pid")"
	pid_alive "$pid" || fail "exec'd process $pid is not alive"
	for ns in pid mnt net ipc uts cgroup user; do
		assert_equal "$ns: $(ns_of "$pid" "$ns")" "$ns: $(ns_of "$init" "$ns")"
	done
	assert_equal "$(cat "/proc/$pid/cgroup")" "$(cat "/proc/$init/cgroup")"
	assert_equal "$(stat -L -c %d:%i "/proc/$pid/root")" "$(stat -L -c %d:%i "/proc/$init/root")"
}

@test "exec: sees the container's hostname and pid namespace" {
	update_config '.hostname = "exec-host"'
	start_container
	run box exec "$CID" hostname
	assert_success
	assert_output "exec-host"
	# pid 1 of the container's pid namespace is its init (sleep)
	run box exec "$CID" sh -c "tr '\\0' ' ' </proc/1/cmdline"
	assert_success
	assert_output "sleep 1000 "
}

@test "exec: works in a created container (as runc)" {
	create_container
	run box exec "$CID" echo in created
	assert_success
	assert_output "in created"
	assert_equal "$(state_field "$CID" status)" created
}

# ---------------------------------------------------------------------------
# Process settings
# ---------------------------------------------------------------------------

@test "exec: the container's environment, plus --env and -e" {
	update_config '.process.env += ["FROM_CONFIG=cfg", "OVERRIDDEN=old"]'
	start_container
	# shellcheck disable=SC2016 # expanded by the container's shell
	run box exec --env FOO=bar -e 'SPACED=a b  c' -e OVERRIDDEN=new -e EMPTY= "$CID" \
		sh -c 'echo "$FROM_CONFIG|$FOO|$SPACED|$OVERRIDDEN|${EMPTY-unset}|$PATH"'
	assert_success
	assert_output "cfg|bar|a b  c|new||$(jq -r '.process.env[] | select(startswith("PATH=")) | sub("^PATH="; "")' "$BUNDLE/config.json")"
	run box exec --env OVERRIDDEN=new "$CID" env
	assert_success
	assert_equal "$(grep -c '^OVERRIDDEN=' <<<"$output")" 1
}

@test "exec: HOME defaults to the user's home directory" {
	start_container
	# shellcheck disable=SC2016
	run box exec "$CID" sh -c 'echo "$HOME"'
	assert_success
	assert_output /root
}

@test "exec: --env without = is a usage error" {
	start_container
	run --separate-stderr box exec --env FOO "$CID" true
	assert_box_error -255 '--env "FOO": must have the form KEY=value'
	assert_only_init
}

@test "exec: --cwd sets the working directory" {
	mkdir -p "$BUNDLE/rootfs/work dir/sub"
	start_container
	run box exec --cwd "/work dir/sub" "$CID" pwd
	assert_success
	assert_output "/work dir/sub"
	run box exec "$CID" pwd
	assert_success
	assert_output "$(jq -r .process.cwd "$BUNDLE/config.json")"
}

@test "exec: --cwd that does not exist is an error naming it" {
	start_container
	run --separate-stderr box exec --cwd /no/such/dir "$CID" true
	assert_box_error -255 '"/no/such/dir"'
	assert_only_init
}

@test "exec: --cwd must be absolute" {
	start_container
	run --separate-stderr box exec --cwd tmp "$CID" true
	assert_box_error -255 '--cwd "tmp"'
}

@test "exec: --user UID runs as that uid with gid 0 (as runc)" {
	requires root
	start_container
	run box exec --user 1000 "$CID" id -u
	assert_output 1000
	run box exec --user 1000 "$CID" id -g
	assert_output 0
}

@test "exec: --user UID:GID and -u" {
	requires root
	add_user box 1000 1000 /home/box
	start_container
	run box exec --user 1000:1000 "$CID" id
	assert_success
	assert_output --regexp '^uid=1000\(box\) gid=1000\(box\)'
	run box exec -u 4242:4343 "$CID" sh -c 'echo $(id -u):$(id -g)'
	assert_success
	assert_output 4242:4343
}

@test "exec: --user NAME takes uid, gid and home from the container's /etc/passwd" {
	requires root
	add_user box 1000 1000 /home/box
	start_container
	# shellcheck disable=SC2016
	run box exec --user box "$CID" sh -c 'echo "$(id -u) $(id -g) $HOME"'
	assert_success
	assert_output "1000 1000 /home/box"
}

@test "exec: --user NAME:GROUP resolves the group in the container's /etc/group" {
	requires root
	add_user box 1000 1000 /home/box
	grep -q '^users:x:100:' "$BUNDLE/rootfs/etc/group" || echo 'users:x:100:' >>"$BUNDLE/rootfs/etc/group"
	start_container
	run box exec --user box:users "$CID" sh -c 'echo $(id -u):$(id -g)'
	assert_success
	assert_output 1000:100
}

@test "exec: --user with an unknown user name is an error naming it" {
	start_container
	run --separate-stderr box exec --user nosuchuser "$CID" true
	assert_box_error -255 'unknown user "nosuchuser"'
	assert_only_init
}

@test "exec: --additional-gids and -g add supplementary groups" {
	requires root
	start_container
	run box exec --user 1000:1000 --additional-gids 100 -g 65534 "$CID" id -G
	assert_success
	# id -G lists the primary group first
	assert_equal "$(tr ' ' '\n' <<<"$output" | sort -n | tr '\n' ' ')" "100 1000 65534 "
}

@test "exec: the user of the config applies without --user" {
	update_config '.process.user = {"uid": 0, "gid": 0}'
	start_container
	run box exec "$CID" sh -c 'echo $(id -u):$(id -g)'
	assert_success
	assert_output 0:0
}

# cap_bit CAPNAME-NUMBER HEXMASK: is the bit set?
cap_bit() {
	local bit="$1" mask="$2"
	(((0x$mask >> bit) & 1))
}

@test "exec: --cap and -c add capabilities to the process" {
	start_container
	run box exec "$CID" awk '/^CapEff:/ {print $2}' /proc/self/status
	assert_success
	# CAP_SYS_TIME is 25, CAP_NET_RAW is 13: not in the default set
	! cap_bit 25 "$output" || fail "CAP_SYS_TIME already in the default set: $output"
	! cap_bit 13 "$output" || fail "CAP_NET_RAW already in the default set: $output"
	run box exec --cap CAP_SYS_TIME -c CAP_NET_RAW "$CID" awk '/^CapEff:/ {print $2}' /proc/self/status
	assert_success
	cap_bit 25 "$output" || fail "CAP_SYS_TIME not effective: $output"
	cap_bit 13 "$output" || fail "CAP_NET_RAW not effective: $output"
}

@test "exec: --cap with a capability box does not know is left out with a warning, as runc" {
	start_container
	local want='ignoring unknown or unavailable capabilities: [CAP_NO_SUCH]'
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		run --separate-stderr runc_ref exec --cap CAP_NO_SUCH --cap CAP_SYS_TIME "$CID-runc" awk '/^CapEff:/ {print $2}' /proc/self/status
		assert_success
		[[ "$stderr" == *"level=warning msg=\"$want\""* ]] || fail "runc warned: $stderr"
		cap_bit 25 "$output" || fail "runc: CAP_SYS_TIME not effective: $output"
	fi
	run --separate-stderr box exec --cap CAP_NO_SUCH --cap CAP_SYS_TIME "$CID" awk '/^CapEff:/ {print $2}' /proc/self/status
	assert_success
	assert_equal "$stderr" "box: warning: $want"
	cap_bit 25 "$output" || fail "CAP_SYS_TIME not effective: $output"
}

@test "exec: --no-new-privs sets no_new_privs" {
	update_config '.process.noNewPrivileges = false'
	start_container
	run box exec "$CID" awk '/^NoNewPrivs:/ {print $2}' /proc/self/status
	assert_success
	assert_output 0
	run box exec --no-new-privs "$CID" awk '/^NoNewPrivs:/ {print $2}' /proc/self/status
	assert_success
	assert_output 1
}

@test "exec: --process-label and --apparmor are clear errors where unsupported" {
	start_container
	run --separate-stderr box exec --process-label system_u:system_r:container_t:s0 "$CID" true
	assert_box_error -255 "SELinux"
	run --separate-stderr box exec --apparmor some-profile "$CID" true
	assert_box_error -255 "AppArmor"
	assert_only_init
}

# ---------------------------------------------------------------------------
# --process FILE
# ---------------------------------------------------------------------------

@test "exec --process: args, env, cwd and user come from the file" {
	mkdir -p "$BUNDLE/rootfs/pdir"
	start_container
	local uid=0
	is_rootless || uid=1000
	jq -n --argjson uid "$uid" '{
		args: ["sh", "-c", "echo \"$(id -u) $(pwd) $PFOO\"; echo to-stderr >&2; exit 4"],
		env: ["PATH=/bin:/usr/bin", "PFOO=from-process-file"],
		cwd: "/pdir",
		user: {uid: $uid, gid: 0},
		terminal: false
	}' >"$BATS_TEST_TMPDIR/process.json"
	run -4 --separate-stderr box exec --process "$BATS_TEST_TMPDIR/process.json" "$CID"
	assert_output "$uid /pdir from-process-file"
	assert_equal "$stderr" to-stderr
}

@test "exec -p: the process file replaces the config's process" {
	update_config '.process.env += ["FROM_CONFIG=cfg"]'
	start_container
	jq -n '{args: ["sh", "-c", "echo \"[${FROM_CONFIG-unset}]\""], env: ["PATH=/bin"], cwd: "/"}' >"$BATS_TEST_TMPDIR/p.json"
	run box exec -p "$BATS_TEST_TMPDIR/p.json" "$CID"
	assert_success
	assert_output "[unset]"
}

@test "exec --process: invalid JSON names the file and the position" {
	start_container
	printf '{"args": ["sh",\n' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr box exec --process "$BATS_TEST_TMPDIR/bad.json" "$CID"
	assert_box_error -255 "invalid JSON at line"
	assert_output ""
	[[ "$stderr" == *bad.json* ]] || fail "error does not name the file: $stderr"
	assert_only_init
}

@test "exec --process: a field of the wrong type is named by its JSON path" {
	start_container
	echo '{"args": ["true"], "cwd": "/", "user": {"uid": "zero", "gid": 0}}' >"$BATS_TEST_TMPDIR/p1.json"
	run --separate-stderr box exec --process "$BATS_TEST_TMPDIR/p1.json" "$CID"
	assert_box_error -255 "user.uid: expected"
	echo '{"args": "true", "cwd": "/"}' >"$BATS_TEST_TMPDIR/p2.json"
	run --separate-stderr box exec --process "$BATS_TEST_TMPDIR/p2.json" "$CID"
	assert_box_error -255 "args: expected array"
	echo '{"args": ["true", 7], "cwd": "/"}' >"$BATS_TEST_TMPDIR/p3.json"
	run --separate-stderr box exec --process "$BATS_TEST_TMPDIR/p3.json" "$CID"
	assert_box_error -255 "args[1]: expected string"
	echo '{"args": ["true"], "cwd": "/", "env": ["A=b"], "rlimits": [{"type": "RLIMIT_NOFILE", "hard": "x", "soft": 1}]}' >"$BATS_TEST_TMPDIR/p4.json"
	run --separate-stderr box exec --process "$BATS_TEST_TMPDIR/p4.json" "$CID"
	assert_box_error -255 "rlimits[0].hard"
	assert_only_init
}

@test "exec --process: a file that does not exist is named" {
	start_container
	run --separate-stderr box exec --process "$BATS_TEST_TMPDIR/nope.json" "$CID"
	assert_box_error -255 "nope.json"
}

# ---------------------------------------------------------------------------
# --detach and --pid-file
# ---------------------------------------------------------------------------

@test "exec --detach returns at once; --pid-file names a live process in the container" {
	start_container
	local t0 t1 pid init
	init="$(container_pid "$CID")"
	t0="${EPOCHREALTIME/./}"
	# shellcheck disable=SC2016 # expanded by the container's shell
	run box exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" sh -c 'echo $$ > /exec-started; exec sleep 1000'
	t1="${EPOCHREALTIME/./}"
	assert_success
	(((t1 - t0) < 15000000)) || fail "exec --detach took $(((t1 - t0) / 1000)) ms"
	assert_file_exists "$BATS_TEST_TMPDIR/exec.pid"
	pid="$(cat "$BATS_TEST_TMPDIR/exec.pid")"
	[[ "$pid" =~ ^[0-9]+$ ]] || fail "pid file holds '$pid'"
	pid_alive "$pid" || fail "pid $pid from --pid-file is not alive"
	[[ "$pid" != "$init" ]] || fail "pid file holds the init pid"
	assert_equal "$(ns_of "$pid" pid)" "$(ns_of "$init" pid)"
	assert_equal "$(ns_of "$pid" mnt)" "$(ns_of "$init" mnt)"
	# the process is `sleep 1000` after the shell exec'd it
	wait_for_file "$BUNDLE/rootfs/exec-started"
	retry 5 grep -q sleep "/proc/$pid/cmdline" || fail "pid $pid is $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	# the pid the process saw in its own namespace is not the host pid
	local nspid
	nspid="$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status")"
	assert_equal "$(cat "$BUNDLE/rootfs/exec-started")" "$nspid"
}

@test "exec -d: a relative --pid-file is relative to the caller's directory" {
	start_container
	cd "$BATS_TEST_TMPDIR"
	run box exec -d --pid-file rel.pid "$CID" sleep 1000
	assert_success
	assert_file_exists "$BATS_TEST_TMPDIR/rel.pid"
	pid_alive "$(cat "$BATS_TEST_TMPDIR/rel.pid")" || fail "pid in rel.pid is not alive"
}

@test "exec --pid-file in the foreground holds the process's host pid" {
	start_container
	record_ids exec "$CID"
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$BOX_BIN" --root "$BOX_ROOT" exec --pid-file "$BATS_TEST_TMPDIR/fg.pid" "$CID" sh -c 'echo $$ > /fg-started; exec sleep 1000' \
		</dev/null >/dev/null 2>&1 3>&- &
	local bpid=$!
	wait_for_text "$BUNDLE/rootfs/fg-started"
	wait_for_file "$BATS_TEST_TMPDIR/fg.pid"
	local pid
	pid="$(cat "$BATS_TEST_TMPDIR/fg.pid")"
	pid_alive "$pid" || fail "pid $pid from --pid-file is not alive"
	# its pid inside the container's pid namespace is what the process saw
	assert_equal "$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status")" "$(cat "$BUNDLE/rootfs/fg-started")"
	# killing it ends the foreground exec with 128+15
	kill -TERM "$pid"
	local rc=0
	wait "$bpid" || rc=$?
	assert_equal "$rc" 143
}

@test "exec -d: output of the detached process goes to exec's stdout" {
	start_container
	box_raw exec -d "$CID" sh -c 'echo detached output' </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&-
	retry 5 grep -q 'detached output' "$BATS_TEST_TMPDIR/out" || fail "output: $(cat "$BATS_TEST_TMPDIR/out")"
}

# ---------------------------------------------------------------------------
# --preserve-fds
# ---------------------------------------------------------------------------

@test "exec --preserve-fds N passes fds 3 .. 3+N-1" {
	start_container
	echo three >"$BATS_TEST_TMPDIR/f3"
	echo four >"$BATS_TEST_TMPDIR/f4"
	echo five >"$BATS_TEST_TMPDIR/f5"
	run box exec --preserve-fds 2 "$CID" sh -c 'cat <&3; cat <&4; if [ -e /proc/self/fd/5 ]; then echo fd5 leaked; fi' \
		3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5<"$BATS_TEST_TMPDIR/f5"
	assert_success
	assert_output "$(printf 'three\nfour')"
}

@test "exec --preserve-fds: a preserved fd can be written" {
	start_container
	run box exec --preserve-fds=1 "$CID" sh -c 'echo via-fd3 >&3' 3>"$BATS_TEST_TMPDIR/w3"
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/w3")" via-fd3
}

@test "exec: without --preserve-fds only fds 0-2 reach the process" {
	start_container
	# ls opens /proc/self/fd itself: list it from a process that has not
	run box exec "$CID" sh -c 'for fd in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$fd ] && echo "fd $fd open"; done; true' \
		3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json" 7<"$BUNDLE/config.json"
	assert_success
	assert_output ""
}

@test "exec: negative --preserve-fds is a usage error" {
	start_container
	run --separate-stderr box exec --preserve-fds=-1 "$CID" true
	assert_box_error -2 "--preserve-fds must not be negative"
	run --separate-stderr box exec --preserve-fds -3 "$CID" true
	assert_equal "$status" 2
	[[ "$stderr" == "box: "* ]] || fail "stderr: $stderr"
	assert_only_init
}

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

# Engines map these words to exit codes 127 and 126 (see run.bats).
@test "exec of a missing or not executable program fails in runc's words and leaves no process" {
	start_container
	local -a cases=(
		'no-such-program' 'exec: "no-such-program": executable file not found in $PATH'
		'/bin/no-such-program' 'exec: "/bin/no-such-program": stat /bin/no-such-program: no such file or directory'
		'/etc/passwd' 'exec: "/etc/passwd": permission denied'
		'/etc' 'exec: "/etc": permission denied'
	)
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
	fi
	local c
	for ((c = 0; c < ${#cases[@]}; c += 2)); do
		run --separate-stderr box exec "$CID" "${cases[c]}" arg
		assert_box_error -255 "${cases[c + 1]}"
		if runc_available; then
			run --separate-stderr runc_ref exec "$CID-runc" "${cases[c]}" arg
			assert_failure
			# runc's text log quotes the message: \" for "
			[[ "${stderr//\\\"/\"}" == *"${cases[c + 1]}"* ]] || fail "runc did not say '${cases[c + 1]}': $stderr"
		fi
	done
	assert_only_init
	assert_equal "$(state_field "$CID" status)" running
}

@test "exec: a program whose interpreter is missing fails in runc's words, with runc's status" {
	printf '#!/no/such/interpreter\necho hi\n' >"$BUNDLE/rootfs/bad-interpreter"
	chmod 755 "$BUNDLE/rootfs/bad-interpreter"
	start_container
	run --separate-stderr box exec "$CID" /bad-interpreter
	assert_equal "$status" 1
	assert_equal "$stderr" "box: exec /bad-interpreter: no such file or directory"
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		run --separate-stderr runc_ref exec "$CID-runc" /bad-interpreter
		assert_equal "$status" 1
		assert_equal "$stderr" "exec /bad-interpreter: no such file or directory"
	fi
}

@test "exec in a stopped container is an error naming the status" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	run --separate-stderr box exec "$CID" echo hi
	assert_box_error -255 "it is stopped"
	assert_equal "$(stray_pids)" ""
}

@test "exec in a container whose init was killed is an error naming the status" {
	start_container
	local pid
	pid="$(container_pid "$CID")"
	kill -9 "$pid"
	wait_for_pid_gone "$pid"
	run --separate-stderr box exec "$CID" echo hi
	assert_box_error -255 "it is stopped"
	assert_equal "$(stray_pids)" ""
}

@test "exec with an unknown container id names it" {
	run --separate-stderr box exec no-such-container echo hi
	assert_box_error -255 'container "no-such-container" does not exist'
}

@test "exec without a command (and without --process) is an error (255, as runc)" {
	start_container
	run --separate-stderr box exec "$CID"
	assert_equal "$status" 255
	[[ "$stderr" == "box: "* ]] || fail "stderr: $stderr"
}

@test "exec without an id is a usage error" {
	run --separate-stderr box exec
	assert_equal "$status" 2
	[[ "$stderr" == "box: "* ]] || fail "stderr: $stderr"
}

# ---------------------------------------------------------------------------
# Paused containers
# ---------------------------------------------------------------------------

@test "exec in a paused container fails unless --ignore-paused" {
	requires root
	start_container
	box pause "$CID" || fail "pause failed"
	run --separate-stderr box exec "$CID" true
	assert_box_error -255 "cannot exec in a paused container"
	assert_file_not_exists "$BUNDLE/rootfs/paused-exec"

	# With --ignore-paused the process starts; it may only get to run (and
	# exec -d return) once the container resumes, as with runc.
	record_ids exec "$CID"
	"$BOX_BIN" --root "$BOX_ROOT" exec --ignore-paused -d "$CID" sh -c 'echo ran > /paused-exec' \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local bpid=$!
	sleep 0.5
	box resume "$CID" || fail "resume failed"
	local rc=0
	wait "$bpid" || rc=$?
	assert_equal "exec status $rc: $(cat "$BATS_TEST_TMPDIR/err")" "exec status 0: "
	wait_for_file "$BUNDLE/rootfs/paused-exec"
}

@test "exec: failing before the program starts exits 255, a program's own status passes, as runc" {
	start_container
	local -a cases=("/no/such/program" "--cwd relative true" "--env NOEQUALS true" "--user no-such-user true")
	local c
	for c in "${cases[@]}"; do
		# shellcheck disable=SC2086 # each case is a list of words
		run --separate-stderr box exec $c "$CID"
		[[ "$status" == 255 ]] || fail "box exec $c: exit $status, expected 255 ($stderr)"
	done
	run -255 --separate-stderr box exec "no-such-$CID" true
	run -7 box exec "$CID" sh -c 'exit 7'
	run -255 box exec "$CID" sh -c 'exit 255'
	assert_only_init
	if command -v runc >/dev/null && ! is_rootless; then
		local rroot="$BATS_TEST_TMPDIR/runc"
		(cd "$BUNDLE" && runc --root "$rroot" run -d "$CID-runc" </dev/null >/dev/null 2>&1) || fail "runc run failed"
		for c in "${cases[@]}"; do
			# shellcheck disable=SC2086 # each case is a list of words
			run runc --root "$rroot" exec $c "$CID-runc"
			[[ "$status" == 255 ]] || fail "runc exec $c: exit $status, expected 255"
		done
		run -7 runc --root "$rroot" exec "$CID-runc" sh -c 'exit 7'
		runc --root "$rroot" delete --force "$CID-runc"
	fi
}

@test "exec in a paused container: runc's words and exit 255" {
	requires root
	start_container
	box pause "$CID" || fail "pause failed"
	run --separate-stderr box exec "$CID" true
	assert_box_error -255 "cannot exec in a paused container"
	box resume "$CID"
	if command -v runc >/dev/null; then
		local rroot="$BATS_TEST_TMPDIR/runc"
		(cd "$BUNDLE" && runc --root "$rroot" run -d "$CID-runc" </dev/null >/dev/null 2>&1) || fail "runc run failed"
		runc --root "$rroot" pause "$CID-runc"
		run runc --root "$rroot" exec "$CID-runc" true
		runc --root "$rroot" resume "$CID-runc"
		runc --root "$rroot" delete --force "$CID-runc"
		assert_equal "$status" 255
		assert_output --partial "cannot exec in a paused container"
	fi
}

# ---------------------------------------------------------------------------
# --cgroup [CONTROLLER:]PATH (runc 1.1): a sub-cgroup of the container's
# ---------------------------------------------------------------------------

# own_cgroup_line KEY: from /proc/PID/cgroup on stdin, the path in the
# hierarchy whose key is KEY ("memory", "" for v2).
own_cgroup_line() {
	awk -F: -v k="$1" '$2 == k { print $3 }'
}

@test "exec --cgroup memory:SUB puts the process in SUB in the memory hierarchy only, as runc" {
	requires root cgroup_v1 cgroup_controller=memory
	start_container
	local mp
	mp="$(cgroup_v1_mount memory)"
	mkdir "$mp/box/$CID/sub"
	run --separate-stderr box exec --cgroup memory:sub "$CID" cat /proc/self/cgroup
	assert_success
	assert_equal "$(own_cgroup_line memory <<<"$output")" "/box/$CID/sub"
	assert_equal "$(own_cgroup_line pids <<<"$output")" "/box/$CID"
	assert_equal "$(own_cgroup_line "" <<<"$output")" "/box/$CID"
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		mkdir "$mp/boxtest-runc-$CID/sub"
		run --separate-stderr runc_ref exec --cgroup memory:sub "$CID-runc" cat /proc/self/cgroup
		assert_success
		assert_equal "$(own_cgroup_line memory <<<"$output")" "/boxtest-runc-$CID/sub"
		assert_equal "$(own_cgroup_line pids <<<"$output")" "/boxtest-runc-$CID"
	fi
}

@test "exec --cgroup SUB (no controller) puts the process in SUB in every hierarchy" {
	requires root
	start_container
	local mp
	while read -r mp _; do
		[[ -d "$mp/box/$CID" ]] || continue
		mkdir "$mp/box/$CID/sub"
		# cpuset: a child starts with no cpus and mems (the kernel refuses tasks then)
		if [[ -f "$mp/box/$CID/cpuset.cpus" ]]; then
			cat "$mp/box/$CID/cpuset.cpus" >"$mp/box/$CID/sub/cpuset.cpus"
			cat "$mp/box/$CID/cpuset.mems" >"$mp/box/$CID/sub/cpuset.mems"
		fi
	done < <(cgroup_mounts)
	run --separate-stderr box exec --cgroup sub "$CID" cat /proc/self/cgroup
	assert_success
	local line
	while IFS= read -r line; do
		[[ "$line" == */box/"$CID"* ]] || continue
		[[ "$line" == *"/box/$CID/sub" ]] || fail "not in sub: $line (all: $output)"
	done <<<"$output"
	run box exec "$CID" cat /proc/self/cgroup
	assert_success
	refute_output --partial "/sub"
}

@test "exec --cgroup: a path out of the container's cgroup, one that does not exist, a malformed one: one line, 255, nothing started" {
	requires root
	start_container
	run --separate-stderr box exec --cgroup ../.. "$CID" touch /started
	assert_box_error -255 '--cgroup "../..": ../.. is not a sub cgroup path'
	run --separate-stderr box exec --cgroup pids:sub/../../x "$CID" touch /started
	assert_box_error -255 'is not a sub cgroup path'
	run --separate-stderr box exec --cgroup nosuch "$CID" touch /started
	assert_box_error -255 "/box/$CID/nosuch\" does not exist"
	run --separate-stderr box exec --cgroup memory:a --cgroup b "$CID" touch /started
	assert_box_error -255 'invalid --cgroup argument: b (missing <controller>: prefix)'
	run --separate-stderr box exec --cgroup a:b:c "$CID" touch /started
	assert_box_error -255 'invalid --cgroup argument: a:b:c'
	[[ ! -e "$BUNDLE/rootfs/started" ]] || fail "a refused exec ran its process"
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		run --separate-stderr runc_ref exec --cgroup ../.. "$CID-runc" true
		assert_equal "$status" 255
		[[ "$stderr" == *"../.. is not a sub cgroup path"* ]] || fail "runc said: $stderr"
	fi
}

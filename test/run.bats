#!/usr/bin/env bats
# box run (foreground)

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

@test "run: exit status 0 is passed through and the container is deleted" {
	set_args sh -c 'exit 0'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_dir_not_exists "$BOX_ROOT/$CID"
	assert_nothing_left
}

@test "run: exit status 1 is passed through" {
	set_args sh -c 'exit 1'
	run -1 box run --bundle "$BUNDLE" "$CID"
	assert_nothing_left
}

@test "run: exit status 7 is passed through" {
	set_args sh -c 'exit 7'
	run -7 box run --bundle "$BUNDLE" "$CID"
	assert_nothing_left
}

# As pid 1 of a pid namespace a process cannot kill itself with SIGKILL,
# so this one shares the host pid namespace.
@test "run: a program killed by SIGKILL gives 137" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	# rootless, proc can only be mounted by the owner of a pid namespace: bind
	# the host's, as podman does for --pid=host
	! is_rootless || update_config '.mounts |= map(if .destination == "/proc"
		then {destination: "/proc", type: "bind", source: "/proc", options: ["rbind"]} else . end)'
	# shellcheck disable=SC2016
	set_args sh -c 'kill -9 $$; exit 3'
	run -137 box run --bundle "$BUNDLE" "$CID"
	assert_nothing_left
}

@test "run: init killed with kill -9 from outside gives 137" {
	set_args sh -c 'echo ready > /ready; exec sleep 1000'
	record_ids run "$CID"
	timeout 20 "$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	local bpid=$!
	wait_for_file "$BUNDLE/rootfs/ready"
	wait_for_status "$CID" running
	kill -9 "$(container_pid "$CID")"
	local rc=0
	wait "$bpid" || rc=$?
	assert_equal "$rc" 137
	assert_nothing_left
}

@test "run: stdout and stderr stay separate" {
	set_args sh -c 'echo out; echo err >&2'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output out
	# shellcheck disable=SC2154
	assert_equal "$stderr" err
}

pipe_hi() {
	echo hi | box run --bundle "$BUNDLE" "$CID"
}

@test "run: stdin is passed to the container" {
	set_args cat
	run pipe_hi
	assert_success
	assert_output hi
}

pipe_many_lines() {
	seq 1 20000 | box run --bundle "$BUNDLE" "$CID"
}

@test "run: large stdin arrives complete" {
	set_args sh -c 'wc -l; echo done'
	run pipe_many_lines
	assert_success
	assert_line --index 0 --regexp '^ *20000$'
	assert_line --index 1 "done"
}

@test "run: SIGTERM to box is forwarded; box exits with the container's status" {
	set_args sh -c 'trap "exit 42" TERM; echo ready > /ready; while true; do sleep 0.1; done'
	record_ids run "$CID"
	"$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	local bpid=$!
	wait_for_file "$BUNDLE/rootfs/ready"
	kill -TERM "$bpid"
	local rc=0
	wait "$bpid" || rc=$?
	assert_equal "$rc" 42
	assert_nothing_left
}

@test "run: a non-fatal signal (USR1) to box reaches the container" {
	set_args sh -c 'trap "echo usr1 > /got" USR1; trap "exit 5" TERM; echo ready > /ready; while true; do sleep 0.1; done'
	record_ids run "$CID"
	"$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	local bpid=$!
	wait_for_file "$BUNDLE/rootfs/ready"
	kill -USR1 "$bpid"
	wait_for_file "$BUNDLE/rootfs/got"
	# box must still be waiting for the container
	kill -0 "$bpid" || fail "box run exited after USR1"
	assert_equal "$(state_field "$CID" status)" running
	kill -TERM "$bpid"
	local rc=0
	wait "$bpid" || rc=$?
	assert_equal "$rc" 5
}

@test "run: the container is running while run waits, and gone after" {
	set_args sh -c 'echo ready > /ready; while ! test -e /go; do sleep 0.05; done; exit 0'
	record_ids run "$CID"
	"$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	local bpid=$!
	wait_for_file "$BUNDLE/rootfs/ready"
	assert_equal "$(state_field "$CID" status)" running
	touch "$BUNDLE/rootfs/go"
	local rc=0
	wait "$bpid" || rc=$?
	assert_equal "$rc" 0
	run --separate-stderr box state "$CID"
	assert_box_error "container \"$CID\" does not exist"
}

@test "run --keep: the stopped container stays until deleted" {
	set_args sh -c 'exit 3'
	run -3 box run --keep --bundle "$BUNDLE" "$CID"
	assert_equal "$(state_field "$CID" status)" stopped
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "run --pid-file writes the pid of the container init" {
	set_args sh -c 'echo ready > /ready; while ! test -e /go; do sleep 0.05; done'
	record_ids run "$CID"
	timeout 20 "$BOX_BIN" --root "$BOX_ROOT" run --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	local bpid=$!
	wait_for_file "$BUNDLE/rootfs/ready"
	assert_file_exists "$BATS_TEST_TMPDIR/pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/pid")" "$(container_pid "$CID")"
	touch "$BUNDLE/rootfs/go"
	local rc=0
	wait "$bpid" || rc=$?
	assert_equal "$rc" 0
}

# Docker, podman and containerd's CRI map a runtime's error to exit code 127
# or 126 by runc's words; box may add detail after them, never instead.
# runc_start_words PROGRAM: the words runc 1.1 prints when PROGRAM cannot be
# started.
runc_start_words() {
	case "$1" in
	*/*)
		if [[ -e "$BUNDLE/rootfs$1" ]]; then
			echo "exec: \"$1\": permission denied"
		else
			echo "exec: \"$1\": stat $1: no such file or directory"
		fi
		;;
	*) echo "exec: \"$1\": executable file not found in \$PATH" ;;
	esac
}

@test "run: a program that is missing or not executable fails in runc's words (127/126 in engines)" {
	local prog words i=0 rb=""
	for prog in no-such-program /bin/no-such-program /etc/passwd /etc; do
		words="$(runc_start_words "$prog")"
		set_args "$prog"
		run --separate-stderr box run --bundle "$BUNDLE" "$CID-$i"
		assert_box_error "$words"
		if runc_available; then
			rb="$(runc_bundle)"
			run --separate-stderr runc_ref run --bundle "$rb" "$CID-runc-$i"
			assert_equal "$status" 1
			# runc's text log quotes the message: \" for "
			[[ "${stderr//\\\"/\"}" == *"$words"* ]] || fail "runc did not say '$words': $stderr"
		fi
		i=$((i + 1))
	done
	assert_nothing_left
}

@test "run: a program whose interpreter is missing fails after start in runc's words, with runc's status" {
	printf '#!/no/such/interpreter\necho hi\n' >"$BUNDLE/rootfs/bad-interpreter"
	chmod 755 "$BUNDLE/rootfs/bad-interpreter"
	set_args /bad-interpreter
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_equal "$status" 1
	assert_equal "$stderr" "box: exec /bad-interpreter: no such file or directory"
	if runc_available; then
		run --separate-stderr runc_ref run --bundle "$(runc_bundle)" "$CID-runc"
		assert_equal "$status" 1
		assert_equal "$stderr" "exec /bad-interpreter: no such file or directory"
	fi
	assert_nothing_left
}

@test "run: a process.cwd that does not exist is created (as runc); one that is a file is an error" {
	set_args sh -c 'pwd > /pwd'
	update_config '.process.cwd = "/no/such/dir"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$(cat "$BUNDLE/rootfs/pwd")" /no/such/dir
	update_config '.process.cwd = "/etc/passwd"'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID-file"
	assert_box_error '"/etc/passwd"'
	[[ "$stderr" == *"ot a directory"* ]] || fail "no 'not a directory' in: $stderr"
	if runc_available; then
		run --separate-stderr runc_ref run --bundle "$(runc_bundle)" "$CID-runc"
		assert_equal "$status" 1
		[[ "$stderr" == *"/etc/passwd: not a directory"* ]] || fail "runc said: $stderr"
	fi
	assert_nothing_left
}

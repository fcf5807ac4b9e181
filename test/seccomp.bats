#!/usr/bin/env bats
# linux.seccomp: the filter as the checker sees it, errno/kill/trap actions,
# argument conditions, rejected input, and SCMP_ACT_NOTIFY with an agent on
# linux.seccomp.listenerPath (box-seccomp-agent).

load helpers

setup() {
	requires seccomp
	box_setup
	setup_bundle
	setup_checker
}

teardown() {
	local rc=0
	box_teardown || rc=$?
	stop_agent
	return "$rc"
}

# seccomp_syscalls RULES-JSON: defaultAction ALLOW plus RULES.
seccomp_syscalls() {
	update_config ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: $1}"
}

# busybox mkdir calls mkdir(2) or mkdirat(2) depending on how it was built.
MKDIR='["mkdir", "mkdirat"]'

@test "seccomp: the checker sees seccomp mode 2 and the rest of the spec" {
	seccomp_syscalls "[{names: $MKDIR, action: \"SCMP_ACT_ERRNO\"}]"
	run_checker
}

@test "seccomp: an errno rule fails that syscall with errnoRet, the others work" {
	seccomp_syscalls "[{names: $MKDIR, action: \"SCMP_ACT_ERRNO\", errnoRet: 38}]"
	set_args sh -c 'mkdir /tmp/denied; echo "mkdir status $?"; touch /tmp/allowed && echo touched'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --partial "Function not implemented"
	assert_line "mkdir status 1"
	assert_line touched
	assert_not_exists "$BUNDLE/rootfs/tmp/denied"
	assert_file_exists "$BUNDLE/rootfs/tmp/allowed"
}

@test "seccomp: an errno rule without errnoRet gives EPERM" {
	seccomp_syscalls "[{names: $MKDIR, action: \"SCMP_ACT_ERRNO\"}]"
	set_args mkdir /tmp/denied
	run box run --bundle "$BUNDLE" "$CID"
	assert_failure 1
	assert_output --partial "Operation not permitted"
	assert_not_exists "$BUNDLE/rootfs/tmp/denied"
}

@test "seccomp: defaultAction ERRNO with defaultErrnoRet, every other syscall allowed" {
	local header=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
	[[ "$(uname -m)" == x86_64 && -r "$header" ]] || skip "needs x86_64 and $header for the syscall list"
	local names
	names="$(awk '/^#define __NR_/ {sub(/^__NR_/, "", $2); print $2}' "$header" |
		grep -vxE 'mkdir|mkdirat' | jq -R . | jq -sc .)"
	update_config ".linux.seccomp = {defaultAction: \"SCMP_ACT_ERRNO\", defaultErrnoRet: 38,
		architectures: [\"SCMP_ARCH_X86_64\"],
		syscalls: [{names: $names, action: \"SCMP_ACT_ALLOW\"}]}"
	set_args sh -c 'mkdir /tmp/denied; touch /tmp/allowed && echo touched'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --partial "Function not implemented"
	assert_line touched
	assert_not_exists "$BUNDLE/rootfs/tmp/denied"
}

# Sends SIGHUP (1), SIGUSR1 (10) and SIGUSR2 (12) to itself (ignored) and
# prints which kill(2) calls the filter refused.
kill_probe() {
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'trap "" HUP USR1 USR2
		for s in HUP USR1 USR2; do
			if kill -s $s $$ 2>/dev/null; then echo "$s sent"; else echo "$s denied"; fi
		done'
}

@test "seccomp: argument conditions, one operator at a time" {
	kill_probe
	local op value two expect
	while read -r op value two expect; do
		seccomp_syscalls "[{names: [\"kill\"], action: \"SCMP_ACT_ERRNO\",
			args: [{index: 1, value: $value, valueTwo: $two, op: \"$op\"}]}]"
		run box run --bundle "$BUNDLE" "$CID"
		assert_success
		assert_equal "$(awk '/denied/ {print $1}' <<<"$output" | xargs)" "$expect"
	done <<-'EOF'
		SCMP_CMP_EQ 10 0 USR1
		SCMP_CMP_NE 10 0 HUP USR2
		SCMP_CMP_LT 10 0 HUP
		SCMP_CMP_LE 10 0 HUP USR1
		SCMP_CMP_GT 10 0 USR2
		SCMP_CMP_GE 10 0 USR1 USR2
		SCMP_CMP_MASKED_EQ 1 1 HUP
		SCMP_CMP_MASKED_EQ 12 8 USR1
	EOF
}

@test "seccomp: conditions on two arguments must both hold" {
	kill_probe
	# kill(pid 1, SIGUSR2) only: the container's shell is pid 1
	seccomp_syscalls '[{names: ["kill"], action: "SCMP_ACT_ERRNO",
		args: [{index: 0, value: 1, op: "SCMP_CMP_EQ"}, {index: 1, value: 12, op: "SCMP_CMP_EQ"}]}]'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line "HUP sent"
	assert_line "USR1 sent"
	assert_line "USR2 denied"
}

@test "seccomp: a KILL rule kills the process with SIGSYS and run exits 159" {
	local action
	for action in SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_KILL_PROCESS SCMP_ACT_TRAP; do
		seccomp_syscalls "[{names: $MKDIR, action: \"$action\"}]"
		set_args mkdir /tmp/killed
		run box run --bundle "$BUNDLE" "$CID"
		[[ "$status" -eq 159 ]] || fail "$action: expected exit status 159, got $status: $output"
		assert_not_exists "$BUNDLE/rootfs/tmp/killed"
		assert_nothing_left
	done
}

@test "seccomp: a KILL rule kills a child, its shell goes on" {
	seccomp_syscalls "[{names: $MKDIR, action: \"SCMP_ACT_KILL_PROCESS\"}]"
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c '/bin/mkdir /tmp/killed & wait $!; echo "child status $?"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line "child status 159"
}

@test "seccomp: ALLOW and LOG rules let the syscall through" {
	local action
	for action in SCMP_ACT_ALLOW SCMP_ACT_LOG; do
		seccomp_syscalls "[{names: $MKDIR, action: \"$action\"}]"
		set_args mkdir "/tmp/made-$action"
		run box run --bundle "$BUNDLE" "$CID"
		assert_success
		assert_dir_exists "$BUNDLE/rootfs/tmp/made-$action"
	done
}

@test "seccomp: a TRACE rule without a tracer fails the syscall with ENOSYS" {
	seccomp_syscalls "[{names: $MKDIR, action: \"SCMP_ACT_TRACE\"}]"
	set_args mkdir /tmp/traced
	run box run --bundle "$BUNDLE" "$CID"
	assert_failure 1
	assert_output --partial "Function not implemented"
	assert_not_exists "$BUNDLE/rootfs/tmp/traced"
}

@test "seccomp: unknown syscall names are skipped, the rest of the rule applies" {
	seccomp_syscalls '[{names: ["box_no_such_syscall", "mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38}]'
	set_args mkdir /tmp/denied
	run box run --bundle "$BUNDLE" "$CID"
	assert_failure 1
	assert_output --partial "Function not implemented"
}

@test "seccomp: architectures and flags" {
	[[ "$(uname -m)" == x86_64 ]] || skip "x86_64 architectures"
	update_config ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\",
		architectures: [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],
		flags: [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", \"SECCOMP_FILTER_FLAG_LOG\"],
		syscalls: [{names: $MKDIR, action: \"SCMP_ACT_ERRNO\"}]}"
	run_checker
	set_args mkdir /tmp/denied
	run box run --bundle "$BUNDLE" "$CID"
	assert_failure 1
	assert_output --partial "Operation not permitted"
}

@test "seccomp: the filter is loaded after the runtime's own setup" {
	# Everything the runtime does in the container is refused to the container process.
	seccomp_syscalls '[{names: ["mount", "umount2", "pivot_root", "sethostname", "setdomainname",
		"unshare", "setns", "chdir", "capset", "setresuid", "setresgid", "setgroups", "prctl",
		"close_range", "openat2", "mknodat", "symlinkat", "mkdirat"], action: "SCMP_ACT_ERRNO"}]'
	update_config '.process.noNewPrivileges = true | .domainname = "example.org"'
	run_checker
}

@test "seccomp: without noNewPrivileges the filter is still loaded" {
	seccomp_syscalls "[{names: $MKDIR, action: \"SCMP_ACT_ERRNO\"}]"
	update_config '.process.noNewPrivileges = false'
	run_checker
	set_args mkdir /tmp/denied
	run box run --bundle "$BUNDLE" "$CID"
	assert_failure 1
	assert_output --partial "Operation not permitted"
}

@test "seccomp: a process started with exec is filtered too" {
	seccomp_syscalls "[{names: $MKDIR, action: \"SCMP_ACT_ERRNO\", errnoRet: 38}]"
	set_args sleep 1000
	start_container
	run box exec "$CID" mkdir /tmp/denied
	assert_failure 1
	assert_output --partial "Function not implemented"
	run box exec "$CID" grep '^Seccomp:' /proc/self/status
	assert_success
	assert_output --regexp '^Seccomp:[[:space:]]+2$'
}

@test "seccomp: box spec writes no seccomp section" {
	local dir="$BATS_TEST_TMPDIR/fresh"
	mkdir -p "$dir"
	"$BOX_BIN" spec --bundle "$dir"
	run jq -c '.linux.seccomp' "$dir/config.json"
	assert_success
	assert_output null
}

@test "seccomp: features lists the actions, operators and architectures" {
	run "$BOX_BIN" features
	assert_success
	local j="$output"
	run jq -r '.linux.seccomp.enabled' <<<"$j"
	assert_output true
	local name
	for name in SCMP_ACT_ERRNO SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP \
		SCMP_ACT_ALLOW SCMP_ACT_LOG SCMP_ACT_TRACE SCMP_ACT_NOTIFY; do
		jq -e --arg n "$name" '.linux.seccomp.actions | index($n)' <<<"$j" >/dev/null ||
			fail "features: action $name missing"
	done
	for name in SCMP_CMP_EQ SCMP_CMP_NE SCMP_CMP_LT SCMP_CMP_LE SCMP_CMP_GT SCMP_CMP_GE SCMP_CMP_MASKED_EQ; do
		jq -e --arg n "$name" '.linux.seccomp.operators | index($n)' <<<"$j" >/dev/null ||
			fail "features: operator $name missing"
	done
	jq -e '.linux.seccomp.archs | index("SCMP_ARCH_X86_64")' <<<"$j" >/dev/null || fail "features: SCMP_ARCH_X86_64 missing"
}

# bad_seccomp SECCOMP-JSON MESSAGE: create fails with MESSAGE, nothing left.
bad_seccomp() {
	update_config ".linux.seccomp = $1"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "$2"
	assert_nothing_left
}

@test "seccomp: an unknown action is rejected" {
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_FOO"}]}' \
		'linux.seccomp.syscalls[0].action: unknown seccomp action "SCMP_ACT_FOO"'
}

@test "seccomp: an unknown defaultAction is rejected" {
	bad_seccomp '{defaultAction: "SCMP_ACT_NOPE"}' 'linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NOPE"'
}

@test "seccomp: an argument index out of range is rejected" {
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["kill"], action: "SCMP_ACT_ERRNO",
		args: [{index: 7, value: 1, op: "SCMP_CMP_EQ"}]}]}' \
		'linux.seccomp.syscalls[0].args[0].index'
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["kill"], action: "SCMP_ACT_ERRNO",
		args: [{index: 6, value: 1, op: "SCMP_CMP_EQ"}]}]}' \
		'linux.seccomp.syscalls[0].args[0].index'
}

@test "seccomp: an unknown operator is rejected" {
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["kill"], action: "SCMP_ACT_ERRNO",
		args: [{index: 1, value: 1, op: "SCMP_CMP_FOO"}]}]}' \
		'linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_FOO"'
}

@test "seccomp: an unknown architecture or flag is rejected" {
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_NOPE"]}' \
		'linux.seccomp.architectures[0]: unknown seccomp architecture "SCMP_ARCH_NOPE"'
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_NOPE"]}' \
		'linux.seccomp.flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_NOPE"'
}

# ---------------------------------------------------------------------------
# SCMP_ACT_NOTIFY: box hands the filter's listener, with the container process
# state, to the agent on linux.seccomp.listenerPath. box-seccomp-agent (built
# next to box) answers mkdir/mkdirat with --mkdir-errno and lets every other
# notified syscall through.
# ---------------------------------------------------------------------------

SECCOMP_AGENT_BIN="${SECCOMP_AGENT_BIN:-$(dirname "$BOX_BIN")/box-seccomp-agent}"

# start_agent [AGENT-OPTION...]: the agent in the background, listening on
# $AGENT_SOCK and writing each container process state it gets as one line
# of $AGENT_STATES.
start_agent() {
	[[ -x "$SECCOMP_AGENT_BIN" ]] ||
		fail "box-seccomp-agent not found at $SECCOMP_AGENT_BIN: run make (or set SECCOMP_AGENT_BIN)"
	AGENT_SOCK="$BATS_TEST_TMPDIR/agent.sock"
	AGENT_STATES="$BATS_TEST_TMPDIR/agent-states"
	"$SECCOMP_AGENT_BIN" --wait-ms 55000 "$@" "$AGENT_SOCK" "$AGENT_STATES" \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/agent.err" 3>&- &
	AGENT_PID=$!
	wait_for_file "$AGENT_SOCK"
}

# stop_agent [SIGNAL]: ends the agent started by start_agent (if any). With
# KILL its socket stays behind, refusing connections.
stop_agent() {
	[[ -n "${AGENT_PID:-}" ]] || return 0
	kill -s "${1:-TERM}" "$AGENT_PID" 2>/dev/null || true
	wait "$AGENT_PID" 2>/dev/null || true
	AGENT_PID=""
}

# notify_mkdir [LISTENER-PATH]: mkdir and mkdirat notify the listener
# (default $AGENT_SOCK); listenerMetadata names the container.
notify_mkdir() {
	local path="${1:-$AGENT_SOCK}"
	update_config ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", listenerPath: \"$path\",
		listenerMetadata: \"metadata of $CID\", syscalls: [{names: $MKDIR, action: \"SCMP_ACT_NOTIFY\"}]}"
}

# agent_state N: prints the Nth container process state the agent received.
agent_state() {
	retry 5 file_has_lines "$AGENT_STATES" "$1" || fail "the agent did not receive state $1: $(cat "$BATS_TEST_TMPDIR/agent.err")"
	sed -n "$1p" "$AGENT_STATES"
}

@test "seccomp notify: a notified mkdir fails with the agent's errno, with and without noNewPrivileges" {
	start_agent --mkdir-errno 123 # ENOMEDIUM
	notify_mkdir
	set_args sh -c 'mkdir /tmp/x; echo "mkdir status $?"; touch /tmp/allowed && echo touched'
	local nnp
	for nnp in true false; do
		update_config ".process.noNewPrivileges = $nnp"
		run box run --bundle "$BUNDLE" "$CID"
		assert_success
		assert_line --partial "can't create directory '/tmp/x': No medium found"
		assert_line "mkdir status 1"
		assert_line touched
		assert_not_exists "$BUNDLE/rootfs/tmp/x"
		assert_file_exists "$BUNDLE/rootfs/tmp/allowed"
		rm -f "$BUNDLE/rootfs/tmp/allowed"
	done
	assert_nothing_left
}

@test "seccomp notify: a process that runs as another user hands its listener over too" {
	requires root
	start_agent --mkdir-errno 123
	notify_mkdir
	set_args sh -c 'id -u; mkdir /tmp/x; echo "mkdir status $?"'
	local nnp
	for nnp in true false; do
		update_config ".process.noNewPrivileges = $nnp | .process.user = {uid: 1000, gid: 1000}"
		run box run --bundle "$BUNDLE" "$CID"
		assert_success
		assert_line 1000
		assert_line --partial "No medium found"
		assert_line "mkdir status 1"
	done
}

@test "seccomp notify: the agent can make a syscall succeed without doing it" {
	start_agent --mkdir-errno 0
	notify_mkdir
	set_args sh -c 'mkdir /tmp/y && echo "mkdir said yes"; [ -d /tmp/y ] || echo "no /tmp/y"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line "mkdir said yes"
	assert_line "no /tmp/y"
}

@test "seccomp notify: the agent gets the container process state; the container keeps no listener" {
	start_agent
	notify_mkdir
	set_args sleep 1000
	create_container
	local pid state created_comm
	pid="$(container_pid "$CID")"
	created_comm="$(cat "/proc/$pid/comm")"
	state="$(agent_state 1)"
	run jq -c '[.fds, .pid, .metadata, .state.id, .state.pid, .state.status, .state.bundle]' <<<"$state"
	assert_output "$(jq -cn --argjson pid "$pid" --arg id "$CID" --arg bundle "$BUNDLE" \
		'[["seccompFd"], $pid, "metadata of \($id)", $id, $pid, "creating", $bundle]')"
	run jq -r '.ociVersion' <<<"$state"
	assert_output --regexp '^1\.[0-9]+\.[0-9]+'
	box start "$CID"
	wait_for_status "$CID" running
	wait_for_exec "$pid" "$created_comm"
	# neither the container's process nor box holds the listener: only the agent
	fd_list "$pid" >"$BATS_TEST_TMPDIR/fds"
	run grep -c seccomp "$BATS_TEST_TMPDIR/fds"
	assert_output 0
	[[ -z "$(box_pids_for_root)" ]] || fail "box processes still running: $(box_pids_for_root)"
	run grep -c seccomp <(fd_list "$AGENT_PID")
	assert_output 1
	run box exec "$CID" mkdir /tmp/denied
	assert_failure 1
	assert_output --partial "Operation not permitted"
}

@test "seccomp notify: a process started with exec hands its own listener to the agent" {
	start_agent --mkdir-errno 123
	notify_mkdir
	set_args sleep 1000
	start_container
	local pid
	pid="$(container_pid "$CID")"
	run box exec "$CID" sh -c 'mkdir /tmp/e; echo "mkdir status $?"'
	assert_success
	assert_line --partial "No medium found"
	assert_line "mkdir status 1"
	local state
	state="$(agent_state 2)"
	run jq -c '[.fds, .pid != '"$pid"', .metadata, .state.id, .state.pid, .state.status]' <<<"$state"
	assert_output "$(jq -cn --argjson pid "$pid" --arg id "$CID" \
		'[["seccompFd"], true, "metadata of \($id)", $id, $pid, "running"]')"
}

@test "seccomp notify: no socket at listenerPath is a clear error, and nothing is left" {
	local sock="$BATS_TEST_TMPDIR/no-agent.sock"
	notify_mkdir "$sock"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "linux.seccomp.listenerPath \"$sock\": connecting: No such file or directory"
	assert_nothing_left
	set_args true
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_box_error "linux.seccomp.listenerPath \"$sock\": connecting: No such file or directory"
	assert_nothing_left
}

@test "seccomp notify: a listener that refuses is a clear error for create and exec" {
	start_agent
	notify_mkdir
	set_args sleep 1000
	start_container
	local pid
	pid="$(container_pid "$CID")"
	stop_agent KILL
	assert_exists "$AGENT_SOCK"
	run --separate-stderr box exec "$CID" true
	assert_box_error -255 "linux.seccomp.listenerPath \"$AGENT_SOCK\": connecting: Connection refused"
	# the exec'd process is gone: only the init runs in the container
	assert_equal "$(stray_pids | xargs)" "$pid"
	box delete --force "$CID"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "linux.seccomp.listenerPath \"$AGENT_SOCK\": connecting: Connection refused"
	assert_nothing_left
}

@test "seccomp notify: SCMP_ACT_NOTIFY without listenerPath is rejected" {
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		'config.json: linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY'
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "",
		syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		'config.json: linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY'
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: 7,
		syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		'config.json: linux.seccomp.listenerPath: expected string'
}

@test "seccomp notify: SCMP_ACT_NOTIFY as defaultAction or for sendmsg is rejected" {
	bad_seccomp '{defaultAction: "SCMP_ACT_NOTIFY", listenerPath: "/tmp/agent.sock"}' \
		'config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as the default action'
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/tmp/agent.sock",
		syscalls: [{names: ["mkdir", "sendmsg"], action: "SCMP_ACT_NOTIFY"}]}' \
		'config.json: linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for sendmsg'
}

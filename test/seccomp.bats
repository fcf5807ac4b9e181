#!/usr/bin/env bats
# linux.seccomp: the filter as the checker sees it, errno/kill/trap actions,
# argument conditions, and rejected input.

load helpers

setup() {
	requires seccomp
	box_setup
	setup_bundle
	setup_checker
}

teardown() {
	box_teardown
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
		SCMP_ACT_ALLOW SCMP_ACT_LOG SCMP_ACT_TRACE; do
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

@test "seccomp: SCMP_ACT_NOTIFY is refused with a clear error" {
	bad_seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		'linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY'
}

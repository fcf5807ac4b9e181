#!/usr/bin/env bats
# Every rejected input across the runtime in one place (issue 8): bad
# config.json fields, bundles, container ids, wrong statuses, and bad flags
# and values of every command. Each test checks the exit status (1, or 2 for
# usage errors), the one line on stderr naming the field, file or id (the
# messages of docs/cli-contract.md), and that nothing was left behind.

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

# last_index JQ-PATH: index of the last element of an array in config.json
# (for entries appended with +=, whose index depends on the spec).
last_index() {
	jq "$1 | length - 1" "$BUNDLE/config.json"
}

# with_user_namespace: the config has a user namespace (the rootless spec
# has one already), for the id mapping tests.
with_user_namespace() {
	update_config '.linux.namespaces |= (map(select(.type != "user")) + [{type: "user"}])'
}

# start_and_snapshot: starts $CID and remembers the processes in its rootfs,
# for assert_unchanged_and_nothing_left.
start_and_snapshot() {
	start_container
	PROCS_BEFORE="$(stray_pids)"
	[[ -n "$PROCS_BEFORE" ]] || fail "no process of the container found in $BUNDLE/rootfs"
}

# assert_unchanged_and_nothing_left [STATUS]: after a rejected command on
# $CID: the container is still STATUS (default running) with the same
# processes as before (none started, none killed), and deleting it leaves
# nothing behind.
assert_unchanged_and_nothing_left() {
	assert_equal "$(state_field "$CID" status)" "${1:-running}"
	assert_equal "$(stray_pids)" "${PROCS_BEFORE-}"
	box delete --force "$CID" || fail "box delete --force $CID failed"
	assert_nothing_left
}

# exec_process_fails JSON MESSAGE: on a running $CID, `box exec --process
# FILE` with JSON in FILE fails (255) with "FILE: MESSAGE", and the container
# is unchanged ($stderr stays for more checks).
exec_process_fails() {
	start_and_snapshot
	local f="$BATS_TEST_TMPDIR/process.json"
	printf '%s\n' "$1" >"$f"
	run --separate-stderr box exec --process "$f" "$CID"
	assert_box_error -255 "$f: $2"
	assert_unchanged_and_nothing_left
}

# box_root ROOT ARGS...: like box, but with --root ROOT instead of the
# test's state dir.
box_root() {
	local root="$1" f="$BATS_TEST_TMPDIR/.box-root.$BASHPID.${EPOCHREALTIME/./}" rc=0
	shift
	timeout -k 5 "$BOX_CMD_TIMEOUT" "$BOX_BIN" --root "$root" "$@" >"$f.out" 2>"$f.err" || rc=$?
	[[ ! -s "$f.out" ]] || cat "$f.out"
	[[ ! -s "$f.err" ]] || cat "$f.err" >&2
	return "$rc"
}

# --- config.json: syntax and types ------------------------------------------

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

# --- config.json: process ---------------------------------------------------

@test "process.cwd: relative path" {
	update_config '.process.cwd = "tmp"'
	create_fails "config.json: process.cwd: must be an absolute path"
}

@test "process.user.uid: negative" {
	update_config '.process.user.uid = -1'
	create_fails "config.json: process.user.uid: must not be negative"
}

# Ids above 2^31-1 are refused, as runc refuses them: 4294967295 is (uid_t)-1,
# which setresuid, setgroups and chown take as "leave unchanged" (the process
# would keep running as root).
@test "process.user.uid: 4294967295 ((uid_t)-1) is out of range" {
	update_config '.process.user.uid = 4294967295'
	create_fails "config.json: process.user.uid: must be in range 0-2147483647, got 4294967295"
}

@test "process.user.gid: 2147483648 is out of range" {
	update_config '.process.user.gid = 2147483648'
	create_fails "config.json: process.user.gid: must be in range 0-2147483647, got 2147483648"
}

@test "process.user.additionalGids: 4294967295 is out of range" {
	update_config '.process.user.additionalGids = [10, 4294967295]'
	create_fails "config.json: process.user.additionalGids[1]: must be in range 0-2147483647, got 4294967295"
}

@test "linux.devices: a uid of 4294967295 is out of range" {
	update_config '.linux.devices = [{path: "/dev/boxnull", type: "c", major: 1, minor: 3, uid: 4294967295}]'
	create_fails "config.json: linux.devices[0].uid: must be in range 0-2147483647, got 4294967295"
}

@test "process.rlimits: unknown type" {
	update_config '.process.rlimits = [{type: "RLIMIT_NO_SUCH", soft: 1, hard: 1}]'
	create_fails 'config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_NO_SUCH"'
}

@test "process.rlimits: soft limit above the hard limit" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 100, hard: 10}]'
	create_fails "config.json: process.rlimits[0]: soft limit 100 is above hard limit 10"
}

@test "process.terminal true without --console-socket" {
	update_config '.process.terminal = true'
	create_fails "config.json: process.terminal is true but no --console-socket was given"
}

# box applies no LSM profile or label yet, on any host: refused, not ignored
@test "process.apparmorProfile: refused (box does not apply AppArmor profiles)" {
	update_config '.process.apparmorProfile = "box-test"'
	create_fails "config.json: process.apparmorProfile: is set, but "
}

@test "process.selinuxLabel: refused (box does not apply SELinux labels)" {
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
	create_fails "config.json: process.selinuxLabel: is set, but "
}

# --- config.json: seccomp ---------------------------------------------------

@test "linux.seccomp.defaultAction: unknown action" {
	requires seccomp
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_NO_SUCH"}'
	create_fails 'config.json: linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NO_SUCH"'
}

@test "linux.seccomp.syscalls: unknown action" {
	requires seccomp
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getcwd"], action: "SCMP_ACT_NO_SUCH"}]}'
	create_fails 'config.json: linux.seccomp.syscalls[0].action: unknown seccomp action "SCMP_ACT_NO_SUCH"'
}

@test "linux.seccomp.architectures: unknown architecture" {
	requires seccomp
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_NO_SUCH"]}'
	create_fails 'config.json: linux.seccomp.architectures[0]: unknown seccomp architecture "SCMP_ARCH_NO_SUCH"'
}

@test "linux.seccomp.syscalls: argument index above 5" {
	requires seccomp
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getcwd"], action: "SCMP_ACT_ERRNO",
			args: [{index: 6, value: 1, op: "SCMP_CMP_EQ"}]}]}'
	create_fails "config.json: linux.seccomp.syscalls[0].args[0].index: syscall argument index must be between 0 and 5"
}

@test "linux.seccomp.syscalls: unknown argument operator" {
	requires seccomp
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getcwd"], action: "SCMP_ACT_ERRNO",
			args: [{index: 0, value: 1, op: "SCMP_CMP_NO_SUCH"}]}]}'
	create_fails 'config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_NO_SUCH"'
}

# --- config.json: linux -----------------------------------------------------

@test "linux.sysctl: a key that is not namespaced (vm.swappiness)" {
	update_config '.linux.sysctl = {"vm.swappiness": "10"}'
	create_fails 'config.json: linux.sysctl: "vm.swappiness" is not namespaced and would change the host'
}

@test "linux.cgroupsPath: containing .." {
	update_config ".linux.cgroupsPath = \"/box/../escape-$CID\""
	create_fails "config.json: linux.cgroupsPath \"/box/../escape-$CID\": must not contain \"..\""
}

@test "--systemd-cgroup on a host without systemd: names what is missing" {
	[[ ! -d /run/systemd/system ]] || skip "requires a host without systemd (no /run/systemd/system)"
	run --separate-stderr box --systemd-cgroup create --bundle "$BUNDLE" "$CID"
	assert_box_error '--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), cannot use the systemd cgroup driver'
	assert_nothing_left
	run --separate-stderr box --systemd-cgroup run --bundle "$BUNDLE" "$CID"
	assert_box_error '--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), cannot use the systemd cgroup driver'
	assert_nothing_left
}

@test "linux.rootfsPropagation: unknown propagation" {
	update_config '.linux.rootfsPropagation = "sideways"'
	create_fails 'config.json: linux.rootfsPropagation: unknown propagation "sideways"'
}

@test "linux.devices: unknown type" {
	update_config '.linux.devices = [{path: "/dev/box-test", type: "x", major: 1, minor: 3}]'
	create_fails 'config.json: linux.devices[0].type: unknown device type "x"'
}

@test "linux.devices: relative path" {
	update_config '.linux.devices = [{path: "dev/box-test", type: "c", major: 1, minor: 3}]'
	create_fails "config.json: linux.devices[0].path: must be an absolute path"
}

@test "linux.uidMappings: zero size" {
	with_user_namespace
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 0}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	create_fails "config.json: linux.uidMappings[0].size: mapping size must be greater than zero"
}

@test "linux.uidMappings: ranges overlapping in their container ids" {
	with_user_namespace
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1000},
			{containerID: 500, hostID: 200000, size: 1000}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	create_fails "config.json: linux.uidMappings: ranges 0 (0 100000 1000) and 1 (500 200000 1000) overlap in their container ids"
}

@test "linux.gidMappings: ranges overlapping in their host ids" {
	with_user_namespace
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 1000},
			{containerID: 2000, hostID: 100500, size: 1000}]'
	create_fails "config.json: linux.gidMappings: ranges 0 (0 100000 1000) and 1 (2000 100500 1000) overlap in their host ids"
}

@test "linux.namespaces: duplicate type" {
	update_config '.linux.namespaces += [{type: "pid"}]'
	local n
	n="$(last_index .linux.namespaces)"
	create_fails "config.json: linux.namespaces[$n].type: duplicate namespace type \"pid\""
}

@test "linux.namespaces: a path that does not exist" {
	local ns="$BATS_TEST_TMPDIR/no-such-ns"
	update_config "(.linux.namespaces[] | select(.type == \"ipc\")).path = \"$ns\""
	create_fails "linux.namespaces: ipc namespace path \"$ns\": No such file or directory"
}

# Without a uts namespace of its own, setdomainname would rename the host's
# domain. (Run in a uts namespace of the test's own, so that a runtime that
# does it anyway renames only that one.)
# box_in_own_uts ARGS...: box in a new uts namespace (output through files, as
# in box: a container that starts must not hold bats' pipe).
box_in_own_uts() {
	local f="$BATS_TEST_TMPDIR/.uts-box" rc=0
	record_ids "$@"
	unshare --uts "$BOX_BIN" --root "$BOX_ROOT" "$@" >"$f.out" 2>"$f.err" </dev/null || rc=$?
	cat "$f.out"
	cat "$f.err" >&2
	return "$rc"
}

@test "domainname without a uts namespace, or in the runtime's own" {
	requires root
	update_config 'del(.hostname) | .domainname = "box.example" | .linux.namespaces |= map(select(.type != "uts"))'
	run --separate-stderr box_in_own_uts create --bundle "$BUNDLE" "$CID"
	assert_box_error "config.json: domainname: setting it needs a uts namespace in linux.namespaces"
	assert_nothing_left
	update_config ".linux.namespaces += [{type: \"uts\", path: \"/proc/self/ns/uts\"}]"
	run --separate-stderr box_in_own_uts create --bundle "$BUNDLE" "$CID"
	assert_box_error "config.json: domainname: needs a uts namespace of its own: \"/proc/self/ns/uts\" is the runtime's own (the host's)"
	assert_nothing_left
}

@test "hostname without a uts namespace" {
	update_config '.hostname = "box" | .linux.namespaces |= map(select(.type != "uts"))'
	create_fails "config.json: hostname: setting it needs a uts namespace in linux.namespaces"
}

@test "linux.intelRdt: not supported" {
	update_config '.linux.intelRdt = {closID: "box-test"}'
	create_fails "config.json: linux.intelRdt: not supported by box"
}

# --- config.json: resources -------------------------------------------------

@test "linux.resources.memory.limit: negative (-5)" {
	update_config '.linux.resources.memory = {limit: -5}'
	create_fails "config.json: linux.resources.memory.limit: must be -1 (unlimited) or a non-negative number of bytes"
}

@test "linux.resources.cpu.cpus: not a cpu list" {
	update_config '.linux.resources.cpu = {cpus: "0-x"}'
	create_fails 'config.json: linux.resources.cpu.cpus: must be a list like "0-3,5", got "0-x"'
}

@test "linux.resources.cpu.shares: a string" {
	update_config '.linux.resources.cpu = {shares: "1024"}'
	create_fails "config.json: linux.resources.cpu.shares: expected integer, got string"
}

@test "linux.resources.unified on a host that is not pure cgroup v2" {
	requires cgroup_v1
	update_config '.linux.resources.unified = {"pids.max": "10"}'
	create_fails "linux.resources.unified: invalid configuration: cannot use unified on cgroup v1"
}

# --- config.json: hooks -----------------------------------------------------

@test "hooks: relative path" {
	update_config '.hooks = {prestart: [{path: "bin/true"}]}'
	create_fails "config.json: hooks.prestart[0].path: must be an absolute path"
	update_config '.hooks = {createRuntime: [{path: "/bin/true"}, {path: "true"}]}'
	create_fails "config.json: hooks.createRuntime[1].path: must be an absolute path"
}

# --- bundle, root and mounts ------------------------------------------------

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

@test "root.path missing" {
	update_config 'del(.root.path)'
	create_fails "config.json: root.path: required field is missing"
}

@test "mounts: bind mount source that does not exist" {
	local src="$BATS_TEST_TMPDIR/no-such-source"
	update_config ".mounts += [{destination: \"/mnt\", source: \"$src\", type: \"bind\", options: [\"rbind\"]}]"
	local n
	n="$(last_index .mounts)"
	create_fails "config.json: mounts[$n].source: \"$src\" does not exist"
}

@test "mounts: an option box does not know is refused, not ignored" {
	local opt n
	for opt in nosuch ridmap; do
		cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
		update_config ".mounts += [{destination: \"/mnt\", type: \"bind\", source: \"$BUNDLE\", options: [\"rbind\", \"rro\", \"$opt\"]}]"
		n="$(last_index .mounts)"
		create_fails "config.json: mounts[$n].options[2]: unknown mount option \"$opt\""
		cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	done
}

@test "executable not found (absolute path): create fails naming it" {
	set_args /bin/no-such-program arg
	create_fails 'exec: "/bin/no-such-program": stat /bin/no-such-program: no such file or directory'
}

@test "executable not found (PATH lookup): run fails naming it" {
	set_args no-such-program
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_box_error 'exec: "no-such-program": executable file not found in $PATH'
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

# --- command line: kill -----------------------------------------------------

@test "kill: signal number out of range" {
	start_and_snapshot
	local sig
	# SIGRTMAX is 64 on Linux
	for sig in 65 99; do
		run --separate-stderr box kill "$CID" "$sig"
		assert_box_error "unknown signal \"$sig\""
	done
	assert_unchanged_and_nothing_left
}

# --- command line: list, ps, events -----------------------------------------

@test "list --format yaml is a usage error" {
	run --separate-stderr box list --format yaml
	assert_box_error -2 'list: unknown format "yaml" (table or json)'
	assert_nothing_left
}

@test "ps --format yaml is a usage error" {
	start_and_snapshot
	run --separate-stderr box ps --format yaml "$CID"
	assert_box_error -2 'ps: unknown format "yaml" (table or json)'
	assert_unchanged_and_nothing_left
}

@test "events --interval abc is a usage error" {
	start_and_snapshot
	run --separate-stderr box events --interval abc "$CID"
	assert_box_error -2 '--interval: invalid duration "abc"'
	assert_unchanged_and_nothing_left
}

# --- command line: update ---------------------------------------------------

@test "update --resources: a file that does not exist" {
	start_and_snapshot
	local f="$BATS_TEST_TMPDIR/no-such-resources.json"
	run --separate-stderr box update --resources "$f" "$CID"
	assert_box_error "--resources \"$f\": No such file or directory"
	assert_unchanged_and_nothing_left
}

@test "update --resources: invalid JSON" {
	start_and_snapshot
	local f="$BATS_TEST_TMPDIR/resources.json"
	echo '{"memory": {"limit": }}' >"$f"
	run --separate-stderr box update --resources "$f" "$CID"
	assert_box_error "$f: invalid JSON at line 1, column "
	assert_unchanged_and_nothing_left
}

@test "update --memory abc is a usage error" {
	start_and_snapshot
	run --separate-stderr box update --memory abc "$CID"
	assert_box_error -2 '--memory: invalid size "abc"'
	assert_unchanged_and_nothing_left
}

@test "update --pids-limit abc is a usage error" {
	start_and_snapshot
	run --separate-stderr box update --pids-limit abc "$CID"
	assert_box_error -2 '--pids-limit: invalid number "abc"'
	assert_unchanged_and_nothing_left
}

# --- command line: exec -----------------------------------------------------

@test "exec --process: a file that does not exist" {
	start_and_snapshot
	local f="$BATS_TEST_TMPDIR/no-such-process.json"
	run --separate-stderr box exec --process "$f" "$CID"
	assert_box_error -255 "--process \"$f\": No such file or directory"
	assert_unchanged_and_nothing_left
}

@test "exec --process: invalid JSON" {
	exec_process_fails '{"args": ["true"],}' "invalid JSON at line 1, column "
}

@test "exec --process: a process without args" {
	exec_process_fails '{"cwd": "/", "env": ["PATH=/bin:/usr/bin"]}' "args: must be a non-empty array"
}

@test "exec --user: unknown user name" {
	start_and_snapshot
	run --separate-stderr box exec --user abc "$CID" true
	assert_box_error -255 "--user: unknown user \"abc\" in the container's /etc/passwd"
	assert_unchanged_and_nothing_left
}

@test "exec --user and --additional-gids: ids above 2147483647 are refused, nothing starts" {
	start_and_snapshot
	local flags
	for flags in "--user 4294967295" "--user 0:4294967295" "--user 2147483648:0" "-u 99999999999999999999"; do
		# shellcheck disable=SC2086 # the flag and its value are two words
		run --separate-stderr box exec $flags "$CID" id
		assert_box_error -255 "is out of range 0-2147483647"
	done
	assert_equal "${stderr_lines[0]}" 'box: --user: uid "99999999999999999999" is out of range 0-2147483647'
	for flags in "--additional-gids 4294967295" "-g -1" "-g 10 -g 2147483648"; do
		# shellcheck disable=SC2086
		run --separate-stderr box exec $flags "$CID" id
		assert_box_error -255 "--additional-gids: "
		assert_box_error -255 " is out of range 0-2147483647"
	done
	assert_unchanged_and_nothing_left
}

@test "exec --user NAME: an id above 2147483647 in the container's /etc/passwd is refused" {
	echo 'huge:x:4294967295:0:huge:/:/bin/sh' >>"$BUNDLE/rootfs/etc/passwd"
	start_and_snapshot
	run --separate-stderr box exec --user huge "$CID" id
	assert_box_error -255 "--user \"huge\": uid \"4294967295\" in the container's /etc/passwd is out of range 0-2147483647"
	assert_unchanged_and_nothing_left
}

@test "exec --process: a uid of 4294967295 is out of range" {
	exec_process_fails '{"args": ["id"], "cwd": "/", "user": {"uid": 4294967295, "gid": 0}}' \
		"user.uid: must be in range 0-2147483647, got 4294967295"
}

@test "exec --cwd: relative path is a usage error" {
	start_and_snapshot
	run --separate-stderr box exec --cwd tmp "$CID" true
	assert_box_error -255 '--cwd "tmp": must be an absolute path'
	assert_unchanged_and_nothing_left
}

@test "exec --env without = is a usage error" {
	start_and_snapshot
	run --separate-stderr box exec --env FOO "$CID" true
	assert_box_error -255 '--env "FOO": must have the form KEY=value'
	assert_unchanged_and_nothing_left
}


@test "exec --detach --tty without --console-socket is an error" {
	start_and_snapshot
	run --separate-stderr box exec --detach --tty "$CID" true
	assert_box_error -255 "exec: a terminal was requested but no --console-socket was given"
	assert_unchanged_and_nothing_left
}

@test "exec --detach --pid-file in a directory that does not exist: nothing is started" {
	start_and_snapshot
	local dir="$BATS_TEST_TMPDIR/no-such-dir"
	run --separate-stderr box exec --detach --pid-file "$dir/pid" "$CID" sleep 1000
	assert_box_error -255 "--pid-file \"$dir/pid\": No such file or directory"
	assert_unchanged_and_nothing_left
}

@test "exec on an unknown id" {
	run --separate-stderr box exec "nosuch-$CID" true
	assert_box_error -255 "container \"nosuch-$CID\" does not exist"
	assert_nothing_left
}

@test "exec on a stopped container" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	PROCS_BEFORE=""
	run --separate-stderr box exec "$CID" true
	assert_box_error -255 "cannot exec in container \"$CID\": it is stopped"
	assert_unchanged_and_nothing_left stopped
}

# --- command line: create, run, spec, --root --------------------------------

@test "create --pid-file in a directory that does not exist" {
	local dir="$BATS_TEST_TMPDIR/no-such-dir"
	run --separate-stderr box create --bundle "$BUNDLE" --pid-file "$dir/pid" "$CID"
	assert_box_error "--pid-file \"$dir/pid\": No such file or directory"
	assert_file_not_exists "$dir"
	assert_nothing_left
}

@test "run --pid-file in a directory that does not exist" {
	local dir="$BATS_TEST_TMPDIR/no-such-dir"
	run --separate-stderr box run --detach --bundle "$BUNDLE" --pid-file "$dir/pid" "$CID"
	assert_box_error "--pid-file \"$dir/pid\": No such file or directory"
	assert_file_not_exists "$dir"
	assert_nothing_left
}

@test "create --console-socket that does not exist (terminal true)" {
	update_config '.process.terminal = true'
	local sock="$BATS_TEST_TMPDIR/no-such.sock"
	run --separate-stderr box create --bundle "$BUNDLE" --console-socket "$sock" "$CID"
	assert_box_error "--console-socket \"$sock\": No such file or directory"
	assert_nothing_left
}

@test "spec into a bundle that does not exist" {
	local dir="$BATS_TEST_TMPDIR/no-such-bundle"
	run --separate-stderr box spec --bundle "$dir"
	assert_box_error "bundle \"$dir\" does not exist"
	assert_file_not_exists "$dir"
	assert_nothing_left
}

@test "spec does not overwrite an existing config.json" {
	local before
	before="$(cat "$BUNDLE/config.json")"
	run --separate-stderr box spec --bundle "$BUNDLE"
	assert_box_error "config.json already exists"
	assert_equal "$(cat "$BUNDLE/config.json")" "$before"
	assert_nothing_left
}

@test "--root pointing at a regular file: create fails naming it" {
	local f="$BATS_TEST_TMPDIR/root-file"
	: >"$f"
	record_ids create --bundle "$BUNDLE" "$CID"
	run --separate-stderr box_root "$f" create --bundle "$BUNDLE" "$CID"
	assert_box_error "cannot create state directory \"$f/$CID\": Not a directory"
	assert_nothing_left
}

@test "--root pointing at a regular file: list and state fail naming it" {
	local f="$BATS_TEST_TMPDIR/root-file"
	: >"$f"
	run --separate-stderr box_root "$f" list
	assert_box_error "--root \"$f\": Not a directory"
	run --separate-stderr box_root "$f" state "$CID"
	assert_box_error "--root \"$f\" (container \"$CID\"): Not a directory"
	assert_nothing_left
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

@test "--log-format xml is a usage error" {
	run --separate-stderr box --log-format xml create --bundle "$BUNDLE" "$CID"
	assert_box_error -2 'unknown --log-format "xml" (text or json)'
	assert_nothing_left
}

# --- input that would exhaust the runtime -------------------------------------

# nested_json N: a JSON array nested N levels deep.
nested_json() {
	head -c "$1" /dev/zero | tr '\0' '['
	head -c "$1" /dev/zero | tr '\0' ']'
}

@test "config.json nested 100000 levels deep: one line naming config.json, no crash, nothing left" {
	# in a field box does not know, which it keeps (and used to serialise into state.json)
	local cfg
	cfg="$(jq -c . "$BUNDLE/config.json")"
	printf '%s, "x": %s}\n' "${cfg%\}}" "$(nested_json 100000)" >"$BUNDLE/config.json"
	create_fails "config.json: invalid JSON at line 1, column "
	assert_regex "$stderr" 'nested deeper than [0-9]+ levels$'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_box_error "nested deeper than"
	assert_nothing_left
}

@test "exec --process nested 100000 levels deep: one line naming the file, the container is unchanged" {
	exec_process_fails "{\"args\": [\"true\"], \"cwd\": \"/\", \"x\": $(nested_json 100000)}" \
		"invalid JSON at line 1, column "
	assert_regex "$stderr" 'nested deeper than [0-9]+ levels$'
}

@test "update --resources nested 100000 levels deep: one line naming the file" {
	start_and_snapshot
	local f="$BATS_TEST_TMPDIR/resources.json"
	printf '{"x": %s}\n' "$(nested_json 100000)" >"$f"
	run --separate-stderr box update --resources "$f" "$CID"
	assert_box_error "$f: invalid JSON at line 1, column "
	assert_unchanged_and_nothing_left
}

@test "state.json nested 100000 levels deep: state names the container, list warns, delete --force removes it" {
	start_and_snapshot
	# a member the reader does not know, in front of what it does
	local f="$BOX_ROOT/$CID/state.json" text
	text="$(jq -c . "$f")"
	[[ "$text" == '{"'* ]] || fail "no JSON object in $f: $text"
	printf '{"x":%s,%s\n' "$(nested_json 100000)" "${text#\{}" >"$f.new"
	mv "$f.new" "$f"
	run --separate-stderr box state "$CID"
	assert_box_error "state of container \"$CID\" is corrupt"
	assert_regex "$stderr" 'nested deeper than [0-9]+ levels$'
	run --separate-stderr box list
	assert_success
	[[ "$stderr" == *"\"$CID\""* ]] || fail "list gives no warning about $CID: $stderr"
	box delete --force "$CID"
	assert_nothing_left
}

@test "tmpcopyup of a directory tree 3000 levels deep: copied without crashing init" {
	# perl (essential on Debian) walks down with chdir alone: a shell's cd asks for the
	# working directory each time, which is slow once it is longer than PATH_MAX
	mkdir "$BUNDLE/rootfs/deep"
	perl -e 'chdir $ARGV[0] or die "$!"; for (1 .. 3000) { mkdir "d" or die "$!"; chdir "d" or die "$!" }
		open(my $f, ">", "f") or die "$!"; print $f "bottom\n"' "$BUNDLE/rootfs/deep" ||
		fail "cannot build the deep tree"
	local chunk
	chunk="$(printf 'd/%.0s' {1..100})"
	update_config '.mounts += [{"destination": "/deep", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}]'
	# the same steps down (cd -P: the logical path would be longer than PATH_MAX)
	set_args sh -c "cd /deep || exit 1; for i in \$(seq 30); do cd -P $chunk || exit 1; done
		[ -e d ] || echo \"3000 \$(cat f)\"; grep -c ' /deep tmpfs ' /proc/self/mounts"
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 "3000 bottom"
	assert_line --index 1 1
	assert_nothing_left
}

@test "linux.resources.memory.limit too low for init's setup: says init was OOM-killed, nothing left" {
	requires root
	# one page: init is killed at its first page fault in the cgroup, long before it is set up
	update_config '.linux.resources.memory.limit = 4096'
	create_fails "the container's init was killed by the OOM killer during setup: config.json: linux.resources.memory.limit (4096 bytes) is too low"
	run --separate-stderr box run --detach --bundle "$BUNDLE" "$CID"
	assert_box_error "linux.resources.memory.limit (4096 bytes) is too low"
	assert_nothing_left
}

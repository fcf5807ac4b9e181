#!/usr/bin/env bats
# box-checker: the in-container verifier itself, and the spec fields it checks
# that no other file owns (uts, env, cwd, user, umask, rlimits, mounts,
# devices, namespaces).

load helpers

setup() {
	box_setup
	setup_bundle
	setup_checker
}

teardown() {
	box_teardown
}

# checker_rejects JQ-EXPR: runs the checker against a /spec.json edited with
# JQ-EXPR while config.json stays as it is; the checker must exit 1 with
# only "<field>: expected ..., saw ..." lines on stderr.
# shellcheck disable=SC2154 # status/stderr/stderr_lines come from bats `run`
checker_rejects() {
	jq "$1" "$BUNDLE/config.json" >"$BUNDLE/rootfs/spec.json"
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	if [[ "$status" -ne 1 ]]; then
		fail "$(printf 'expected the checker to fail (status 1), got %s\nstderr: %s' "$status" "$stderr")"
	fi
	local line
	for line in "${stderr_lines[@]}"; do
		[[ "$line" == *": expected "*", saw "* ]] || fail "not a checker line: $line"
	done
}

# stderr_has TEXT: the checker's stderr (after checker_rejects) contains TEXT.
stderr_has() {
	[[ "$stderr" == *"$1"* ]] || fail "$(printf 'checker stderr lacks: %s\nstderr: %s' "$1" "$stderr")"
}

@test "checker: box-checker is statically linked (no program interpreter)" {
	run readelf -l "$BOX_CHECKER"
	assert_success
	refute_output --partial INTERP
	refute_output --partial "program interpreter"
}

@test "checker: the default spec holds (stderr empty, exit 0)" {
	run_checker
	assert_output ""
}

@test "checker: an unreadable spec is one line on stderr and exit 1" {
	rm -f "$BUNDLE/rootfs/spec.json"
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_failure 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "${stderr_lines[0]}" 'spec: expected a readable /spec.json, saw ENOENT'
}

@test "checker: reports each mismatch on its own line" {
	checker_rejects '.hostname = "other"
		| .process.env += ["CHECKER_MISSING=1"]
		| .process.cwd = "/tmp"
		| .process.user.umask = 63
		| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 20}]
		| .process.noNewPrivileges = false'
	assert_equal "${#stderr_lines[@]}" 6
	stderr_has 'hostname: expected "other", saw "box"'
	stderr_has 'process.env: expected "CHECKER_MISSING=1", saw CHECKER_MISSING unset'
	stderr_has 'process.cwd: expected "/tmp", saw "/"'
	stderr_has 'process.user.umask: expected 077, saw 0022'
	stderr_has 'process.rlimits.RLIMIT_NOFILE: expected soft 10 hard 20, saw soft 1024 hard 1024'
	stderr_has 'process.noNewPrivileges: expected NoNewPrivs 0, saw NoNewPrivs 1'
}

@test "checker: reports capability, seccomp, sysctl, mask, read-only, mount, device and namespace mismatches" {
	checker_rejects '.process.capabilities.bounding += ["CAP_CHOWN"]
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}
		| .linux.sysctl = {"kernel.shmmax": "4096"}
		| .linux.maskedPaths += ["/etc"]
		| .linux.readonlyPaths += ["/bin"]
		| .mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}]
		| .mounts |= map(if .destination == "/dev" then .options += ["noexec"] else . end)
		| .linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
		| .linux.namespaces |= map(select(.type != "mount"))
		| .linux.namespaces += [{"type": "time"}]'
	stderr_has 'process.capabilities.bounding: expected ['
	stderr_has 'missing [CAP_CHOWN]'
	stderr_has 'linux.seccomp: expected Seccomp mode 2, saw Seccomp mode 0'
	stderr_has 'linux.sysctl.kernel.shmmax: expected "4096"'
	stderr_has 'linux.maskedPaths /etc: expected a tmpfs, saw no mount at /etc'
	stderr_has 'linux.readonlyPaths /bin: expected a read-only mount, saw a writable mount'
	stderr_has 'mounts /mnt: expected a mount at /mnt, saw none'
	stderr_has 'mounts /dev: expected option noexec'
	stderr_has 'device /dev/fuse: expected char device 10:229, saw ENOENT'
	stderr_has 'namespace mount: expected the host'
	if [[ -e /proc/self/ns/time ]]; then
		stderr_has 'namespace time: expected a new namespace'
	fi
}

@test "checker: hostname, domainname, env and cwd" {
	update_config '.hostname = "checker-host"
		| .domainname = "checker.example"
		| .process.env += ["CHECKER_A=1", "CHECKER_B=with spaces = and equals"]
		| .process.cwd = "/tmp"'
	run_checker
}

@test "checker: uid, gid, additional groups and umask" {
	requires root
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20, 1001], "umask": 63}
		| .process.capabilities = {}'
	run_checker
}

@test "checker: umask 0 and 0777" {
	update_config '.process.user.umask = 0'
	run_checker
	update_config '.process.user.umask = 511'
	run_checker
}

@test "checker: rlimits" {
	# Below the limits this shell has: raising a hard limit needs CAP_SYS_RESOURCE.
	local nofile core
	nofile="$(ulimit -Hn)"
	core="$(ulimit -Hc)"
	[[ "$nofile" == unlimited ]] && nofile=1048576
	[[ "$core" == unlimited ]] && core=4096
	update_config ".process.rlimits = [
		{\"type\": \"RLIMIT_NOFILE\", \"soft\": 256, \"hard\": $nofile},
		{\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": $core},
		{\"type\": \"RLIMIT_NICE\", \"soft\": 0, \"hard\": 0}]"
	run_checker
}

@test "checker: mounts with their options" {
	mkdir -p "$BATS_TEST_TMPDIR/hostdir"
	echo hello >"$BATS_TEST_TMPDIR/hostdir/file"
	update_config ".mounts += [
		{\"destination\": \"/mnt/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",
		 \"options\": [\"ro\", \"nosuid\", \"nodev\", \"noexec\", \"size=1m\"]},
		{\"destination\": \"/mnt/rw\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"rw\", \"nodev\"]},
		{\"destination\": \"/mnt/bind\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/hostdir\",
		 \"options\": [\"rbind\", \"ro\", \"nosuid\"]}]"
	run_checker
}

@test "checker: the default devices, and one from linux.devices" {
	requires root
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
			"fileMode": 384, "uid": 0, "gid": 0}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
	run_checker
}

@test "checker: namespaces left out of the spec are the host's" {
	# Without its own ipc namespace a rootless container may not mount mqueue.
	update_config '.linux.namespaces |= map(select(.type != "ipc" and .type != "uts" and .type != "cgroup"))
		| .mounts |= map(select(.destination != "/dev/mqueue"))
		| del(.hostname)'
	run_checker
}

@test "checker: a container with every namespace type" {
	# The rootless spec has no network namespace, the root one no user namespace.
	update_config '.linux.namespaces |= (map(select(.type != "network" and .type != "user")) + [{"type": "network"}])'
	if is_rootless; then
		update_config '.linux.namespaces += [{"type": "user"}]'
	fi
	run_checker
}

@test "checker: a process started with exec satisfies the spec too" {
	update_config '.process.user.umask = 63 | .process.env += ["CHECKER_EXEC=1"]
		| .process.rlimits += [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	cp "$BUNDLE/config.json" "$BUNDLE/rootfs/spec.json"
	set_args sleep 1000
	start_container
	run --separate-stderr box exec "$CID" /box-checker
	if [[ "$status" -ne 0 || -n "$stderr" ]]; then
		fail "$(printf 'box-checker failed in exec (exit status %s):\n%s' "$status" "$stderr")"
	fi
}

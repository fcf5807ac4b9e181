#!/usr/bin/env bats
# box touches only what is the container's (issue 11): it signals, freezes,
# limits and removes only processes it started and cgroups it made. A
# linux.cgroupsPath naming a cgroup that already exists (here one this test
# makes, with a `sleep` of its own in it) is joined, and what else is in there
# survives kill --all, delete, delete --force and a failed create; a
# cgroupsPath naming a hierarchy's root is refused; cgroups the container made
# below its own go with it; a failed create does not tear down the container
# that took its id meanwhile; without a pid namespace, kill --all and delete
# --force still reach every process of the container.

load helpers

setup() {
	box_setup
	setup_bundle
	BYSTANDER=""
	OWN="/boxtest-own-$CID"
}

teardown() {
	local rc=0
	box_teardown || rc=$?
	# the bystander and its cgroup are this test's own
	if [[ -n "$BYSTANDER" ]]; then
		kill -9 "$BYSTANDER" 2>/dev/null || true
		wait "$BYSTANDER" 2>/dev/null || true
	fi
	local mp _
	while read -r mp _; do
		[[ ! -d "$mp$OWN" ]] || find "$mp$OWN" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done < <(cgroup_mounts)
	return "$rc"
}

# make_bystander_cgroup: makes $OWN in every hierarchy and puts a `sleep` of
# this test ($BYSTANDER) in it.
make_bystander_cgroup() {
	local mp key f
	sleep 1000 >/dev/null 2>&1 3>&- &
	BYSTANDER=$!
	while read -r mp key; do
		mkdir "$mp$OWN" || fail "cannot make $mp$OWN"
		# a new v1 cpuset is empty and takes no process until it has cpus and mems
		if [[ "$key" == *cpuset* ]]; then
			for f in cpuset.cpus cpuset.mems; do
				cat "$mp/$f" >"$mp$OWN/$f" || fail "cannot fill in $mp$OWN/$f"
			done
		fi
		echo "$BYSTANDER" >"$mp$OWN/cgroup.procs" || fail "cannot put the bystander into $mp$OWN"
	done < <(cgroup_mounts)
}

# assert_bystander_untouched: the bystander lives, in $OWN in every hierarchy.
assert_bystander_untouched() {
	pid_alive "$BYSTANDER" || fail "the bystander $BYSTANDER in $OWN was killed"
	local mp _
	while read -r mp _; do
		[[ -d "$mp$OWN" ]] || fail "the existing cgroup $mp$OWN was removed"
		grep -qx "$BYSTANDER" "$mp$OWN/cgroup.procs" || fail "the bystander left $mp$OWN"
	done < <(cgroup_mounts)
}

# assert_in_cgroup PID PATH: PID is in PATH in every hierarchy.
assert_in_cgroup() {
	local mp key got
	while read -r mp key; do
		got="$(cgroup_of "$1" "$key")"
		[[ "$got" == "$2" ]] || fail "pid $1 is in $got in $mp, expected $2"
	done < <(cgroup_mounts)
}

# assert_nothing_else_left: assert_nothing_left, leaving out the cgroup that
# config.json names (the test's own, which stays).
assert_nothing_else_left() {
	update_config 'del(.linux.cgroupsPath)'
	assert_nothing_left
}

@test "ownership: a cgroupsPath naming an existing cgroup: kill --all, delete, delete --force and a failed create leave its other processes and the cgroup alone" {
	requires root
	make_bystander_cgroup
	update_config ".linux.cgroupsPath = \"$OWN\""

	# kill --all, then delete
	start_container
	assert_in_cgroup "$(container_pid "$CID")" "$OWN"
	run box kill --all "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	assert_bystander_untouched
	run box delete "$CID"
	assert_success
	assert_bystander_untouched

	# delete --force of a running container
	start_container "$CID-f"
	run box delete --force "$CID-f"
	assert_success
	assert_bystander_untouched

	# pause and update would freeze and limit the bystander too: refused
	start_container "$CID-p"
	run --separate-stderr box pause "$CID-p"
	assert_box_error "existed before it (linux.cgroupsPath)"
	run --separate-stderr box update --pids-limit 5 "$CID-p"
	assert_box_error "existed before it (linux.cgroupsPath)"
	run box delete --force "$CID-p"
	assert_success
	assert_bystander_untouched

	# limits are not written into it either
	jq '.linux.resources.pids = {limit: 5}' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/limits.json"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/plain.json"
	cp "$BATS_TEST_TMPDIR/limits.json" "$BUNDLE/config.json"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID-l"
	assert_box_error "linux.cgroupsPath \"$OWN\": cgroup"
	cp "$BATS_TEST_TMPDIR/plain.json" "$BUNDLE/config.json"
	assert_bystander_untouched

	# a create that fails late (a createRuntime hook) and rolls back
	update_config '.hooks.createRuntime = [{path: "/bin/false"}]'
	run --separate-stderr box create --bundle "$BUNDLE" "$CID-r"
	assert_failure
	assert_bystander_untouched
	assert_nothing_else_left
}

# refuse_cgroups_path PATH: create with linux.cgroupsPath PATH fails naming
# the field and leaves no state. Run under a root of its own, never deleted
# with box: an old box accepted "/" and its delete then killed every process
# in the hierarchy's root, i.e. on the host.
refuse_cgroups_path() {
	local guard="$BATS_TEST_TMPDIR/guard" pid
	mkdir -p "$guard"
	update_config ".linux.cgroupsPath = \"$1\""
	run --separate-stderr timeout 20 "$BOX_BIN" --root "$guard" create --bundle "$BUNDLE" "$CID"
	if [[ "$status" -eq 0 ]]; then
		pid="$(jq -r .pid "$guard/$CID/state.json" 2>/dev/null)" || pid=""
		[[ ! "$pid" =~ ^[0-9]+$ ]] || kill -9 "$pid"
		rm -rf "$guard"
		fail "create with linux.cgroupsPath \"$1\" was accepted"
	fi
	assert_box_error "linux.cgroupsPath \"$1\": names the root of the cgroup hierarchy"
	[[ -z "$(ls -A "$guard")" ]] || fail "create left $(ls -A "$guard") in its --root"
}

@test "ownership: a cgroupsPath naming a hierarchy's root is refused, and nothing is left" {
	local p
	for p in / // ///; do
		refuse_cgroups_path "$p"
	done
	update_config 'del(.linux.cgroupsPath)'
	assert_nothing_left
}

# exec_sleep SECONDS: `box exec -d` a sleep into the container; prints its host pid.
exec_sleep() {
	box exec -d "$CID" sleep "$1" || fail "exec failed"
	local p
	for p in $(stray_pids); do
		if [[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" == "sleep $1 " ]]; then
			echo "$p"
			return 0
		fi
	done
	fail "the exec'd sleep $1 is not running"
}

# move_below PID: makes sub/deeper below the container's cgroup in every
# hierarchy (as a nested runtime or systemd in the container would) and moves
# PID there.
move_below() {
	local mp key f d
	while read -r mp key; do
		d="$mp/box/$CID/sub"
		mkdir -p "$d/deeper" || fail "cannot make $d/deeper"
		if [[ "$key" == *cpuset* ]]; then
			for f in cpuset.cpus cpuset.mems; do
				cat "$mp/box/$CID/$f" >"$d/$f" || fail "cannot fill in $d/$f"
				cat "$d/$f" >"$d/deeper/$f" || fail "cannot fill in $d/deeper/$f"
			done
		fi
		echo "$1" >"$d/deeper/cgroup.procs" || fail "cannot move $1 into $d/deeper"
	done < <(cgroup_mounts)
}

@test "ownership: kill --all and delete reach processes in cgroups made below the container's, and delete removes those cgroups" {
	requires root
	start_container
	local p
	p="$(exec_sleep 1001)"
	move_below "$p"
	# (the init, a sleep, is pid 1 of its namespace and ignores USR1; the exec'd sleep dies of it)
	run box kill --all "$CID" USR1
	assert_success
	wait_for_pid_gone "$p"

	p="$(exec_sleep 1002)"
	move_below "$p"
	run box delete --force "$CID"
	assert_success
	wait_for_pid_gone "$p"
	assert_nothing_left
}

@test "ownership: a failed create's rollback leaves alone the container that took its id meanwhile" {
	local second="$BATS_TEST_TMPDIR/second" hook="$BATS_TEST_TMPDIR/takeover"
	mkdir "$second"
	copy_rootfs "$second/rootfs"
	cp "$BUNDLE/config.json" "$second/config.json"
	# While the first create waits for it, the hook deletes the half-made
	# container, creates another with the same id, and fails.
	printf '#!/bin/sh\n%q --root %q delete --force %q || exit 2\n%q --root %q create --bundle %q --pid-file %q %q </dev/null >/dev/null 2>&1 || exit 3\nexit 1\n' \
		"$BOX_BIN" "$BOX_ROOT" "$CID" "$BOX_BIN" "$BOX_ROOT" "$second" "$BATS_TEST_TMPDIR/second.pid" "$CID" >"$hook"
	chmod +x "$hook"
	update_config ".hooks.createRuntime = [{path: \"$hook\"}]"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "createRuntime hook $hook failed with exit status 1"

	local pid
	pid="$(cat "$BATS_TEST_TMPDIR/second.pid")"
	pid_alive "$pid" || fail "the second container's init $pid was killed"
	assert_equal "$(state_field "$CID" status)" created
	assert_equal "$(state_field "$CID" bundle)" "$second"
	assert_equal "$(container_pid "$CID")" "$pid"
	if ! is_rootless; then
		local mp key
		while read -r mp key; do
			[[ -d "$mp/box/$CID" ]] || fail "the second container's cgroup $mp/box/$CID was removed"
			[[ "$(cgroup_of "$pid" "$key")" == "/box/$CID" ]] || fail "the second container's init left $mp/box/$CID"
		done < <(cgroup_mounts)
	fi
	box start "$CID"
	wait_for_status "$CID" running
	run box delete --force "$CID"
	assert_success
	BUNDLE="$second" assert_nothing_left
}

# A container without a pid namespace: init, a child, a process in a session
# of its own, a daemon re-parented away from init, and an exec'd process.
start_without_pidns() {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	# rootless, proc can only be mounted by the owner of a pid namespace: bind
	# the host's, as podman does for --pid=host
	! is_rootless || update_config '.mounts |= map(if .destination == "/proc"
		then {destination: "/proc", type: "bind", source: "/proc", options: ["rbind"]} else . end)'
	set_args sh -c 'sleep 1001 & setsid sleep 1002 & (sleep 1003 &); exec sleep 1000'
	start_container
	box exec -d "$CID" sleep 1004 || fail "exec failed"
	retry 10 _procs_at_least 5 || fail "only $(stray_pids | wc -l) of 5 processes came up: $(stray_pids)"
}

_procs_at_least() {
	(($(stray_pids | wc -l) >= $1))
}

@test "ownership: without a pid namespace, kill --all reaches every process of the container" {
	start_without_pidns
	run box kill --all "$CID" KILL
	assert_success
	retry 10 _no_stray_pids || fail "processes left after kill --all: $(stray_pids)"
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "ownership: without a pid namespace, delete --force reaches every process of the container" {
	start_without_pidns
	run box delete --force "$CID"
	assert_success
	retry 10 _no_stray_pids || fail "processes left after delete --force: $(stray_pids)"
	assert_nothing_left
}

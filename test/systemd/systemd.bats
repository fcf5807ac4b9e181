#!/usr/bin/env bats
# The systemd cgroup driver against a real systemd (issue 14), run by
# hack/test-systemd.sh (make test-systemd). Here PID 1 is not systemd, so the
# harness boots Debian's systemd in a container that box runs
# (hack/systemd-host.sh) and these tests drive the runtimes inside it; on a
# host whose PID 1 is systemd (SYSTEMD_TEST_DIRECT=1, or no booted host) they
# run on the host directly. runc (`--systemd-cgroup`) is the baseline.

load host

setup_file() {
	detect_systemd_host
}

setup() {
	requires_systemd_host
	NAME="t$BATS_TEST_NUMBER-$$"
	UNIT="boxtest-$NAME.scope"
	BDIR="/tmp/systemd-test-$NAME"
	SROOT="/run/systemd-test-state"
}

teardown() {
	[[ -n "${RT:-}" ]] || return 0
	in_host '"$1" --root "$2" delete --force "$3" >/dev/null 2>&1; rm -rf "$4"' "$RT" "$SROOT" "$NAME" "$BDIR" || true
}

# make_bundle RUNTIME JQ-FILTER: a bundle in the systemd host at $BDIR running
# the suite's rootfs read-only, in slice system.slice, unit $UNIT.
make_bundle() {
	RT="$1"
	in_host 'set -e; mkdir -p "$1"; cd "$1"; runc spec
		jq --arg r "$2" --arg cg "system.slice:boxtest:$3" "
			.root = {path: \$r, readonly: true} | .process.terminal = false
			| .process.args = [\"sleep\", \"1000\"] | .linux.cgroupsPath = \$cg | $4" config.json >config.json.new
		mv config.json.new config.json' "$BDIR" "$(host_rootfs)" "$NAME" "$2"
}

# rt ARGS...: the runtime under test inside the systemd host.
rt() {
	in_host 'cd "$1" && "$2" --root "$3" --systemd-cgroup "${@:4}"' "$BDIR" "$RT" "$SROOT" "$@"
}

# unit_prop PROP: one property of $UNIT as systemctl shows it.
unit_prop() {
	in_host 'systemctl show --value -p "$1" "$2"' "$1" "$UNIT"
}

_unit_gone() {
	[[ "$(unit_prop LoadState)" == not-found ]]
}

# The scope has no process left (systemd drops a scope once it is empty).
_scope_empty() {
	_unit_gone || [[ -z "$(cgroup_file pids cgroup.procs)" ]]
}

_status_of_is() {
	[[ "$(rt state "$NAME" | jq -r .status)" == "$1" ]]
}

# cgroup_file CONTROLLER FILE: a file of the unit's cgroup in a v1 controller
# (or the unified hierarchy) inside the systemd host; fails when the unit has
# no cgroup.
cgroup_file() {
	in_host 'cg=$(systemctl show --value -p ControlGroup "$3")
		[[ -n "$cg" ]] || exit 1
		for d in "/sys/fs/cgroup/$1" /sys/fs/cgroup/unified /sys/fs/cgroup; do
			[[ -e "$d$cg/$2" ]] && exec cat "$d$cg/$2"
		done; exit 1' "$1" "$2" "$UNIT"
}

@test "systemd-host: systemd booted by box is PID 1 and reaches running" {
	run in_host 'cat /proc/1/comm; systemctl is-system-running'
	assert_success
	assert_output $'systemd\nrunning'
}

# --- runc, the baseline -------------------------------------------------------

requires_runc_in_host() {
	requires_in_host runc
}

scope_with_limits() {
	make_bundle "$1" '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 20}
		| .linux.resources.cpu = {quota: 50000, period: 100000}'
	rt run -d "$NAME" </dev/null
	assert_equal "$(unit_prop Slice)" system.slice
	assert_equal "$(unit_prop Delegate)" yes
	assert_equal "$(unit_prop ActiveState)" active
	assert_equal "$(unit_prop ControlGroup)" "/system.slice/$UNIT"
	assert_equal "$(unit_prop TasksMax)" 20
	assert_equal "$(unit_prop CPUQuotaPerSecUSec)" 500ms
	assert_equal "$(unit_prop CPUQuotaPeriodUSec)" 100ms
	# cgroup v1's memory controller (hybrid) takes MemoryLimit, v2 MemoryMax.
	if in_host '[[ -d /sys/fs/cgroup/memory ]]'; then
		assert_equal "$(unit_prop MemoryLimit)" 67108864
	else
		assert_equal "$(unit_prop MemoryMax)" 67108864
	fi
	# The init is in the scope.
	local pid
	pid=$(rt state "$NAME" | jq -r .pid)
	run in_host 'cat /proc/"$1"/cgroup' "$pid"
	assert_output --partial ":/system.slice/$UNIT"
}

@test "runc --systemd-cgroup: the scope has the expected name, slice, Delegate=yes and limits" {
	requires_runc_in_host
	scope_with_limits runc
}

memory_enforced() {
	make_bundle "$1" '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	rt run -d "$NAME" </dev/null
	# dd's 100M buffer is touched on the first read: past the limit, killed.
	run rt exec "$NAME" dd if=/dev/zero of=/dev/null bs=100M count=1
	assert_equal "$status" 137
	run rt exec "$NAME" dd if=/dev/zero of=/dev/null bs=1M count=1
	assert_success
}

@test "runc --systemd-cgroup: an allocation past the memory limit is OOM-killed" {
	requires_runc_in_host
	memory_enforced runc
}

_fork_refused() {
	[[ "$(cgroup_file pids pids.events | awk '/^max/ {print $2}')" -gt 0 ]]
}

tasks_enforced() {
	make_bundle "$1" '.linux.resources.pids = {limit: 10}'
	rt run -d "$NAME" </dev/null
	assert_equal "$(unit_prop TasksMax)" 10
	# The loop's shell may itself die of a refused fork: its children stay.
	rt exec -d "$NAME" sh -c 'for i in $(seq 30); do sleep 1000 & done 2>/dev/null'
	retry 20 _fork_refused || fail "no fork refused: pids.events: $(cgroup_file pids pids.events)"
	local n
	n=$(cgroup_file pids pids.current)
	((n <= 10)) || fail "$n tasks in a scope with TasksMax=10"
	((n >= 8)) || fail "only $n tasks: the loop did not fill the scope"
}

@test "runc --systemd-cgroup: a fork loop stops at TasksMax" {
	requires_runc_in_host
	tasks_enforced runc
}

update_changes_units() {
	make_bundle "$1" '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 20}'
	rt run -d "$NAME" </dev/null
	rt update --memory 134217728 --pids-limit 30 --cpu-quota 20000 --cpu-period 100000 "$NAME"
	assert_equal "$(unit_prop TasksMax)" 30
	assert_equal "$(unit_prop CPUQuotaPerSecUSec)" 200ms
	if in_host '[[ -d /sys/fs/cgroup/memory ]]'; then
		assert_equal "$(unit_prop MemoryLimit)" 134217728
		assert_equal "$(cgroup_file memory memory.limit_in_bytes)" 134217728
	else
		assert_equal "$(unit_prop MemoryMax)" 134217728
	fi
	assert_equal "$(cgroup_file pids pids.max)" 30
}

@test "runc --systemd-cgroup: update changes the unit's properties and the cgroup" {
	requires_runc_in_host
	update_changes_units runc
}

pause_resume() {
	make_bundle "$1" '.'
	rt run -d "$NAME" </dev/null
	rt pause "$NAME"
	assert_equal "$(rt state "$NAME" | jq -r .status)" paused
	assert_equal "$(cgroup_file freezer freezer.state)" FROZEN
	rt resume "$NAME"
	assert_equal "$(rt state "$NAME" | jq -r .status)" running
	assert_equal "$(cgroup_file freezer freezer.state)" THAWED
}

@test "runc --systemd-cgroup: pause and resume freeze and thaw the scope" {
	requires_runc_in_host
	pause_resume runc
}

kill_all_and_delete() {
	make_bundle "$1" '.process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]'
	rt run -d "$NAME" </dev/null
	rt kill --all "$NAME" KILL
	retry 20 _status_of_is stopped || fail "still $(rt state "$NAME" | jq -r .status) after kill --all"
	retry 20 _scope_empty || fail "processes left in the scope: $(cgroup_file pids cgroup.procs | xargs)"
	rt delete "$NAME"
	retry 20 _unit_gone || fail "$UNIT is still $(unit_prop LoadState)/$(unit_prop ActiveState) after delete"
}

@test "runc --systemd-cgroup: kill --all, then delete removes the unit" {
	requires_runc_in_host
	kill_all_and_delete runc
}

delete_force_stops_unit() {
	make_bundle "$1" '.'
	rt run -d "$NAME" </dev/null
	assert_equal "$(unit_prop ActiveState)" active
	rt delete --force "$NAME"
	retry 20 _unit_gone || fail "$UNIT is still $(unit_prop LoadState)/$(unit_prop ActiveState) after delete --force"
}

@test "runc --systemd-cgroup: delete --force of a running container removes the unit" {
	requires_runc_in_host
	delete_force_stops_unit runc
}

failed_create_leaves_no_unit() {
	make_bundle "$1" '.process.args = ["/no/such/binary"]'
	run rt run -d "$NAME" </dev/null
	assert_failure
	retry 20 _unit_gone || fail "$UNIT is $(unit_prop LoadState)/$(unit_prop ActiveState) after a failed create"
}

@test "runc --systemd-cgroup: a failed create leaves no unit" {
	requires_runc_in_host
	failed_create_leaves_no_unit runc
}

# --- box --systemd-cgroup (the same scenarios) --------------------------------

@test "box --systemd-cgroup: the scope has the expected name, slice, Delegate=yes and limits" {
	scope_with_limits box
	# The scope's cgroup in every hierarchy, the ones systemd does not manage included (box
	# makes those): what state and ps rely on.
	local pid
	pid=$(rt state "$NAME" | jq -r .pid)
	run in_host 'grep -v ":/system.slice/$2\$" /proc/"$1"/cgroup' "$pid" "$UNIT"
	assert_output ""
	run rt ps "$NAME"
	assert_success
	assert_output --partial sleep
}

@test "box --systemd-cgroup: an allocation past the memory limit is OOM-killed" {
	memory_enforced box
}

@test "box --systemd-cgroup: a fork loop stops at TasksMax" {
	tasks_enforced box
}

@test "box --systemd-cgroup: update changes the unit's properties and the cgroup" {
	update_changes_units box
}

@test "box --systemd-cgroup: pause and resume freeze and thaw the scope" {
	pause_resume box
}

@test "box --systemd-cgroup: kill --all, then delete removes the unit" {
	kill_all_and_delete box
}

@test "box --systemd-cgroup: delete --force of a running container removes the unit" {
	delete_force_stops_unit box
}

@test "box --systemd-cgroup: a failed create leaves no unit" {
	failed_create_leaves_no_unit box
	run in_host 'ls "$1"' "$SROOT"
	refute_output --partial "$NAME"
}

@test "box --systemd-cgroup: an empty cgroupsPath is system.slice:box:ID" {
	make_bundle box '.linux.cgroupsPath = ""'
	rt run -d "$NAME" </dev/null
	UNIT="box-$NAME.scope"
	assert_equal "$(unit_prop Slice)" system.slice
	assert_equal "$(unit_prop ActiveState)" active
	rt delete --force "$NAME"
	retry 20 _unit_gone || fail "$UNIT is still $(unit_prop LoadState) after delete --force"
}

@test "box --systemd-cgroup: box-systemd is found beside box's own binary, not only in PATH" {
	make_bundle box '.'
	in_host 'cd "$1" && env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$2" --root "$3" --systemd-cgroup run -d "$4" </dev/null' \
		"$BDIR" "$(host_box)" "$SROOT" "$NAME"
	assert_equal "$(unit_prop ActiveState)" active
	rt delete --force "$NAME"
	retry 20 _unit_gone || fail "$UNIT is still $(unit_prop LoadState) after delete --force"
}

@test "box --systemd-cgroup: a nested slice a-b.slice is /a.slice/a-b.slice" {
	local sub="n${NAME//-/}"
	make_bundle box ".linux.cgroupsPath = \"boxtest-$sub.slice:boxtest:$NAME\""
	rt run -d "$NAME" </dev/null
	assert_equal "$(unit_prop ControlGroup)" "/boxtest.slice/boxtest-$sub.slice/$UNIT"
	rt delete --force "$NAME"
	retry 20 _unit_gone || fail "$UNIT is still $(unit_prop LoadState) after delete --force"
	# The slices systemd made for it stay until stopped, as with runc.
	in_host 'systemctl stop "boxtest-$1.slice" boxtest.slice' "$sub"
}

@test "box --systemd-cgroup: a unit of that name already running is an error, and stays" {
	make_bundle box '.'
	in_host 'systemd-run --unit "$1" --scope --quiet sleep 1000 </dev/null >/dev/null 2>&1 &' "$UNIT"
	retry 20 _unit_active || fail "systemd-run did not start $UNIT"
	run rt run -d "$NAME" </dev/null
	assert_failure
	assert_output --partial "UnitExists"
	assert_equal "$(unit_prop ActiveState)" active
	in_host 'systemctl stop "$1"' "$UNIT"
	retry 20 _unit_gone || fail "$UNIT is still $(unit_prop LoadState)"
}

_unit_active() {
	[[ "$(unit_prop ActiveState)" == active ]]
}

#!/usr/bin/env bats
# Rootless --systemd-cgroup with the user's own systemd (issue 14), inside the
# systemd host (test/systemd/host.bash): a user with lingering has
# `systemd --user` and its bus at /run/user/UID/bus; box, run as that user
# with a rootless config (a user namespace mapping only the user), asks that
# manager for the container's scope. A user without one gets a clear error.
#
# On cgroup v1 and hybrid hosts (this one) a user's systemd is delegated no
# controller (v1 hierarchies belong to root; the v2 one has none of memory,
# pids, cpu there): box still makes the scope, in the hierarchies the user's
# systemd manages, and refuses limits, which nothing could apply. runc refuses
# the driver rootless on cgroup v1 altogether ("cannot use rootless systemd
# cgroups manager on cgroup v1"); on cgroup v2 both run the same scenario.

load host

setup_file() {
	detect_systemd_host
	SD_USER=boxsdtest
	SD_NOLINGER=boxsdnolinger
	export SD_USER SD_NOLINGER
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" != 1 ]] && ! "$SYSTEMD_HOST" status >/dev/null 2>&1; then
		return 0
	fi
	# Users of this file only (removed in teardown_file); the first with
	# lingering, which starts its systemd --user at once.
	local out
	out=$(in_host 'set -e
		for u in "$1" "$2"; do id -u "$u" >/dev/null 2>&1 || useradd -m "$u"; done
		loginctl enable-linger "$1"
		bus="/run/user/$(id -u "$1")/bus"
		for i in $(seq 100); do [[ -S "$bus" ]] && exit 0; sleep 0.1; done
		echo "no $bus after loginctl enable-linger $1: $(systemctl status "user@$(id -u "$1").service" 2>&1 | tail -n 5)"
		exit 1' "$SD_USER" "$SD_NOLINGER" 2>&1) ||
		echo "$out" >"$BATS_FILE_TMPDIR/user.broken"
}

teardown_file() {
	[[ -n "${SD_USER:-}" ]] || return 0
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" != 1 ]] && ! "$SYSTEMD_HOST" status >/dev/null 2>&1; then
		return 0
	fi
	in_host 'uid=$(id -u "$1") || exit 0
		loginctl disable-linger "$1"
		for i in $(seq 100); do systemctl -q is-active "user@$uid.service" || break; sleep 0.1; done
		userdel -r "$1" 2>/dev/null; userdel -r "$2" 2>/dev/null; true' "$SD_USER" "$SD_NOLINGER" || true
}

setup() {
	requires_systemd_host
	[[ ! -f "$BATS_FILE_TMPDIR/user.broken" ]] || fail "the test user's systemd: $(cat "$BATS_FILE_TMPDIR/user.broken")"
	NAME="r$BATS_TEST_NUMBER-$$"
	UNIT="boxtest-$NAME.scope"
	BDIR="/tmp/systemd-rootless-$NAME"
	SD_UID=$(in_host 'id -u "$1"' "$SD_USER")
}

teardown() {
	if [[ -n "${RT:-}" ]]; then
		as_user "$SD_USER" '"$1" --root "$2" delete --force "$3" >/dev/null 2>&1' "$RT" "$(state_root)" "$NAME" || true
	fi
	in_host 'rm -rf "$1"' "$BDIR" || true
}

# as_user USER SCRIPT [ARGS...]: bash SCRIPT in the systemd host as USER, with
# XDG_RUNTIME_DIR set as a login would (to /run/user/UID, where its systemd's
# bus is, when that exists).
as_user() {
	local user=$1 script=$2
	shift 2
	in_host 'u=$1; s=$2; shift 2; d="/run/user/$(id -u "$u")"; [[ -d "$d" ]] || d=""
		exec runuser -u "$u" -- env ${d:+XDG_RUNTIME_DIR="$d"} bash -c "$s" as_user "$@"' \
		"$user" "$script" "$@"
}

# The runtime's state root for the test user (its default,
# $XDG_RUNTIME_DIR/box or /runc, given explicitly so teardown finds it).
state_root() {
	echo "/run/user/$SD_UID/$(basename "$RT")"
}

# make_user_bundle RUNTIME JQ-FILTER: a rootless bundle (`runc spec
# --rootless`: user namespace mapping only the user) at $BDIR, owned by the
# test user (or $BUNDLE_USER), running the suite's rootfs read-only;
# cgroupsPath :boxtest:NAME (the default slice, user.slice rootless).
make_user_bundle() {
	local user="${BUNDLE_USER:-$SD_USER}" root_dir
	RT=$(host_runtime "$1")
	in_host 'install -d -o "$1" "$2"' "$user" "$BDIR"
	root_dir=$(host_rootfs)
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" == 1 ]]; then
		# The checkout's rootfs may be below a directory the user cannot enter.
		[[ -d "$BDIR/rootfs" ]] || cp -a "$ROOTFS" "$BDIR/rootfs"
		root_dir="$BDIR/rootfs"
	fi
	as_user "$user" 'set -e; cd "$1"; rm -f config.json; runc spec --rootless
		jq --arg r "$2" --arg cg ":boxtest:$3" "
			.root = {path: \$r, readonly: true} | .process.terminal = false
			| .process.args = [\"sleep\", \"1000\"] | .linux.cgroupsPath = \$cg | $4" config.json >config.json.new
		mv config.json.new config.json' "$BDIR" "$root_dir" "$NAME" "$2"
}

# urt ARGS...: the runtime under test as the test user, --systemd-cgroup.
urt() {
	as_user "$SD_USER" 'cd "$1" && exec "$2" --root "$3" --systemd-cgroup "${@:4}"' "$BDIR" "$RT" "$(state_root)" "$@"
}

# urt_run_d: `run -d $NAME` as urt, whose output (its error) is printed once
# it has exited: a container it started by mistake would hold a pipe open.
urt_run_d() {
	as_user "$SD_USER" 'cd "$1" && "$2" --root "$3" --systemd-cgroup run -d "$4" </dev/null >run.out 2>&1
		rc=$?; cat run.out; exit "$rc"' "$BDIR" "$RT" "$(state_root)" "$NAME"
}

# user_unit_prop PROP: a property of $UNIT in the test user's systemd.
user_unit_prop() {
	as_user "$SD_USER" 'systemctl --user show --value -p "$1" "$2"' "$1" "$UNIT"
}

_user_unit_gone() {
	[[ "$(user_unit_prop LoadState)" == not-found ]]
}

wait_user_unit_gone() {
	retry 20 _user_unit_gone || fail "$UNIT is still $(user_unit_prop LoadState)/$(user_unit_prop ActiveState) in the user's systemd"
}

# Whether the host's cgroups are pure v2 (where a user's systemd is delegated
# controllers) rather than v1 or hybrid.
host_is_v2() {
	in_host '[[ -f /sys/fs/cgroup/cgroup.controllers ]]'
}

# The scenario box and runc run where each supports it: the scope in the
# user's manager, the init in it, delete removes it and the state.
user_scope_lifecycle() {
	make_user_bundle "$1" '.'
	urt run -d "$NAME" </dev/null
	assert_equal "$(urt state "$NAME" | jq -r .status)" running
	local manager="/user.slice/user-$SD_UID.slice/user@$SD_UID.service"
	assert_equal "$(user_unit_prop ActiveState)" active
	assert_equal "$(user_unit_prop Slice)" user.slice
	assert_equal "$(user_unit_prop Delegate)" yes
	assert_equal "$(user_unit_prop ControlGroup)" "$manager/user.slice/$UNIT"
	local pid
	pid=$(urt state "$NAME" | jq -r .pid)
	run in_host 'cat /proc/"$1"/cgroup' "$pid"
	assert_line --regexp "^0::$manager/user.slice/$UNIT\$"
	# Not a unit of the system's systemd.
	run host_units "$UNIT"
	assert_output ""
	urt delete --force "$NAME"
	wait_user_unit_gone
	run in_host '[[ ! -e "$1/$2" ]]' "$(state_root)" "$NAME"
	assert_success
}

@test "rootless box --systemd-cgroup with the user's systemd: the scope is in its user.slice, delete removes it" {
	user_scope_lifecycle box
	# The slice spelled out is the same.
	make_user_bundle box '.linux.cgroupsPath = "user.slice:boxtest:'"$NAME"'"'
	urt run -d "$NAME" </dev/null
	assert_equal "$(user_unit_prop ControlGroup)" "/user.slice/user-$SD_UID.slice/user@$SD_UID.service/user.slice/$UNIT"
	urt delete --force "$NAME"
	wait_user_unit_gone
}

@test "rootless runc --systemd-cgroup with the user's systemd: the same on cgroup v2, refused on v1 and hybrid" {
	requires_in_host runc
	if host_is_v2; then
		user_scope_lifecycle runc
		return
	fi
	make_user_bundle runc '.'
	run urt run -d "$NAME" </dev/null
	assert_failure
	assert_output --partial "cannot use rootless systemd cgroups manager on cgroup v1"
}

@test "rootless box --systemd-cgroup: limits where the user's systemd has the controllers, else a clear error and nothing left" {
	make_user_bundle box '.linux.resources = {pids: {limit: 20}}'
	local manager="/user.slice/user-$SD_UID.slice/user@$SD_UID.service"
	local delegated
	delegated=$(in_host 'cat "/sys/fs/cgroup$1/cgroup.controllers" 2>/dev/null' "$manager/user.slice") || delegated=""
	if host_is_v2 && [[ " $delegated " == *" pids "* ]]; then
		urt run -d "$NAME" </dev/null
		assert_equal "$(user_unit_prop TasksMax)" 20
		run in_host 'cat "/sys/fs/cgroup$1/pids.max"' "$manager/user.slice/$UNIT"
		assert_output 20
		urt update --pids-limit 30 "$NAME"
		assert_equal "$(user_unit_prop TasksMax)" 30
		urt delete --force "$NAME"
		wait_user_unit_gone
		return
	fi
	# Here (cgroup v1 or hybrid, or pids not delegated) nothing could apply it.
	run urt_run_d
	assert_failure
	assert_output --partial "linux.resources.pids: the pids controller is not available in the scope the user's systemd made"
	assert_equal "${#lines[@]}" 1
	wait_user_unit_gone
	run in_host '[[ ! -e "$1/$2" ]]' "$(state_root)" "$NAME"
	assert_success
	# Without limits the same container runs.
	make_user_bundle box '.'
	urt run -d "$NAME" </dev/null
	assert_equal "$(user_unit_prop ActiveState)" active
	# update cannot add one either.
	run urt update --pids-limit 30 "$NAME"
	assert_failure
	assert_output --partial "linux.resources.pids: the pids controller is not available in the scope the user's systemd made"
	assert_equal "$(urt state "$NAME" | jq -r .status)" running
	urt delete --force "$NAME"
	wait_user_unit_gone
}

@test "rootless box --systemd-cgroup without a user systemd: one line naming it, nothing left" {
	local root="/tmp/systemd-rootless-state-$NAME"
	BUNDLE_USER=$SD_NOLINGER make_user_bundle box '.'
	RT=""
	# No /run/user/UID (no lingering, no session): no XDG_RUNTIME_DIR either.
	run in_host 'cd "$1" && runuser -u "$2" -- env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS \
		"$3" --root "$4" --systemd-cgroup run -d "$5" </dev/null' "$BDIR" "$SD_NOLINGER" "$(host_box)" "$root" "$NAME"
	assert_failure
	assert_output --partial "cannot reach the user's systemd"
	assert_equal "${#lines[@]}" 1
	run in_host 'ls -A "$1" 2>/dev/null; rm -rf "$1" "$2"' "$root" "$BDIR"
	assert_output ""
}

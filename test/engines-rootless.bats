#!/usr/bin/env bats
#
# Rootless podman driving the runtime: podman run by the unprivileged user
# $BOX_TEST_USER (default boxtest, prepared by hack/rootless-user.sh), in its
# own user namespace made through newuidmap/newgidmap. The runtime runs as
# root of that user namespace with XDG_RUNTIME_DIR set, and must behave as
# rootless (runc's rule): state under $XDG_RUNTIME_DIR, devices bind-mounted,
# no cgroup it cannot create. See docs/engines.md.
#
# Opt-in like test/engines.bats (BOX_TEST_ENGINES=1, `make test-engines`);
# runs as root, which switches to the user for every podman command.
#
# Everything podman keeps lives in a directory the file makes for the user
# (HOME, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, containers.conf with
# cgroup_manager = "cgroupfs", vfs storage), removed in teardown_file with the
# user namespace's pause process podman leaves.
#
# Environment: BOX_ENGINE_RUNTIME (default $BOX_BIN; runc for the baseline),
# BOX_ENGINE_TIMEOUT (seconds per podman command, default 60), BOX_TEST_USER.

if [[ "${BOX_TEST_ENGINES:-0}" == 1 ]]; then
	load helpers
fi

ENGINE_RUNTIME="${BOX_ENGINE_RUNTIME:-$BOX_BIN}"
ENGINE_TIMEOUT="${BOX_ENGINE_TIMEOUT:-60}"
RL_USER="${BOX_TEST_USER:-boxtest}"
IMAGE=localhost/boxtest:latest

engines_enabled() {
	[[ "${BOX_TEST_ENGINES:-0}" == 1 ]]
}

# pmu ARGS...: podman as the user, with the file's private storage and
# configuration.
pmu() {
	(cd / && timeout -k 5 "$ENGINE_TIMEOUT" runuser -u "$RL_USER" -- env \
		HOME="$RL_DIR/home" XDG_RUNTIME_DIR="$RL_DIR/run" XDG_CONFIG_HOME="$RL_DIR/config" \
		CONTAINERS_CONF="$RL_DIR/containers.conf" \
		podman --root "$RL_DIR/storage" --runroot "$RL_DIR/runroot" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file --runtime "$ENGINE_RUNTIME" "$@" 3>&-)
}

pmu_run() {
	pmu run --network=none --pull=never "$@"
}

# The runtime's state directory for ID (its default --root as rootless).
rl_state_dir() {
	local d
	d="$RL_DIR/run/$(basename "$ENGINE_RUNTIME")/$1"
	[[ ! -e "$d" ]] || echo "$d"
}

_rl_logs_have() {
	pmu logs "$1" 2>/dev/null | grep -qx -- "$2"
}

setup_file() {
	engines_enabled || return 0
	[[ "$(id -u)" -eq 0 ]] || return 0
	id -u "$RL_USER" >/dev/null 2>&1 && command -v podman >/dev/null || return 0
	RL_DIR=$(mktemp -d /tmp/box-rlpm.XXXXXX)
	chmod 0755 "$RL_DIR"
	mkdir -p "$RL_DIR/home" "$RL_DIR/run" "$RL_DIR/config"
	chmod 0700 "$RL_DIR/run"
	cat >"$RL_DIR/containers.conf" <<-EOF
		[containers]
		default_ulimits = []
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		runtime_supports_json = ["crun", "runc", "box", "$(basename "$ENGINE_RUNTIME")"]
	EOF
	chown -R "$RL_USER:" "$RL_DIR"
	export RL_DIR
	local out
	if ! out=$(tar -C "$ROOTFS" -c . | pmu import - "$IMAGE" 2>&1); then
		echo "rootless podman import of $ROOTFS failed: $out" >"$BATS_FILE_TMPDIR/rootless.broken"
	fi
}

teardown_file() {
	[[ -n "${RL_DIR:-}" && -d "$RL_DIR" ]] || return 0
	pmu rm -af -t 0 >/dev/null 2>&1 || true
	# the process podman keeps to hold its user namespace
	local pause
	pause=$(cat "$RL_DIR/run/libpod/tmp/pause.pid" 2>/dev/null) || pause=""
	if [[ -n "$pause" ]] && [[ "$(stat -c %U "/proc/$pause" 2>/dev/null)" == "$RL_USER" ]]; then
		kill "$pause" 2>/dev/null || true
		retry 10 _pid_gone "$pause" || kill -9 "$pause" 2>/dev/null || true
	fi
	unmount_under "$RL_DIR"
	rm -rf "$RL_DIR"
}

setup() {
	engines_enabled || skip "engine tests are opt-in: set BOX_TEST_ENGINES=1 (make test-engines)"
	requires root userns newuidmap
	require_rootfs
	[[ "$ENGINE_RUNTIME" == runc ]] || require_box_bin
	command -v podman >/dev/null || skip "requires podman (apt-get install podman)"
	id -u "$RL_USER" >/dev/null 2>&1 || skip "requires user $RL_USER (run hack/rootless-user.sh)"
	if [[ -f "$BATS_FILE_TMPDIR/rootless.broken" ]]; then
		fail "setup_file: $(cat "$BATS_FILE_TMPDIR/rootless.broken")"
	fi
	NAME="r${BATS_TEST_NUMBER}-$$"
}

# Removes the test's containers; fails the test if the runtime left its
# state directory for one of them.
teardown() {
	engines_enabled || return 0
	[[ -n "${RL_DIR:-}" && ! -f "$BATS_FILE_TMPDIR/rootless.broken" ]] || return 0
	local ids id problems=()
	ids=$(pmu ps -aq --no-trunc 2>/dev/null) || ids=""
	[[ -z "$ids" ]] || pmu rm -af -t 0 >/dev/null 2>&1 || true
	for id in $ids; do
		retry 5 bash -c '[[ ! -e "$1" ]]' _ "$RL_DIR/run/$(basename "$ENGINE_RUNTIME")/$id" ||
			problems+=("container $id: state left: $(rl_state_dir "$id")")
	done
	if ((${#problems[@]})); then
		printf 'teardown: %s\n' "${problems[@]}" >&2
		return 1
	fi
}

@test "rootless podman: run passes stdout, stderr and the exit code" {
	run --separate-stderr pmu_run --rm "$IMAGE" sh -c 'echo out; echo err >&2; exit 3'
	assert_equal "$status" 3
	assert_equal "$output" out
	grep -qx err <<<"$stderr" || fail "stderr lacks the container's line: $stderr"
}

@test "rootless podman: the container runs as root of the user's namespace" {
	run pmu_run --rm "$IMAGE" sh -c 'id -u; cat /proc/self/uid_map; echo x > /dev/null && echo dev-ok'
	assert_success
	assert_line 0
	assert_line --regexp "^ +0 +$(id -u "$RL_USER") +1$"
	assert_line dev-ok
}

@test "rootless podman: run -d, then exec passes output and the exit code" {
	run pmu_run -d --name "$NAME" "$IMAGE" sleep 1000
	assert_success
	run pmu inspect -f '{{.State.Status}}' "$NAME"
	assert_output running
	run --separate-stderr pmu exec -w /tmp -e X=1 "$NAME" sh -c 'echo $(pwd) $X; exit 4'
	assert_equal "$status" 4
	assert_equal "$output" "/tmp 1"
	[[ -n "$(rl_state_dir "$(pmu inspect -f '{{.Id}}' "$NAME")")" ]] ||
		fail "no runtime state under $RL_DIR/run/$(basename "$ENGINE_RUNTIME")"
}

@test "rootless podman: logs" {
	pmu_run -d --name "$NAME" "$IMAGE" sh -c 'echo line1; echo line2 >&2; sleep 1000' >/dev/null
	retry 10 _rl_logs_have "$NAME" line2 || true
	run pmu logs "$NAME"
	assert_success
	assert_line line1
	assert_line line2
}

@test "rootless podman: stop sends SIGTERM; the exit code is the container's" {
	pmu_run -d --name "$NAME" "$IMAGE" sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
	retry 10 _rl_logs_have "$NAME" ready || fail "container did not start"
	run pmu stop -t 30 "$NAME"
	assert_success
	run pmu inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$NAME"
	assert_output "exited 7"
	run pmu logs "$NAME"
	assert_line got-term
}

@test "rootless podman: rm -f removes a running container and leaves nothing behind" {
	pmu_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	local id pid
	id=$(pmu inspect -f '{{.Id}}' "$NAME")
	pid=$(pmu inspect -f '{{.State.Pid}}' "$NAME")
	pid_alive "$pid" || fail "container pid $pid is not alive"
	run pmu rm -f -t 0 "$NAME"
	assert_success
	run pmu ps -aq
	assert_output ""
	wait_for_pid_gone "$pid"
	run rl_state_dir "$id"
	assert_output ""
}

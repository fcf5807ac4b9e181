#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # RT is set in subshells on purpose
#
# Real engines driving box: podman (through conmon) and containerd (through
# its runc shim, io.containerd.runc.v2), with the suite's rootfs imported as an
# image. See docs/engines.md.
#
# Opt-in: every test skips unless BOX_TEST_ENGINES=1 (`make test-engines`,
# hack/test-engines.sh). The engines start daemons, write under /run and
# /sys/fs/cgroup, and take tens of seconds, so `make test` does not run them
# even where podman or containerd happen to be installed.
#
# What the engines store lives under $BATS_FILE_TMPDIR: podman's
# --root/--runroot/--tmpdir (vfs storage) and containers.conf, and a private
# containerd (its own config, root, state, socket, FIFOs and the shim's
# --runc-root) started in setup_file and stopped in teardown_file. Under
# podman the runtime keeps its default --root (/run/box; see pm below). After
# each test, teardown fails the test if the runtime left a state directory,
# a mount or a cgroup for a container the engine removed.
#
# Environment:
#   BOX_TEST_ENGINES=1     run these tests
#   BOX_ENGINE_RUNTIME     runtime the engines use (default: $BOX_BIN); set it
#                          to runc to see what the engines do without box
#   BOX_ENGINE_TIMEOUT     seconds one engine command may take (default: 60)
#
# Where an engine itself fails on this host (not the runtime), the test says
# so and runs the same scenario with runc to show it.

# The helpers (and the bats libraries they load) cost ~0.1 s per test: load
# them only when the tests run, so that skipping this file stays cheap.
if [[ "${BOX_TEST_ENGINES:-0}" == 1 ]]; then
	load helpers
fi

ENGINE_RUNTIME="${BOX_ENGINE_RUNTIME:-$BOX_BIN}"
ENGINE_TIMEOUT="${BOX_ENGINE_TIMEOUT:-60}"
IMAGE=localhost/boxtest:latest

# ---------------------------------------------------------------------------
# Local helpers
# ---------------------------------------------------------------------------

engines_enabled() {
	[[ "${BOX_TEST_ENGINES:-0}" == 1 ]]
}

# requires_engine podman|containerd: skips naming what is missing; fails when
# the engine is installed but its setup in setup_file failed.
requires_engine() {
	local e=$1 bin
	case "$e" in
	podman)
		for bin in podman conmon; do
			command -v "$bin" >/dev/null || skip "requires podman ($bin is not installed: apt-get install podman)"
		done
		;;
	containerd)
		for bin in containerd ctr containerd-shim-runc-v2; do
			command -v "$bin" >/dev/null || skip "requires containerd ($bin is not installed: apt-get install containerd)"
		done
		;;
	*) fail "requires_engine: unknown engine '$e'" ;;
	esac
	if [[ -f "$BATS_FILE_TMPDIR/$e.broken" ]]; then
		fail "$e setup failed in setup_file: $(cat "$BATS_FILE_TMPDIR/$e.broken")"
	fi
}

# The runtime under test for podman: `--runtime PATH` (the name podman gives
# it is the basename, which containers.conf lists in runtime_supports_json so
# that conmon passes --log FILE --log-format json like it does for runc).
# RT=runc pm ... runs the same command with runc.
# The runtime keeps its default --root (/run/box, /run/runc): podman does not
# pass --runtime-flag on to the exit command conmon runs (`podman container
# cleanup`), so a root set that way makes the cleanup delete the wrong place
# and leaves the runtime's state and cgroups behind, with runc as with box.
pm() {
	local rt="${RT:-$ENGINE_RUNTIME}"
	CONTAINERS_CONF="${PM_CONF:-$PM_DIR/containers.conf}" \
		timeout -k 5 "$ENGINE_TIMEOUT" podman \
		--root "$PM_DIR/storage" --runroot "$PM_DIR/runroot" --tmpdir "$PM_DIR/tmp" \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
		--runtime "$rt" "$@" 3>&-
}

# pm_run ARGS...: podman run with the flags every scenario uses.
pm_run() {
	pm run --network=none --pull=never "$@"
}

# with_stdin TEXT CMD...: runs CMD with TEXT (and a newline) on stdin.
with_stdin() {
	local text=$1
	shift
	"$@" <<<"$text"
}

cr() {
	timeout -k 5 "$ENGINE_TIMEOUT" ctr -a "$CTD_SOCK" -n boxtest "$@" 3>&-
}

# cr_run ARGS...: ctr run with the runc shim told to use the runtime under
# test, and its FIFOs under $CTD_DIR.
cr_run() {
	local rt="${RT:-$ENGINE_RUNTIME}"
	cr run --fifo-dir "$CTD_DIR/fifo" --runc-binary "$rt" --runc-root "$CTD_DIR/oci-state" "$@"
}

# cr_exec ARGS...: ctr task exec, its FIFOs under $CTD_DIR (ctr leaves those
# of a detached exec behind).
cr_exec() {
	cr task exec --fifo-dir "$CTD_DIR/fifo" "$@"
}

# in_tty CMD...: runs CMD with a pseudo-terminal as stdin/stdout (ctr -t
# insists on one); prints its output without CR/NUL, returns its status.
in_tty() {
	local cmd
	printf -v cmd '%q ' "$@"
	SHELL=/bin/bash script -qefc "$cmd" /dev/null </dev/null 3>&- | tr -d '\r\0'
	return "${PIPESTATUS[0]}"
}

# ctr_status ID: RUNNING/PAUSED/STOPPED... of the task.
ctr_status() {
	cr task ls | awk -v id="$1" '$1 == id { print $3 }'
}

_ctr_status_is() {
	[[ "$(ctr_status "$1")" == "$2" ]]
}

wait_ctr_status() {
	retry "${3:-10}" _ctr_status_is "$1" "$2" || fail "task $1 did not reach $2 (last: $(ctr_status "$1"))"
}

_pm_status_is() {
	[[ "$(pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" == "$2" ]]
}

wait_pm_status() {
	retry "${3:-10}" _pm_status_is "$1" "$2" ||
		fail "container $1 did not reach $2 (last: $(pm inspect -f '{{.State.Status}}' "$1" 2>&1))"
}

# runtime_state_dirs ID: the runtime's state directory for ID under the
# default roots of box, runc and crun (as root), if it exists.
runtime_state_dirs() {
	local d
	for d in /run/box /run/runc /run/crun; do
		[[ ! -d "$d/$1" ]] || echo "$d/$1"
	done
}

# podman_leftovers ID: what is left of podman container ID once removed: the
# runtime's state and cgroups named libpod-ID.
podman_leftovers() {
	runtime_state_dirs "$1"
	cgroup_dirs_named "libpod-$1"
}

# ctr_leftovers ID: the runtime's state under the shim's --runc-root, the
# rootfs mount, and the cgroups (containerd's cgroupsPath is /NAMESPACE/ID).
ctr_leftovers() {
	[[ ! -e "$CTD_DIR/oci-state/boxtest/$1" ]] || echo "$CTD_DIR/oci-state/boxtest/$1"
	mounts_under "$CTD_DIR/state/io.containerd.runtime.v2.task/boxtest/$1"
	find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -path "*/boxtest/$1" 2>/dev/null || true
}

_no_leftovers() {
	[[ -z "$("$1" "$2")" ]]
}

# _pm_logs_have NAME LINE...: podman's log of NAME has each LINE.
# shellcheck disable=SC2317 # called through retry
_pm_logs_have() {
	local name="$1" logs line
	shift
	logs="$(pm logs "$name" 2>&1)" || return 1
	for line in "$@"; do
		grep -qx -- "$line" <<<"$logs" || return 1
	done
}

# cgroup_dirs_named NAME: cgroup directories (any hierarchy) ending in NAME.
cgroup_dirs_named() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -name "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------

setup_podman() {
	PM_DIR="$BATS_FILE_TMPDIR/podman"
	mkdir -p "$PM_DIR/tmp"
	# default_ulimits = []: podman's default rlimits (nofile 1048576) cannot be
	# set on a host whose hard limits cannot be raised (see the test below).
	cat >"$PM_DIR/containers.conf" <<-EOF
		[containers]
		default_ulimits = []
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "box", "$(basename "$ENGINE_RUNTIME")"]
	EOF
	local out
	if ! out=$(tar -C "$ROOTFS" -c . | pm import - "$IMAGE" 2>&1); then
		echo "podman import of $ROOTFS failed: $out" >"$BATS_FILE_TMPDIR/podman.broken"
	fi
}

setup_containerd() {
	CTD_DIR="$BATS_FILE_TMPDIR/containerd"
	mkdir -p "$CTD_DIR/oci-state"
	# unix socket paths are limited to 108 bytes
	CTD_SOCK_DIR="$CTD_DIR"
	if ((${#CTD_DIR} > 80)); then
		CTD_SOCK_DIR=$(mktemp -d /tmp/box-ctd.XXXXXX)
	fi
	CTD_SOCK="$CTD_SOCK_DIR/containerd.sock"
	cat >"$CTD_DIR/config.toml" <<-EOF
		version = 2
		root = "$CTD_DIR/root"
		state = "$CTD_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTD_SOCK"
		[ttrpc]
		  address = "$CTD_SOCK.ttrpc"
		[debug]
		  address = "$CTD_SOCK.debug"
		  level = "debug"
		[metrics]
		  address = ""
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$CTD_DIR/opt"
	EOF
	containerd --config "$CTD_DIR/config.toml" >"$CTD_DIR/containerd.log" 2>&1 </dev/null 3>&- &
	CTD_PID=$!
	echo "$CTD_PID" >"$CTD_DIR/containerd.pid"
	local i
	for ((i = 0; i < 100; i++)); do
		ctr -a "$CTD_SOCK" version >/dev/null 2>&1 && break
		if ! kill -0 "$CTD_PID" 2>/dev/null; then
			echo "containerd exited: $(tail -n 5 "$CTD_DIR/containerd.log")" >"$BATS_FILE_TMPDIR/containerd.broken"
			return 0
		fi
		sleep 0.1
	done
	if ! ctr -a "$CTD_SOCK" version >/dev/null 2>&1; then
		echo "containerd did not answer on $CTD_SOCK within 10s: $(tail -n 5 "$CTD_DIR/containerd.log")" >"$BATS_FILE_TMPDIR/containerd.broken"
		return 0
	fi
	local out
	if ! out=$("$REPO/hack/oci-image.sh" "$ROOTFS" "$CTD_DIR/image.tar" "$IMAGE" 2>&1) ||
		! out=$(cr images import "$CTD_DIR/image.tar" 2>&1); then
		echo "importing the rootfs image into containerd failed: $out" >"$BATS_FILE_TMPDIR/containerd.broken"
	fi
}

setup_file() {
	engines_enabled || return 0
	[[ "$(id -u)" -eq 0 ]] || return 0
	[[ -x "$BOX_BIN" && -x "$ROOTFS/bin/sh" ]] || return 0
	if command -v podman >/dev/null && command -v conmon >/dev/null; then
		setup_podman
	fi
	if command -v containerd >/dev/null && command -v ctr >/dev/null; then
		setup_containerd
	fi
	export PM_DIR CTD_DIR CTD_SOCK CTD_SOCK_DIR CTD_PID
}

teardown_file() {
	if [[ -n "${PM_DIR:-}" && -d "$PM_DIR" ]]; then
		pm rm -af -t 0 >/dev/null 2>&1 || true
		unmount_under "$PM_DIR"
	fi
	if [[ -n "${CTD_PID:-}" ]]; then
		local id
		for id in $(cr task ls -q 2>/dev/null); do
			cr task kill -a -s KILL "$id" >/dev/null 2>&1 || true
		done
		for id in $(cr task ls -q 2>/dev/null); do
			retry 5 _ctr_status_is "$id" STOPPED || true
			cr task rm -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(cr containers ls -q 2>/dev/null); do
			cr containers rm "$id" >/dev/null 2>&1 || true
		done
		# the parent cgroup of the namespace (/boxtest), when empty
		local d
		for d in /sys/fs/cgroup/*/boxtest /sys/fs/cgroup/boxtest; do
			[[ ! -d "$d" ]] || rmdir "$d" 2>/dev/null || true
		done
		kill "$CTD_PID" 2>/dev/null || true
		retry 10 _pid_gone "$CTD_PID" || kill -9 "$CTD_PID" 2>/dev/null || true
		unmount_under "$CTD_DIR"
		[[ "${CTD_SOCK_DIR:-}" == "${CTD_DIR:-}" ]] || rm -rf "$CTD_SOCK_DIR"
	fi
}

setup() {
	engines_enabled || skip "engine tests are opt-in: set BOX_TEST_ENGINES=1 (make test-engines)"
	requires root
	require_box_bin
	require_rootfs
	NAME="e${BATS_TEST_NUMBER}-$$"
}

# Removes what the test left in the engines, and fails the test if the
# runtime left anything behind for a container the engine removed: its state
# directory, a mount, or a cgroup.
teardown() {
	engines_enabled || return 0
	[[ "$(id -u)" -eq 0 ]] || return 0
	local problems=() ids id
	if [[ -n "${PM_DIR:-}" && -d "$PM_DIR" && ! -f "$BATS_FILE_TMPDIR/podman.broken" ]]; then
		ids=$(pm ps -aq --no-trunc 2>/dev/null) || ids=""
		[[ -z "$ids" ]] || pm rm -af -t 0 >/dev/null 2>&1 || true
		for id in $ids; do
			retry 3 _no_leftovers podman_leftovers "$id" ||
				problems+=("podman container $id: left $(podman_leftovers "$id" | tr '\n' ' ')")
		done
	fi
	if [[ -n "${CTD_PID:-}" && ! -f "$BATS_FILE_TMPDIR/containerd.broken" ]]; then
		for id in $(cr task ls -q 2>/dev/null); do
			[[ "$(ctr_status "$id")" == STOPPED ]] || cr task kill -a -s KILL "$id" >/dev/null 2>&1 || true
			retry 5 _ctr_status_is "$id" STOPPED || true
			cr task rm -f "$id" >/dev/null 2>&1 || true
		done
		ids=$(cr containers ls -q 2>/dev/null) || ids=""
		for id in $ids; do
			cr containers rm "$id" >/dev/null 2>&1 || true
		done
		for id in $ids; do
			retry 3 _no_leftovers ctr_leftovers "$id" ||
				problems+=("containerd container $id: left $(ctr_leftovers "$id" | tr '\n' ' ')")
		done
	fi
	if ((${#problems[@]})); then
		printf 'teardown: %s\n' "${problems[@]}" >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------
# podman
# ---------------------------------------------------------------------------

@test "podman: run in the foreground passes stdout, stderr and the exit code" {
	requires_engine podman
	run --separate-stderr pm_run --rm "$IMAGE" sh -c 'echo out; echo err >&2; exit 3'
	assert_equal "$status" 3
	assert_equal "$output" out
	assert_equal "$stderr" err
}

@test "podman: a runtime error reaches the user (conmon --log-format json), exit 127" {
	requires_engine podman
	run -127 --separate-stderr pm_run --rm "$IMAGE" /no/such/binary
	[[ "$stderr" == *"/no/such/binary"* ]] || fail "podman's error does not name the binary: $stderr"
}

# A mount that fails inside the container's init: the user gets the runtime's
# message every time (box used to race here: its parent wrote to the init's
# socket after the init had died, and reported "handshake write: Broken pipe",
# or died of SIGPIPE with status 141 and no message).
@test "podman: a failing mount in the init is reported with the runtime's message" {
	requires_engine podman
	echo file >"$BATS_TEST_TMPDIR/file"
	local i
	for i in 1 2 3 4 5; do
		run pm_run --rm -v "$BATS_TEST_TMPDIR/file:/etc" "$IMAGE" true
		assert_equal "$status" 126
		assert_output --partial '"/etc"'
		assert_output --regexp '[Nn]ot a directory'
	done
}

@test "podman: run -d, then ps shows it running" {
	requires_engine podman
	run pm_run -d --name "$NAME" "$IMAGE" sleep 1000
	assert_success
	run pm ps --format '{{.Names}} {{.Status}}'
	assert_success
	assert_output --regexp "^$NAME Up"
	run pm inspect -f '{{.State.Pid}}' "$NAME"
	assert_success
	pid_alive "$output" || fail "container pid $output is not alive"
}

@test "podman: exec without -t: output and exit code" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run --separate-stderr pm exec "$NAME" sh -c 'echo execd; echo e >&2; exit 4'
	assert_equal "$status" 4
	assert_equal "$output" execd
	assert_equal "$stderr" e
	run pm exec -u 1000:1000 -w /tmp -e X=1 "$NAME" sh -c 'echo $(id -u) $(pwd) $X'
	assert_success
	assert_output "1000 /tmp 1"
}

@test "podman: exec -t gets a terminal and the exit code" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run pm exec -t "$NAME" sh -c 'tty; exit 5'
	assert_equal "$status" 5
	assert_output --regexp '^/dev/pts/[0-9]+'
}

@test "podman: exec -i passes stdin" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run with_stdin stdin-exec pm exec -i "$NAME" sh -c 'cat; exit 6'
	assert_equal "$status" 6
	assert_output stdin-exec
}

@test "podman: run -i passes stdin and the exit code" {
	requires_engine podman
	run with_stdin hello pm_run --rm -i "$IMAGE" sh -c 'read x; echo got:$x; exit 2'
	assert_equal "$status" 2
	assert_output got:hello
}

@test "podman: run -t in the foreground gets a terminal" {
	requires_engine podman
	run pm_run --rm -t "$IMAGE" sh -c 'tty; exit 8'
	assert_equal "$status" 8
	assert_output --regexp '^/dev/pts/[0-9]+'
}

@test "podman: logs" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sh -c 'echo line1; echo line2 >&2; sleep 1000' >/dev/null
	retry 10 _pm_logs_have "$NAME" line1 line2 || true
	run pm logs "$NAME"
	assert_success
	assert_line line1
	assert_line line2
}

@test "podman: stop sends SIGTERM, the exit code is the container's" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
	retry 10 _pm_logs_have "$NAME" ready || fail "container did not start"
	run pm stop -t 20 "$NAME"
	assert_success
	run pm wait "$NAME"
	assert_output 7
	run pm logs "$NAME"
	assert_line got-term
}

_pm_logs_have() {
	pm logs "$1" 2>&1 | grep -qx "$2"
}

@test "podman: kill delivers the signal; default SIGKILL ends with 137" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null
	retry 10 _pm_logs_have "$NAME" ready || fail "container did not start"
	run pm kill -s USR1 "$NAME"
	assert_success
	retry 10 _pm_logs_have "$NAME" got-usr1 || fail "SIGUSR1 did not reach the container: $(pm logs "$NAME" 2>&1)"
	run pm kill "$NAME"
	assert_success
	run pm wait "$NAME"
	assert_output 137
}

@test "podman: stop with --pid=host uses kill --all and ends every process" {
	requires_engine podman
	pm_run -d --name "$NAME" --pid=host "$IMAGE" sleep 1001 >/dev/null
	pm exec -d "$NAME" sleep 1002 >/dev/null
	retry 10 pgrep -fx 'sleep 1002' >/dev/null || fail "exec -d did not start"
	run pm stop -t 5 "$NAME"
	assert_success
	retry 5 bash -c '! pgrep -fx "sleep 100[12]"' || fail "processes left: $(pgrep -fa 'sleep 100[12]')"
}

@test "podman: pause and unpause" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run pm pause "$NAME"
	assert_success
	run pm inspect -f '{{.State.Status}}' "$NAME"
	assert_output paused
	local pid
	pid=$(pm inspect -f '{{.State.Pid}}' "$NAME")
	run freezer_state "$pid"
	assert_output FROZEN
	run pm unpause "$NAME"
	assert_success
	run pm inspect -f '{{.State.Status}}' "$NAME"
	assert_output running
	run pm exec "$NAME" echo after-unpause
	assert_output after-unpause
}

@test "podman: top lists the container's processes" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	pm exec -d "$NAME" sleep 999 >/dev/null
	retry 10 _pm_top_has "$NAME" 'sleep 999' || true
	run pm top "$NAME" pid args
	assert_success
	assert_line --regexp '^1 +sleep 1000'
	assert_line --regexp '^[0-9]+ +sleep 999'
}

_pm_top_has() {
	pm top "$1" pid args 2>/dev/null | grep -q "$2"
}

@test "podman: rm -f removes a running container and leaves nothing behind" {
	requires_engine podman
	pm_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	local id pid
	id=$(pm inspect -f '{{.Id}}' "$NAME")
	pid=$(pm inspect -f '{{.State.Pid}}' "$NAME")
	[[ -n "$(runtime_state_dirs "$id")" ]] || fail "no runtime state for $id in /run/{box,runc,crun}"
	[[ -n "$(cgroup_dirs_named "libpod-$id")" ]] || fail "no cgroup libpod-$id"
	run pm rm -f -t 0 "$NAME"
	assert_success
	run pm ps -aq
	assert_output ""
	wait_for_pid_gone "$pid"
	run runtime_state_dirs "$id"
	assert_output ""
	run cgroup_dirs_named "libpod-$id"
	assert_output ""
}

@test "podman: read-only bind volume" {
	requires_engine podman
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	echo volfile >"$BATS_TEST_TMPDIR/vol/f"
	run pm_run --rm -v "$BATS_TEST_TMPDIR/vol:/v:ro" "$IMAGE" sh -c 'cat /v/f; echo x > /v/g'
	assert_failure
	assert_line volfile
	assert_line --partial "Read-only file system"
	[[ ! -e "$BATS_TEST_TMPDIR/vol/g" ]] || fail "the container wrote through a read-only volume"
	run pm_run --rm -v "$BATS_TEST_TMPDIR/vol:/v" "$IMAGE" sh -c 'echo rw > /v/g'
	assert_success
	assert_file_contains "$BATS_TEST_TMPDIR/vol/g" rw
}

@test "podman: --user" {
	requires_engine podman
	run pm_run --rm --user 1000:1000 "$IMAGE" id
	assert_success
	assert_output --regexp '^uid=1000(\(.*\))? gid=1000'
}

@test "podman: --memory sets the memory limit" {
	requires_engine podman
	run pm_run --rm --memory 64m "$IMAGE" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	assert_success
	assert_output 67108864
}

@test "podman: --pids-limit sets the pids limit" {
	requires_engine podman
	run pm_run --rm --pids-limit 50 "$IMAGE" sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
	assert_success
	assert_output 50
}

@test "podman: --cap-drop ALL" {
	requires_engine podman
	run pm_run --rm --cap-drop ALL "$IMAGE" grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status
	assert_success
	assert_equal "$(grep -c ':.0000000000000000$' <<<"$output")" 5
}

@test "podman: --read-only (root read-only, tmpfs /tmp /run /var/tmp with tmpcopyup)" {
	requires_engine podman
	run pm_run --rm --read-only "$IMAGE" sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok'
	assert_success
	assert_line --partial "Read-only file system"
	assert_line tmp-ok
}

@test "podman: --read-only --read-only-tmpfs=false" {
	requires_engine podman
	run pm_run --rm --read-only --read-only-tmpfs=false "$IMAGE" sh -c 'touch /x 2>&1; grep " / " /proc/mounts'
	assert_success
	assert_line --partial "Read-only file system"
	assert_line --regexp ' / [^ ]+ ro[, ]'
}

@test "podman: --tmpfs (tmpcopyup by default)" {
	requires_engine podman
	run pm_run --rm --tmpfs /etc "$IMAGE" sh -c 'grep " /etc " /proc/mounts; cat /etc/passwd | head -n1'
	assert_success
	assert_line --regexp '^tmpfs /etc tmpfs'
	assert_line --regexp '^root:'
}

@test "podman: --hostname" {
	requires_engine podman
	run pm_run --rm --hostname boxhost "$IMAGE" hostname
	assert_success
	assert_output boxhost
}

@test "podman: -e" {
	requires_engine podman
	run pm_run --rm -e FOO=bar -e EMPTY= "$IMAGE" sh -c 'echo "$FOO[$EMPTY]"'
	assert_success
	assert_output "bar[]"
}

@test "podman: -w" {
	requires_engine podman
	run pm_run --rm -w /tmp "$IMAGE" pwd
	assert_success
	assert_output /tmp
}

# Engine/host failure, not the runtime's: the test shows it with runc.
@test "podman: its default rlimits fail on this host with runc too (hence default_ulimits = [])" {
	requires_engine podman
	local hard
	hard=$(ulimit -Hn)
	if [[ "$hard" == unlimited ]] || ((hard >= 1048576)); then
		skip "requires a hard nofile limit below podman's default 1048576 (here: $hard)"
	fi
	cat >"$BATS_TEST_TMPDIR/containers.conf" <<-EOF
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
	EOF
	PM_CONF="$BATS_TEST_TMPDIR/containers.conf" RT=runc run pm_run --rm "$IMAGE" true
	assert_equal "$status" 126
	assert_output --partial rlimit
	PM_CONF="$BATS_TEST_TMPDIR/containers.conf" run pm_run --rm "$IMAGE" true
	assert_equal "$status" 126
	assert_output --regexp 'rlimit|RLIMIT'
}

# ---------------------------------------------------------------------------
# containerd (ctr, runc shim io.containerd.runc.v2 with --runc-binary)
# ---------------------------------------------------------------------------

@test "containerd: ctr run --rm passes stdout, stderr and the exit code" {
	requires_engine containerd
	run --separate-stderr cr_run --rm "$IMAGE" "$NAME" sh -c 'echo out; echo err >&2; exit 3'
	assert_equal "$status" 3
	assert_equal "$output" out
	assert_equal "$stderr" err
	run cr containers ls -q
	assert_output ""
	[[ -z "$(ls -A "$CTD_DIR/oci-state/boxtest" 2>/dev/null)" ]] || fail "runtime state left: $(ls "$CTD_DIR/oci-state/boxtest")"
	run cgroup_dirs_named "$NAME"
	assert_output ""
}

@test "containerd: a runtime error reaches the user (--log log.json --log-format json)" {
	requires_engine containerd
	run cr_run --rm "$IMAGE" "$NAME" /no/such/binary
	assert_failure
	assert_output --partial "/no/such/binary"
}

@test "containerd: a failing mount in the init is reported with the runtime's message" {
	requires_engine containerd
	local i
	for i in 1 2 3 4 5; do
		run cr_run --rm --mount type=tmpfs,src=tmpfs,destination=/x,options=bogus "$IMAGE" "$NAME-$i" true
		assert_failure
		assert_output --partial '/x'
		assert_output --regexp '[Ii]nvalid argument'
		refute_output --partial 'exit status 141'
	done
}

@test "containerd: ctr run passes stdin" {
	requires_engine containerd
	run with_stdin hello cr_run --rm "$IMAGE" "$NAME" sh -c 'read x; echo got:$x; exit 6'
	assert_equal "$status" 6
	assert_output got:hello
}

@test "containerd: ctr run -t gets a terminal" {
	requires_engine containerd
	command -v script >/dev/null || skip "requires script (bsdutils)"
	run in_tty ctr -a "$CTD_SOCK" -n boxtest run --fifo-dir "$CTD_DIR/fifo" \
		--runc-binary "$ENGINE_RUNTIME" --runc-root "$CTD_DIR/oci-state" \
		-t --rm "$IMAGE" "$NAME" sh -c 'tty; exit 5'
	assert_equal "$status" 5
	assert_output --regexp '/dev/pts/[0-9]+'
}

@test "containerd: ctr task exec: output and exit code" {
	requires_engine containerd
	cr_run -d "$IMAGE" "$NAME" sleep 1000
	wait_ctr_status "$NAME" RUNNING
	run --separate-stderr cr_exec --exec-id x1 "$NAME" sh -c 'echo execd; echo e >&2; exit 4'
	assert_equal "$status" 4
	assert_equal "$output" execd
	assert_equal "$stderr" e
	run cr_exec --exec-id x2 --cwd /tmp --user 1000 "$NAME" sh -c 'echo $(id -u) $(pwd)'
	assert_success
	assert_output "1000 /tmp"
}

@test "containerd: ctr task exec -t gets a terminal" {
	requires_engine containerd
	command -v script >/dev/null || skip "requires script (bsdutils)"
	cr_run -d "$IMAGE" "$NAME" sleep 1000
	wait_ctr_status "$NAME" RUNNING
	run in_tty ctr -a "$CTD_SOCK" -n boxtest task exec --fifo-dir "$CTD_DIR/fifo" -t --exec-id x1 "$NAME" sh -c 'tty; exit 5'
	assert_equal "$status" 5
	assert_output --regexp '/dev/pts/[0-9]+'
}

@test "containerd: ctr task kill: SIGTERM by default, -s KILL, --all" {
	requires_engine containerd
	cr_run -d "$IMAGE" "$NAME" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	wait_ctr_status "$NAME" RUNNING
	run cr task kill "$NAME"
	assert_success
	wait_ctr_status "$NAME" STOPPED
	run cr task rm "$NAME"
	assert_output --partial "exit code 7"
	cr containers rm "$NAME"

	cr_run -d "$IMAGE" "$NAME" sleep 1000
	wait_ctr_status "$NAME" RUNNING
	run cr task kill -s KILL "$NAME"
	assert_success
	wait_ctr_status "$NAME" STOPPED
	run cr task rm "$NAME"
	assert_output --partial "exit code 137"
	cr containers rm "$NAME"

	cr_run -d "$IMAGE" "$NAME" sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	wait_ctr_status "$NAME" RUNNING
	cr_exec -d --exec-id x1 "$NAME" sleep 1003
	retry 10 pgrep -fx 'sleep 1003' >/dev/null || fail "exec -d did not start"
	run cr task kill --all -s KILL "$NAME"
	assert_success
	wait_ctr_status "$NAME" STOPPED
	retry 5 bash -c '! pgrep -fx "sleep 1003"' || fail "exec'd process left: $(pgrep -fa 'sleep 1003')"
}

@test "containerd: ctr task pause and resume" {
	requires_engine containerd
	cr_run -d "$IMAGE" "$NAME" sleep 1000
	wait_ctr_status "$NAME" RUNNING
	run cr task pause "$NAME"
	assert_success
	run ctr_status "$NAME"
	assert_output PAUSED
	run cr task resume "$NAME"
	assert_success
	run ctr_status "$NAME"
	assert_output RUNNING
	run cr_exec --exec-id x1 "$NAME" echo after-resume
	assert_success
	assert_output after-resume
}

@test "containerd: ctr task ps lists the init and exec'd processes" {
	requires_engine containerd
	cr_run -d "$IMAGE" "$NAME" sleep 1000
	wait_ctr_status "$NAME" RUNNING
	cr_exec -d --exec-id x1 "$NAME" sleep 999
	retry 10 pgrep -fx 'sleep 999' >/dev/null || fail "exec -d did not start"
	local init exec_pid
	init=$(cr task ls | awk -v id="$NAME" '$1 == id { print $2 }')
	exec_pid=$(pgrep -fx 'sleep 999')
	run cr task ps "$NAME"
	assert_success
	assert_line --regexp "^$init +"
	assert_line --regexp "^$exec_pid +.*ExecID:x1"
}

# Engine failure, not the runtime's: ctr 1.6 does not close the task's stdin
# when its own stdin reaches EOF, so `cat` never ends (and ctr forwards
# SIGTERM to the container's init, which ignores it): runc shows the same.
@test "containerd: ctr run does not forward stdin EOF (ctr 1.6, the same with runc)" {
	requires_engine containerd
	local rt rts=(runc)
	[[ "$ENGINE_RUNTIME" == runc ]] || rts+=("$ENGINE_RUNTIME")
	for rt in "${rts[@]}"; do
		run with_stdin hello timeout -s KILL 3 ctr -a "$CTD_SOCK" -n boxtest run --fifo-dir "$CTD_DIR/fifo" --runc-binary "$rt" \
			--runc-root "$CTD_DIR/oci-state" --rm "$IMAGE" "$NAME-$(basename "$rt")" cat
		# usually it hangs until killed; now and then ctr does pass the EOF on (runc too)
		[[ "$status" -eq 0 || "$status" -eq 124 || "$status" -eq 137 ]] ||
			fail "with $rt: ctr run failed (status $status): $output"
		assert_output hello
	done
}

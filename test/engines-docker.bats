#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # variables are set in subshells on purpose
#
# Docker driving box: a private dockerd (Debian's docker.io 20.10) with box
# registered in daemon.json `runtimes` and made the default runtime, the
# suite's rootfs imported as an image, every container with --network none.
# See docs/engines.md.
#
# Opt-in like test/engines.bats: every test skips unless BOX_TEST_ENGINES=1
# (`make test-engines`, hack/test-engines.sh).
#
# Everything lives under $BATS_FILE_TMPDIR/docker and is started in
# setup_file and stopped in teardown_file: a private containerd (dockerd 20.10
# silently uses the system's when /run/containerd/containerd.sock exists, so
# it is always given --containerd), and dockerd with its own --data-root,
# --exec-root, socket, pidfile, key file, cgroup parent (/boxtest-docker-PID)
# and no iptables or bridge. The runtime keeps its state under
# EXEC_ROOT/runtime-runc/moby (the shim's --root; dockerd 20.10 gives every
# runtime runc's). After each test, teardown
# removes the test's containers and fails the test if the runtime left a
# state directory, a shim, a mount or a cgroup for one of them; the last test
# checks that nothing at all is left.
#
# Environment:
#   BOX_TEST_ENGINES=1   run these tests
#   BOX_ENGINE_RUNTIME   the runtime under test (default: $BOX_BIN); runc
#                        runs the same scenarios with Docker's built-in runc
#   BOX_ENGINE_TIMEOUT   seconds one engine command may take (default: 60)
#   BOX_TEST_DOCKER      the docker client (default: /usr/bin/docker, the one
#                        packaged with dockerd)

if [[ "${BOX_TEST_ENGINES:-0}" == 1 ]]; then
	load helpers
fi

ENGINE_RUNTIME="${BOX_ENGINE_RUNTIME:-$BOX_BIN}"
ENGINE_TIMEOUT="${BOX_ENGINE_TIMEOUT:-60}"
IMAGE=boxtest:latest
DOCKER_CLI="${BOX_TEST_DOCKER:-/usr/bin/docker}"
[[ -x "$DOCKER_CLI" ]] || DOCKER_CLI=$(command -v docker || echo docker)

# The name Docker knows the runtime under test by: its built-in runc, or the
# basename of the binary registered in daemon.json.
DK_RT=$(basename "$ENGINE_RUNTIME")

# ---------------------------------------------------------------------------
# Local helpers
# ---------------------------------------------------------------------------

engines_enabled() {
	[[ "${BOX_TEST_ENGINES:-0}" == 1 ]]
}

requires_docker() {
	local bin
	for bin in dockerd containerd containerd-shim-runc-v2 "$DOCKER_CLI"; do
		command -v "$bin" >/dev/null || skip "requires docker ($bin is not installed: apt-get install docker.io)"
	done
	if [[ -f "$BATS_FILE_TMPDIR/docker.broken" ]]; then
		fail "docker setup failed in setup_file: $(cat "$BATS_FILE_TMPDIR/docker.broken")"
	fi
}

dk() {
	DOCKER_CONFIG="$DK_DIR/client" timeout -k 5 "$ENGINE_TIMEOUT" \
		"$DOCKER_CLI" -H "unix://$DK_SOCK" "$@" 3>&-
}

# dk_run ARGS...: docker run with the flags every scenario uses; the runtime
# is dockerd's default one.
dk_run() {
	dk run --network none "$@"
}

# in_tty CMD...: runs CMD with a pseudo-terminal as stdin/stdout; prints its
# output without CR/NUL, returns its status.
in_tty() {
	local cmd
	printf -v cmd '%q ' "$@"
	DOCKER_CONFIG="$DK_DIR/client" SHELL=/bin/bash script -qefc "$cmd" /dev/null </dev/null 3>&- | tr -d '\r\0'
	return "${PIPESTATUS[0]}"
}

with_stdin() {
	local text=$1
	shift
	"$@" <<<"$text"
}

dk_field() {
	dk inspect -f "$2" "$1"
}

_dk_field_is() {
	[[ "$(dk_field "$1" "$2" 2>/dev/null)" == "$3" ]]
}

# wait_dk_field NAME FORMAT VALUE [TIMEOUT]
wait_dk_field() {
	retry "${4:-20}" _dk_field_is "$1" "$2" "$3" ||
		fail "container $1: $2 did not become '$3' (last: $(dk_field "$1" "$2" 2>&1))"
}

_dk_logs_have() {
	local name=$1 logs line
	shift
	logs="$(dk logs "$name" 2>&1)" || return 1
	for line in "$@"; do
		grep -qx -- "$line" <<<"$logs" || return 1
	done
}

wait_dk_logs() {
	local name=$1
	shift
	retry 20 _dk_logs_have "$name" "$@" || fail "logs of $name lack $*: $(dk logs "$name" 2>&1)"
}

# dk_cgroup NAME CONTROLLER FILE: FILE of the container's cgroup v1
# CONTROLLER hierarchy, read on the host (cgroupsPath is PARENT/ID).
dk_cgroup() {
	local id mnt
	id=$(dk_field "$1" '{{.Id}}') || return 1
	mnt=$(cgroup_v1_mount "$2") || return 1
	cat "$mnt/$DK_CGPARENT/$id/$3"
}

# ns_in NAME TYPE: the namespace TYPE of the container's init.
ns_in() {
	readlink "/proc/$(dk_field "$1" '{{.State.Pid}}')/ns/$2"
}

# dk_leftovers ID: what the runtime left of container ID: its state under the
# shim's --root, the shim, mounts naming the id, cgroups PARENT/ID.
dk_leftovers() {
	local id=$1
	[[ ! -e "$DK_RT_ROOT/$id" ]] || echo "state $DK_RT_ROOT/$id"
	pgrep -f -- "-namespace moby -id $id -address $CTD_SOCK" | sed 's/^/shim pid /' || true
	awk -v id="$id" 'index($5, id) { print "mount " $5 }' /proc/self/mountinfo
	find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -path "*/$DK_CGPARENT/$id" 2>/dev/null | sed 's/^/cgroup /' || true
}

_no_leftovers() {
	[[ -z "$(dk_leftovers "$1")" ]]
}

# ---------------------------------------------------------------------------
# Setup: a private containerd and dockerd
# ---------------------------------------------------------------------------

_dk_answers() {
	dk version >/dev/null 2>&1
}

_ctd_answers() {
	ctr -a "$CTD_SOCK" version >/dev/null 2>&1
}

# _answers_or_died PID CHECK: for retry, stops when the daemon died.
_answers_or_died() {
	"$2" || ! kill -0 "$1" 2>/dev/null
}

# wait_daemon PID CHECK NAME LOG
wait_daemon() {
	retry 30 _answers_or_died "$1" "$2" || true
	"$2" || {
		broken "$3 did not answer: $(tail -n 5 "$4")"
		return 1
	}
}

broken() {
	echo "$*" >"$BATS_FILE_TMPDIR/docker.broken"
}

start_containerd() {
	cat >"$DK_DIR/containerd.toml" <<-EOF
		version = 2
		root = "$DK_DIR/containerd/root"
		state = "$DK_DIR/containerd/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTD_SOCK"
		[ttrpc]
		  address = "$CTD_SOCK.ttrpc"
		[debug]
		  address = "$CTD_SOCK.debug"
		[metrics]
		  address = ""
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$DK_DIR/containerd/opt"
	EOF
	containerd --config "$DK_DIR/containerd.toml" >"$DK_DIR/containerd.log" 2>&1 </dev/null 3>&- &
	CTD_PID=$!
	wait_daemon "$CTD_PID" _ctd_answers "containerd on $CTD_SOCK" "$DK_DIR/containerd.log"
}

start_dockerd() {
	local runtimes='{}' default_rt=runc
	if [[ "$DK_RT" != runc ]]; then
		runtimes=$(jq -n --arg n "$DK_RT" --arg p "$ENGINE_RUNTIME" '{($n): {path: $p}}')
		default_rt=$DK_RT
	fi
	jq -n --argjson rt "$runtimes" --arg dflt "$default_rt" --arg cg "/$DK_CGPARENT" \
		--arg key "$DK_DIR/key.json" '{
			runtimes: $rt, "default-runtime": $dflt, "cgroup-parent": $cg,
			"deprecated-key-path": $key, "log-driver": "json-file"
		}' >"$DK_DIR/daemon.json"
	dockerd --config-file "$DK_DIR/daemon.json" --data-root "$DK_DIR/data" \
		--exec-root "$DK_DIR/exec" -H "unix://$DK_SOCK" --pidfile "$DK_DIR/dockerd.pid" \
		--iptables=false --ip6tables=false --bridge=none --containerd "$CTD_SOCK" \
		>"$DK_DIR/dockerd.log" 2>&1 </dev/null 3>&- &
	DK_PID=$!
	wait_daemon "$DK_PID" _dk_answers "dockerd on $DK_SOCK" "$DK_DIR/dockerd.log" || return 1
	local out
	if ! out=$(tar -C "$ROOTFS" -c . | dk import - "$IMAGE" 2>&1); then
		broken "docker import of $ROOTFS failed: $out"
		return 1
	fi
}

setup_file() {
	engines_enabled || return 0
	[[ "$(id -u)" -eq 0 ]] || return 0
	[[ -x "$ENGINE_RUNTIME" || "$DK_RT" == runc ]] || return 0
	[[ -x "$ROOTFS/bin/sh" ]] || return 0
	command -v dockerd >/dev/null && command -v containerd >/dev/null || return 0
	DK_DIR="$BATS_FILE_TMPDIR/docker"
	mkdir -p "$DK_DIR/client"
	# unix socket paths are limited to 108 bytes (containerd adds .ttrpc)
	DK_SOCK_DIR="$DK_DIR"
	if ((${#DK_DIR} > 80)); then
		DK_SOCK_DIR=$(mktemp -d /tmp/box-dk.XXXXXX)
	fi
	DK_SOCK="$DK_SOCK_DIR/docker.sock"
	CTD_SOCK="$DK_SOCK_DIR/containerd.sock"
	DK_CGPARENT="boxtest-docker-$$"
	DK_RT_ROOT="$DK_DIR/exec/runtime-runc/moby"
	# dockerd creates /run/docker/plugins whatever its --exec-root, the shims
	# /run/containerd/s: remove them at the end if they were not there before
	DK_NEW_RUN_DIRS=""
	local d
	for d in /run/docker /run/containerd; do
		[[ -e "$d" ]] || DK_NEW_RUN_DIRS+="$d "
	done
	export DK_DIR DK_SOCK DK_SOCK_DIR CTD_SOCK DK_CGPARENT DK_RT_ROOT DK_NEW_RUN_DIRS
	if start_containerd; then start_dockerd || true; fi
	export CTD_PID DK_PID
}

teardown_file() {
	[[ -n "${DK_DIR:-}" ]] || return 0
	if [[ -n "${DK_PID:-}" ]]; then
		local ids
		ids=$(dk ps -aq 2>/dev/null) || ids=""
		# shellcheck disable=SC2086 # a list of ids
		[[ -z "$ids" ]] || dk rm -f -v $ids >/dev/null 2>&1 || true
		kill "$DK_PID" 2>/dev/null || true
		retry 20 _pid_gone "$DK_PID" || kill -9 "$DK_PID" 2>/dev/null || true
	fi
	if [[ -n "${CTD_PID:-}" ]]; then
		kill "$CTD_PID" 2>/dev/null || true
		retry 10 _pid_gone "$CTD_PID" || kill -9 "$CTD_PID" 2>/dev/null || true
	fi
	unmount_under "$DK_DIR"
	local d
	for d in /sys/fs/cgroup/*/"$DK_CGPARENT" /sys/fs/cgroup/"$DK_CGPARENT"; do
		[[ ! -d "$d" ]] || rmdir "$d" 2>/dev/null || true
	done
	[[ "${DK_SOCK_DIR:-}" == "$DK_DIR" ]] || rm -rf "$DK_SOCK_DIR"
	for d in ${DK_NEW_RUN_DIRS:-}; do
		rmdir "$d"/plugins "$d"/s "$d" 2>/dev/null || true
	done
}

setup() {
	engines_enabled || skip "engine tests are opt-in: set BOX_TEST_ENGINES=1 (make test-engines)"
	requires root
	require_rootfs
	[[ "$DK_RT" == runc ]] || require_box_bin
	requires_docker
	NAME="d${BATS_TEST_NUMBER}-$$"
}

# Removes the test's containers and volumes, and fails the test if the
# runtime left anything behind for them.
teardown() {
	engines_enabled || return 0
	[[ -n "${DK_PID:-}" && ! -f "$BATS_FILE_TMPDIR/docker.broken" ]] || return 0
	local problems=() ids id
	ids=$(dk ps -aq --no-trunc 2>/dev/null) || ids=""
	# shellcheck disable=SC2086 # a list of ids
	[[ -z "$ids" ]] || dk rm -f -v $ids >/dev/null 2>&1 || true
	for id in $ids ${CIDS:-}; do
		retry 5 _no_leftovers "$id" ||
			problems+=("container $id: left $(dk_leftovers "$id" | tr '\n' ' ')")
	done
	dk volume prune -f >/dev/null 2>&1 || true
	if ((${#problems[@]})); then
		printf 'teardown: %s\n' "${problems[@]}" >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------
# run: output, exit codes, stdin, terminal
# ---------------------------------------------------------------------------

@test "docker: run passes stdout, stderr and exit code 42" {
	run --separate-stderr dk_run --name "$NAME" "$IMAGE" sh -c 'echo out; echo err >&2; exit 42'
	assert_equal "$status" 42
	assert_equal "$output" out
	assert_equal "$stderr" err
	run dk_field "$NAME" '{{.State.Status}} {{.State.ExitCode}}'
	assert_output "exited 42"
}

@test "docker: run of a command that does not exist exits 127" {
	run -127 dk_run --name "$NAME" "$IMAGE" nosuchcmd
	assert_output --partial 'executable file not found'
	run dk_field "$NAME" '{{.State.ExitCode}}'
	assert_output 127
}

@test "docker: run of a file that is not executable exits 126" {
	run -126 dk_run --name "$NAME" "$IMAGE" /etc/passwd
	assert_output --partial 'permission denied'
	run dk_field "$NAME" '{{.State.ExitCode}}'
	assert_output 126
}

@test "docker: a killed container exits 137" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run dk kill "$NAME"
	assert_success
	run dk wait "$NAME"
	assert_output 137
	run dk_field "$NAME" '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}'
	assert_output "exited 137 false"
}

@test "docker: run -i passes stdin" {
	run with_stdin hello dk_run --rm -i "$IMAGE" sh -c 'read x; echo got:$x; exit 2'
	assert_equal "$status" 2
	assert_output got:hello
}

@test "docker: run -t gets a terminal" {
	command -v script >/dev/null || skip "requires script (bsdutils)"
	run in_tty "$DOCKER_CLI" -H "unix://$DK_SOCK" run --network none --rm -t "$IMAGE" \
		sh -c 'tty; stty size >/dev/null && echo stty-ok; exit 5'
	assert_equal "$status" 5
	assert_line --regexp '^/dev/pts/[0-9]+$'
	assert_line stty-ok
}

@test "docker: -e, -w, --user, --group-add, --hostname" {
	run dk_run --rm -e FOO=bar -e EMPTY= -w /tmp --user 1000:1000 --group-add 27 \
		--hostname boxhost "$IMAGE" sh -c 'echo "$FOO[$EMPTY] $(pwd) $(id -u):$(id -g) $(id -G) $(hostname)"'
	assert_success
	assert_output "bar[] /tmp 1000:1000 1000 27 boxhost"
}

# ---------------------------------------------------------------------------
# Filesystems
# ---------------------------------------------------------------------------

@test "docker: --read-only with --tmpfs" {
	run dk_run --rm --read-only --tmpfs /scratch:size=1m "$IMAGE" \
		sh -c 'touch /x 2>&1; echo data >/scratch/f && cat /scratch/f; grep " /scratch " /proc/mounts; grep " / " /proc/mounts'
	assert_success
	assert_line --partial "Read-only file system"
	assert_line data
	assert_line --regexp '^tmpfs /scratch tmpfs rw,.*size=1024k'
	assert_line --regexp ' / [^ ]+ ro[, ]'
}

@test "docker: bind volumes read-write and read-only" {
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	echo volfile >"$BATS_TEST_TMPDIR/vol/f"
	run dk_run --rm -v "$BATS_TEST_TMPDIR/vol:/v:ro" "$IMAGE" sh -c 'cat /v/f; echo x > /v/g'
	assert_failure
	assert_line volfile
	assert_line --partial "Read-only file system"
	[[ ! -e "$BATS_TEST_TMPDIR/vol/g" ]] || fail "the container wrote through a read-only volume"
	run dk_run --rm -v "$BATS_TEST_TMPDIR/vol:/v" "$IMAGE" sh -c 'echo rw > /v/g'
	assert_success
	assert_file_contains "$BATS_TEST_TMPDIR/vol/g" rw
}

@test "docker: named volumes keep data between containers" {
	dk volume create "vol-$NAME" >/dev/null
	run dk_run --rm -v "vol-$NAME:/data" "$IMAGE" sh -c 'echo kept > /data/f'
	assert_success
	run dk_run --rm -v "vol-$NAME:/data:ro" "$IMAGE" sh -c 'cat /data/f; touch /data/g'
	assert_failure
	assert_line kept
	assert_line --partial "Read-only file system"
}

@test "docker: --shm-size" {
	run dk_run --rm --shm-size 32m "$IMAGE" sh -c 'grep " /dev/shm " /proc/mounts; echo x > /dev/shm/f && cat /dev/shm/f'
	assert_success
	assert_line --regexp '^shm /dev/shm tmpfs .*size=32768k'
	assert_line x
}

@test "docker: cp into and out of a running container" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	echo into >"$BATS_TEST_TMPDIR/in"
	run dk cp "$BATS_TEST_TMPDIR/in" "$NAME:/tmp/in"
	assert_success
	run dk exec "$NAME" sh -c 'cat /tmp/in; echo out > /tmp/out'
	assert_output into
	run dk cp "$NAME:/tmp/out" "$BATS_TEST_TMPDIR/out"
	assert_success
	assert_file_contains "$BATS_TEST_TMPDIR/out" '^out$'
}

@test "docker: commit of a running container (paused through the runtime)" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	dk exec "$NAME" sh -c 'echo committed > /etc/marker'
	run dk commit "$NAME" "boxtest-commit:$NAME"
	assert_success
	run dk_field "$NAME" '{{.State.Status}}'
	assert_output running
	run dk_run --rm "boxtest-commit:$NAME" cat /etc/marker
	assert_success
	assert_output committed
	dk rmi "boxtest-commit:$NAME" >/dev/null
}

# ---------------------------------------------------------------------------
# Security
# ---------------------------------------------------------------------------

@test "docker: --cap-drop ALL and --cap-add" {
	run dk_run --rm --cap-drop ALL --cap-add NET_RAW --cap-add CHOWN "$IMAGE" \
		grep -E '^Cap(Prm|Eff|Bnd):' /proc/self/status
	assert_success
	assert_equal "$(grep -c ':.0000000000002001$' <<<"$output")" 3
	run dk_run --rm --cap-drop ALL "$IMAGE" sh -c 'chown 1:1 /tmp; echo rc=$?'
	assert_line --partial "Operation not permitted"
	assert_line rc=1
}

@test "docker: --security-opt no-new-privileges" {
	run dk_run --rm --security-opt no-new-privileges "$IMAGE" grep NoNewPrivs /proc/self/status
	assert_success
	assert_output --regexp 'NoNewPrivs:\s+1'
	run dk_run --rm "$IMAGE" grep NoNewPrivs /proc/self/status
	assert_output --regexp 'NoNewPrivs:\s+0'
}

@test "docker: the default seccomp profile blocks unshare, normal work goes on" {
	requires seccomp
	run dk_run --rm "$IMAGE" sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true; echo unshare=$?; echo work > /tmp/w && cat /tmp/w'
	assert_success
	assert_line --regexp '^Seccomp:\s+2$'
	assert_line --partial 'Operation not permitted'
	assert_line unshare=1
	assert_line work
}

@test "docker: --security-opt seccomp=unconfined" {
	requires seccomp
	run dk_run --rm --security-opt seccomp=unconfined "$IMAGE" sh -c 'grep "^Seccomp:" /proc/self/status; unshare -U true; echo unshare=$?'
	assert_success
	assert_line --regexp '^Seccomp:\s+0$'
	assert_line unshare=0
}

@test "docker: a custom seccomp profile" {
	requires seccomp
	cat >"$BATS_TEST_TMPDIR/profile.json" <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
	EOF
	run dk_run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/profile.json" "$IMAGE" \
		sh -c 'mkdir /tmp/d; echo mkdir=$?; touch /tmp/f && echo touch-ok'
	assert_success
	assert_line --partial 'Operation not permitted'
	assert_line mkdir=1
	assert_line touch-ok
}

@test "docker: --device and --device-cgroup-rule" {
	requires cgroup_v1
	# c 42:* is allowed by the rule (no driver: ENXIO), c 43:* is not (EPERM)
	run dk_run --rm --device /dev/null:/dev/mynull --device-cgroup-rule 'c 42:* rmw' "$IMAGE" sh -c '
		echo x > /dev/mynull && echo write-ok; stat -c "%t:%T" /dev/mynull
		mknod /tmp/c42 c 42 1 && cat /tmp/c42; mknod /tmp/c43 c 43 1 && cat /tmp/c43'
	assert_line write-ok
	assert_line 1:3
	assert_line --regexp "c42'?: No such device or address"
	assert_line --regexp "c43'?: Operation not permitted"
}

@test "docker: --sysctl net.* and kernel.* (ipc)" {
	run dk_run --rm --sysctl net.ipv4.ip_unprivileged_port_start=1000 --sysctl kernel.msgmax=12345 "$IMAGE" \
		cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/msgmax
	assert_success
	assert_output $'1000\n12345'
}

@test "docker: --ulimit" {
	run dk_run --rm --ulimit nofile=100:200 --ulimit nproc=300:400 "$IMAGE" \
		grep -E '^Max (open files|processes)' /proc/self/limits
	assert_success
	assert_line --regexp '^Max processes +300 +400 '
	assert_line --regexp '^Max open files +100 +200 '
}

@test "docker: --init runs docker-init as PID 1" {
	run dk_run --rm --init "$IMAGE" sh -c 'cat /proc/1/comm; echo "sh=$$"; exit 9'
	assert_equal "$status" 9
	assert_line docker-init
	refute_line sh=1
}

# ---------------------------------------------------------------------------
# Resources (cgroup v1 files read on the host)
# ---------------------------------------------------------------------------

# Docker sends zeros for what the user did not set ("cpu": {"shares": 0},
# "blockIO": {"weight": 0}, ...): they mean "not set", as with runc.
@test "docker: a plain container gets the kernel's default limits" {
	requires cgroup_v1
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run dk_cgroup "$NAME" cpu cpu.shares
	assert_output 1024
	run dk_cgroup "$NAME" cpu cpu.cfs_quota_us
	assert_output -- -1
	run dk_cgroup "$NAME" pids pids.max
	assert_output max
	run dk_cgroup "$NAME" memory memory.limit_in_bytes
	assert_output "$(cat "$(cgroup_v1_mount memory)/memory.limit_in_bytes")"
}

@test "docker: --cpus, --cpu-shares, --cpuset-cpus" {
	requires cgroup_v1
	dk_run -d --name "$NAME" --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 "$IMAGE" sleep 1000 >/dev/null
	run dk_cgroup "$NAME" cpu cpu.cfs_quota_us
	assert_output 50000
	run dk_cgroup "$NAME" cpu cpu.cfs_period_us
	assert_output 100000
	run dk_cgroup "$NAME" cpu cpu.shares
	assert_output 512
	run dk_cgroup "$NAME" cpuset cpuset.cpus
	assert_output 0
	run dk exec "$NAME" nproc
	assert_output 1
}

# Without a proportional I/O scheduler (no blkio.weight file), Docker itself
# drops the weight and says so: the container must still run.
@test "docker: --blkio-weight" {
	requires cgroup_v1
	local mnt weight_file=""
	mnt=$(cgroup_v1_mount blkio) || skip "requires the blkio cgroup controller"
	[[ ! -f "$mnt/blkio.weight" ]] || weight_file=blkio.weight
	[[ ! -f "$mnt/blkio.bfq.weight" ]] || weight_file=blkio.bfq.weight
	run dk_run -d --name "$NAME" --blkio-weight 300 "$IMAGE" sleep 1000
	assert_success
	wait_dk_field "$NAME" '{{.State.Status}}' running
	if [[ -n "$weight_file" ]]; then
		run dk_cgroup "$NAME" blkio "$weight_file"
		assert_output --regexp '(^| )300$'
	else
		assert_output --partial 'does not support Block I/O weight'
	fi
}

@test "docker: --pids-limit stops a fork loop" {
	requires cgroup_v1
	# the inner shell forks until the limit stops it (ash gives up with 2);
	# its children stay, counted in pids.current
	dk_run -d --name "$NAME" --pids-limit 20 "$IMAGE" sh -c \
		'sh -c "while :; do sleep 1000 & done" 2>&1; echo loop-stopped rc=$?; exec sleep 1000' >/dev/null
	wait_dk_logs "$NAME" "loop-stopped rc=2"
	run dk logs "$NAME"
	assert_output --regexp "can't fork|Resource temporarily unavailable"
	run dk_cgroup "$NAME" pids pids.max
	assert_output 20
	run dk_cgroup "$NAME" pids pids.current
	(("$output" > 10 && "$output" <= 20)) || fail "pids.current is $output"
}

@test "docker: --memory: an allocation beyond it is OOM-killed" {
	run dk_run --name "$NAME" --memory 32m --memory-swap 32m "$IMAGE" \
		dd if=/dev/zero of=/dev/null bs=64M count=1
	assert_equal "$status" 137
	run dk_field "$NAME" '{{.State.OOMKilled}} {{.State.ExitCode}}'
	assert_output "true 137"
}

@test "docker: update changes the cgroup files" {
	requires cgroup_v1
	dk_run -d --name "$NAME" --memory 64m "$IMAGE" sleep 1000 >/dev/null
	run dk update --memory 128m --memory-swap 256m --cpu-shares 256 --cpus 0.25 --pids-limit 77 "$NAME"
	assert_success
	run dk_cgroup "$NAME" memory memory.limit_in_bytes
	assert_output 134217728
	if [[ -f "$(cgroup_v1_mount memory)/memory.memsw.limit_in_bytes" ]]; then
		run dk_cgroup "$NAME" memory memory.memsw.limit_in_bytes
		assert_output 268435456
	fi
	run dk_cgroup "$NAME" cpu cpu.shares
	assert_output 256
	run dk_cgroup "$NAME" cpu cpu.cfs_quota_us
	assert_output 25000
	run dk_cgroup "$NAME" pids pids.max
	assert_output 77
	run dk_field "$NAME" '{{.HostConfig.Memory}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}}'
	assert_output "134217728 256 77"
}

@test "docker: stats" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	dk exec -d "$NAME" sleep 999
	run dk stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' "$NAME"
	assert_success
	assert_output --regexp "^$NAME 2 [0-9.]+[KMG]i?B / "
}

# ---------------------------------------------------------------------------
# exec
# ---------------------------------------------------------------------------

@test "docker: exec -u -w -e passes output and the exit code" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run --separate-stderr dk exec -u 1000:1000 -w /tmp -e X=1 "$NAME" sh -c 'echo $(id -u) $(pwd) $X; echo e >&2; exit 4'
	assert_equal "$status" 4
	assert_equal "$output" "1000 /tmp 1"
	assert_equal "$stderr" e
	# Docker's exec ends with 126 when the runtime cannot start the process
	run dk exec "$NAME" nosuchcmd
	assert_equal "$status" 126
	assert_output --partial 'executable file not found'
}

@test "docker: exec -t gets a terminal" {
	command -v script >/dev/null || skip "requires script (bsdutils)"
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run in_tty "$DOCKER_CLI" -H "unix://$DK_SOCK" exec -t "$NAME" sh -c 'tty; exit 5'
	assert_equal "$status" 5
	assert_output --regexp '^/dev/pts/[0-9]+$'
}

@test "docker: exec -d runs in the background; top lists it" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run dk exec -d "$NAME" sh -c 'echo bg > /tmp/bg; exec sleep 999'
	assert_success
	retry 10 dk exec "$NAME" test -e /tmp/bg || fail "exec -d did not run"
	run dk top "$NAME"
	assert_success
	assert_line --regexp 'sleep 1000$'
	assert_line --regexp 'sleep 999$'
}

# ---------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------

@test "docker: pause and unpause" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run dk pause "$NAME"
	assert_success
	run dk_field "$NAME" '{{.State.Status}}'
	assert_output paused
	run freezer_state "$(dk_field "$NAME" '{{.State.Pid}}')"
	assert_output FROZEN
	run dk unpause "$NAME"
	assert_success
	run dk_field "$NAME" '{{.State.Status}}'
	assert_output running
	run dk exec "$NAME" echo after-unpause
	assert_output after-unpause
}

@test "docker: kill -s delivers the signal" {
	dk_run -d --name "$NAME" "$IMAGE" sh -c 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null
	wait_dk_logs "$NAME" ready
	run dk kill -s USR1 "$NAME"
	assert_success
	wait_dk_logs "$NAME" got-usr1
	run dk_field "$NAME" '{{.State.Status}}'
	assert_output running
}

@test "docker: stop sends SIGTERM; the exit code is the container's" {
	dk_run -d --name "$NAME" "$IMAGE" sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
	wait_dk_logs "$NAME" ready
	run dk stop -t 30 "$NAME"
	assert_success
	run dk_field "$NAME" '{{.State.Status}} {{.State.ExitCode}}'
	assert_output "exited 7"
	run dk logs "$NAME"
	assert_line got-term
}

@test "docker: stop sends SIGKILL after the timeout when SIGTERM is ignored" {
	dk_run -d --name "$NAME" "$IMAGE" sh -c 'trap "echo ignored-term" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
	wait_dk_logs "$NAME" ready
	run dk stop -t 1 "$NAME"
	assert_success
	run dk_field "$NAME" '{{.State.Status}} {{.State.ExitCode}}'
	assert_output "exited 137"
	run dk logs "$NAME"
	assert_line ignored-term
}

@test "docker: restart starts a new init" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	local pid1
	pid1=$(dk_field "$NAME" '{{.State.Pid}}')
	run dk restart -t 1 "$NAME"
	assert_success
	run dk_field "$NAME" '{{.State.Status}}'
	assert_output running
	run dk_field "$NAME" '{{.State.Pid}}'
	[[ "$output" != "$pid1" ]] || fail "the init was not replaced (pid $pid1)"
	pid_alive "$output" || fail "the new init $output is not alive"
	wait_for_pid_gone "$pid1"
}

@test "docker: --restart on-failure:2 restarts twice, then stops" {
	dk_run -d --name "$NAME" --restart on-failure:2 "$IMAGE" sh -c 'echo started; exit 3' >/dev/null
	wait_dk_field "$NAME" '{{.RestartCount}} {{.State.Status}}' "2 exited" 30
	run dk_field "$NAME" '{{.State.ExitCode}}'
	assert_output 3
	run dk logs "$NAME"
	assert_equal "$(grep -c '^started$' <<<"$output")" 3
}

@test "docker: rm -f removes a running container and leaves nothing behind" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	local id pid
	id=$(dk_field "$NAME" '{{.Id}}')
	pid=$(dk_field "$NAME" '{{.State.Pid}}')
	[[ -d "$DK_RT_ROOT/$id" ]] || fail "no runtime state for $id in $DK_RT_ROOT"
	dk_leftovers "$id" | grep -q "^cgroup " || fail "no cgroup $DK_CGPARENT/$id"
	run dk rm -f "$NAME"
	assert_success
	wait_for_pid_gone "$pid"
	retry 5 _no_leftovers "$id" || fail "left: $(dk_leftovers "$id")"
}

@test "docker: --rm removes the container when it exits" {
	run dk_run --rm --cidfile "$BATS_TEST_TMPDIR/cid" --name "$NAME" "$IMAGE" sh -c 'echo bye; exit 3'
	assert_equal "$status" 3
	assert_output bye
	CIDS=$(cat "$BATS_TEST_TMPDIR/cid")
	retry 10 bash -c '[[ -z "$1" ]]' _ "$(dk ps -aq --filter "name=^$NAME\$")" || true
	run dk ps -aq --filter "name=^$NAME\$"
	assert_output ""
}

@test "docker: a healthcheck becomes healthy" {
	dk_run -d --name "$NAME" --health-cmd 'grep -q ready /tmp/state' --health-interval 1s \
		--health-retries 60 "$IMAGE" sh -c 'echo ready > /tmp/state; sleep 1000' >/dev/null
	wait_dk_field "$NAME" '{{.State.Health.Status}}' healthy 60
	run dk_field "$NAME" '{{(index .State.Health.Log 0).ExitCode}}'
	assert_output 0
}

@test "docker: 10 runs in parallel" {
	local i pids=()
	for i in $(seq 1 10); do
		dk_run --rm --name "$NAME-$i" "$IMAGE" sh -c "echo run-$i; exit $i" >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
		pids+=($!)
	done
	for i in $(seq 1 10); do
		local rc=0
		wait "${pids[$((i - 1))]}" || rc=$?
		assert_equal "$rc" "$i"
		assert_file_contains "$BATS_TEST_TMPDIR/out$i" "^run-$i\$"
	done
}

@test "docker: wait prints the exit code" {
	dk_run -d --name "$NAME" "$IMAGE" sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 5' >/dev/null
	dk exec "$NAME" touch /tmp/go
	run dk wait "$NAME"
	assert_success
	assert_output 5
}

# (docker attach ends the output stream as soon as its stdin ends, unless the
# container has StdinOnce: stdin goes through start -ai, output through attach)
@test "docker: attach gets the output and the exit code; start -ai passes stdin" {
	dk_run -d --name "$NAME" "$IMAGE" sh -c 'echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo two; exit 4' >/dev/null
	dk attach --no-stdin "$NAME" >"$BATS_TEST_TMPDIR/attach" 2>&1 &
	local attach_pid=$! rc=0
	retry 20 _dk_attached "$NAME" || fail "docker attach did not attach"
	dk exec "$NAME" touch /tmp/go
	wait "$attach_pid" || rc=$?
	assert_equal "$rc" 4
	assert_equal "$(cat "$BATS_TEST_TMPDIR/attach")" two

	dk create -i --network none --name "$NAME-i" "$IMAGE" sh -c 'read l; echo got:$l; exit 3' >/dev/null
	run with_stdin hi dk start -ai "$NAME-i"
	assert_equal "$status" 3
	assert_output got:hi
}

_dk_attached() {
	[[ -n "$(dk events --since 0 --until "$(date +%s)" --filter "container=$1" --filter event=attach)" ]]
}

@test "docker: logs -f follows until the container exits" {
	dk_run -d --name "$NAME" "$IMAGE" sh -c 'echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo two' >/dev/null
	dk logs -f "$NAME" >"$BATS_TEST_TMPDIR/logs" 2>&1 &
	local logs_pid=$!
	retry 10 grep -qx one "$BATS_TEST_TMPDIR/logs" || fail "logs -f did not show the first line"
	dk exec "$NAME" touch /tmp/go
	wait "$logs_pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/logs")" $'one\ntwo'
}

# ---------------------------------------------------------------------------
# Namespaces shared with a container or the host
# ---------------------------------------------------------------------------

@test "docker: --pid container: and --pid host" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run dk_run --rm --pid "container:$NAME" "$IMAGE" sh -c 'readlink /proc/self/ns/pid; ps -o args'
	assert_success
	assert_line "$(ns_in "$NAME" pid)"
	assert_line --regexp '^sleep 1000'
	run dk_run --rm --pid host "$IMAGE" readlink /proc/self/ns/pid
	assert_output "$(readlink /proc/self/ns/pid)"
}

@test "docker: --network container: and --network host" {
	dk_run -d --name "$NAME" "$IMAGE" sleep 1000 >/dev/null
	run dk run --rm --network "container:$NAME" "$IMAGE" readlink /proc/self/ns/net
	assert_output "$(ns_in "$NAME" net)"
	run dk run --rm --network host "$IMAGE" readlink /proc/self/ns/net
	assert_output "$(readlink /proc/self/ns/net)"
}

@test "docker: --ipc container: and --ipc host" {
	dk_run -d --name "$NAME" --ipc shareable "$IMAGE" sleep 1000 >/dev/null
	run dk_run --rm --ipc "container:$NAME" "$IMAGE" readlink /proc/self/ns/ipc
	assert_output "$(ns_in "$NAME" ipc)"
	run dk_run --rm --ipc host "$IMAGE" readlink /proc/self/ns/ipc
	assert_output "$(readlink /proc/self/ns/ipc)"
}

@test "docker: --cgroupns private and host" {
	[[ -e /proc/self/ns/cgroup ]] || skip "requires cgroup namespaces"
	run dk_run --rm --cgroupns private "$IMAGE" sh -c 'readlink /proc/self/ns/cgroup; grep -c ":/$" /proc/self/cgroup; wc -l < /proc/self/cgroup'
	assert_success
	refute_line "$(readlink /proc/self/ns/cgroup)"
	assert_equal "${lines[1]}" "${lines[2]}"
	run dk_run --rm --cgroupns host "$IMAGE" sh -c 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'
	assert_line "$(readlink /proc/self/ns/cgroup)"
	assert_line --regexp ":/$DK_CGPARENT/[0-9a-f]{64}$"
}

# ---------------------------------------------------------------------------
# Last: nothing is left
# ---------------------------------------------------------------------------

@test "docker: after the last scenario nothing is left" {
	run dk ps -aq
	assert_output ""
	local left=() d
	if [[ -d "$DK_RT_ROOT" ]]; then
		[[ -z "$(ls -A "$DK_RT_ROOT")" ]] || left+=("runtime state: $(ls "$DK_RT_ROOT")")
	fi
	[[ "$DK_RT" == runc ]] || [[ -z "$("$ENGINE_RUNTIME" --root "$DK_RT_ROOT" list -q 2>/dev/null)" ]] ||
		left+=("$DK_RT list: $("$ENGINE_RUNTIME" --root "$DK_RT_ROOT" list -q)")
	[[ -z "$(pgrep -f -- "-address $CTD_SOCK")" ]] || left+=("shims: $(pgrep -af -- "-address $CTD_SOCK")")
	# dockerd's own (until it stops): the private bind of its data root, the
	# host network namespace's handle
	local mounts
	mounts=$(mounts_under "$DK_DIR" | grep -vx -e "$DK_DIR/data" -e "$DK_DIR/data/overlay2" -e "$DK_DIR/exec/netns/default") || true
	[[ -z "$mounts" ]] || left+=("mounts: $mounts")
	for d in /sys/fs/cgroup/*/"$DK_CGPARENT"; do
		[[ -d "$d" ]] || continue
		[[ -z "$(find "$d" -mindepth 1 -type d)" ]] || left+=("cgroups: $(find "$d" -mindepth 1 -type d)")
		[[ ! -s "$d/cgroup.procs" ]] || left+=("processes in $d: $(cat "$d/cgroup.procs")")
	done
	((${#left[@]} == 0)) || fail "left behind: ${left[*]}"
}

#!/usr/bin/env bats
# Engines on a systemd host driving box's systemd cgroup driver (issue 14):
# podman with cgroup_manager = "systemd", and containerd's runc shim
# (io.containerd.runc.v2) with SystemdCgroup and box as its BinaryName. Each
# scenario runs with runc too, the baseline. Run by hack/test-systemd.sh
# inside the systemd that box boots (test/systemd/host.bash).
#
# Both engines keep everything under a directory of this file in the systemd
# host's /tmp: podman its --root/--runroot/--tmpdir (vfs storage) and
# containers.conf; containerd (a private one, run as the transient service
# boxtest-containerd-PID) its config, root, state, socket, FIFOs and the shim's
# --runc-root. The image is the suite's rootfs (hack/oci-image.sh), loaded
# into both. containerd's CRI plugin (the kubelet's side) is driven from here
# by test/cri/cri.py through the socket, with SystemdCgroup = true in the
# config of its runc and box runtime handlers.

load host

IMAGE=localhost/boxtest:latest
PAUSE_IMAGE=localhost/box-pause:1
ENGINE_TIMEOUT="${BOX_ENGINE_TIMEOUT:-60}"
CRI_PYTHON="${K8S_PYTHON:-/usr/bin/python3}"

setup_file() {
	detect_systemd_host
	ENG_DIR="/tmp/boxtest-engines-$$"
	CTD_UNIT="boxtest-containerd-$$.service"
	export ENG_DIR CTD_UNIT
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" != 1 ]] && ! "$SYSTEMD_HOST" status >/dev/null 2>&1; then
		return 0
	fi
	local image="$BATS_FILE_TMPDIR/image.tar" out
	if ! out=$("$REPO/hack/oci-image.sh" "$ROOTFS" "$image" "$IMAGE" 2>&1); then
		echo "hack/oci-image.sh $ROOTFS failed: $out" >"$BATS_FILE_TMPDIR/image.broken"
		return 0
	fi
	setup_podman "$image"
	# The pods' pause container: a shell that sleeps until SIGTERM.
	if ! out=$("$REPO/hack/oci-image.sh" "$ROOTFS" "$BATS_FILE_TMPDIR/pause.tar" "$PAUSE_IMAGE" \
		sh -c 'trap "exit 0" TERM; while :; do sleep 1; done' 2>&1); then
		echo "hack/oci-image.sh (pause) failed: $out" >"$BATS_FILE_TMPDIR/containerd.broken"
		return 0
	fi
	setup_containerd "$image"
	# The CRI socket as this host reaches it.
	CRI_SOCK="$ENG_DIR/containerd/c.sock"
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" != 1 ]]; then
		CRI_SOCK="/proc/$("$SYSTEMD_HOST" pid)/root$CRI_SOCK"
	fi
	export CRI_SOCK
}

# podman's containers.conf: the systemd cgroup manager, and no default
# ulimits (podman's nofile 1048576 is past this host's hard limit, which
# root cannot raise without CAP_SYS_RESOURCE; test/engines.bats shows it).
setup_podman() {
	in_host 'command -v podman' </dev/null >/dev/null || return 0
	local out
	out=$(in_host 'set -e; mkdir -p "$1/podman/tmp"
		cat >"$1/podman/containers.conf" <<-EOF
			[containers]
			default_ulimits = []
			[engine]
			cgroup_manager = "systemd"
			events_logger = "file"
			runtime_supports_json = ["crun", "runc", "box"]
		EOF
		CONTAINERS_CONF="$1/podman/containers.conf" podman --root "$1/podman/storage" \
			--runroot "$1/podman/runroot" --tmpdir "$1/podman/tmp" --storage-driver vfs load' "$ENG_DIR" <"$1" 2>&1) ||
		echo "podman load of the image failed: $out" >"$BATS_FILE_TMPDIR/podman.broken"
}

setup_containerd() {
	in_host 'command -v containerd' </dev/null >/dev/null || return 0
	local out
	out=$(in_host 'set -e; d="$1/containerd"; mkdir -p "$d/fifo" "$d/oci-state"
		cat >"$d/config.toml" <<-EOF
			version = 2
			root = "$d/root"
			state = "$d/state"
			[grpc]
			  address = "$d/c.sock"
			[ttrpc]
			  address = "$d/c.sock.ttrpc"
			[debug]
			  address = "$d/c.sock.debug"
			[metrics]
			  address = ""
			[plugins."io.containerd.internal.v1.opt"]
			  path = "$d/opt"
			[plugins."io.containerd.grpc.v1.cri"]
			  sandbox_image = "$3"
			  restrict_oom_score_adj = true
			  enable_selinux = false
			  disable_apparmor = true
			  stream_server_address = "127.0.0.1"
			  stream_server_port = "0"
			  [plugins."io.containerd.grpc.v1.cri".containerd]
			    default_runtime_name = "runc"
			    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
			      runtime_type = "io.containerd.runc.v2"
			      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
			        BinaryName = "$(command -v runc)"
			        Root = "$d/cri-runc"
			        SystemdCgroup = true
			    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.box]
			      runtime_type = "io.containerd.runc.v2"
			      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.box.options]
			        BinaryName = "$4"
			        Root = "$d/cri-box"
			        SystemdCgroup = true
			  [plugins."io.containerd.grpc.v1.cri".cni]
			    conf_dir = "$d/cni"
		EOF
		systemd-run --quiet --unit "$2" containerd --config "$d/config.toml"
		for i in $(seq 100); do
			ctr -a "$d/c.sock" version >/dev/null 2>&1 && break
			systemctl -q is-active "$2" || { journalctl -q -n 5 -u "$2"; exit 1; }
			sleep 0.1
		done
		ctr -a "$d/c.sock" -n boxtest images import -' "$ENG_DIR" "$CTD_UNIT" "$PAUSE_IMAGE" "$(host_box)" <"$1" 2>&1) ||
		{
			echo "containerd did not start or import the image: $out" >"$BATS_FILE_TMPDIR/containerd.broken"
			return 0
		}
	local tar
	for tar in "$1" "$BATS_FILE_TMPDIR/pause.tar"; do
		out=$(in_host 'ctr -a "$1/containerd/c.sock" -n k8s.io images import -' "$ENG_DIR" <"$tar" 2>&1) ||
			echo "importing $tar for the CRI failed: $out" >"$BATS_FILE_TMPDIR/containerd.broken"
	done
}

teardown_file() {
	[[ -n "${ENG_DIR:-}" ]] || return 0
	if [[ "${SYSTEMD_TEST_DIRECT:-0}" != 1 ]] && ! "$SYSTEMD_HOST" status >/dev/null 2>&1; then
		return 0
	fi
	pm rm -af -t 0 >/dev/null 2>&1 || true
	local id
	for id in $(cr task ls -q 2>/dev/null); do
		cr task rm -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(cr containers ls -q 2>/dev/null); do
		cr containers rm "$id" >/dev/null 2>&1 || true
	done
	for id in $(cri ListPodSandbox 2>/dev/null | jq -r '.items[].id' 2>/dev/null); do
		cri StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null 2>&1 || true
		cri RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null 2>&1 || true
	done
	# Stopping the service ends containerd and any shim left in it.
	in_host 'systemctl stop "$2" 2>/dev/null; systemctl reset-failed "$2" 2>/dev/null
		grep -o " $1/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount 2>/dev/null
		rm -rf "$1"' "$ENG_DIR" "$CTD_UNIT" || true
}

setup() {
	requires_systemd_host
	NAME="e$BATS_TEST_NUMBER-$$"
	[[ ! -f "$BATS_FILE_TMPDIR/image.broken" ]] || fail "$(cat "$BATS_FILE_TMPDIR/image.broken")"
}

# requires_engine podman|containerd: skips naming what is missing in the
# host; fails when it is there but its setup in setup_file failed.
requires_engine() {
	case "$1" in
	podman) requires_in_host podman conmon ;;
	containerd) requires_in_host containerd ctr containerd-shim-runc-v2 ;;
	esac
	[[ ! -f "$BATS_FILE_TMPDIR/$1.broken" ]] || fail "$(cat "$BATS_FILE_TMPDIR/$1.broken")"
}

# pm ARGS...: podman in the systemd host with this file's storage and
# containers.conf, and the runtime under test ($PM_RT, a full path).
pm() {
	in_host 'CONTAINERS_CONF="$1/podman/containers.conf" exec timeout -k 5 "$2" podman \
		--root "$1/podman/storage" --runroot "$1/podman/runroot" --tmpdir "$1/podman/tmp" \
		--storage-driver vfs --runtime "$3" "${@:4}"' "$ENG_DIR" "$ENGINE_TIMEOUT" "${PM_RT:-runc}" "$@"
}

# cr ARGS...: ctr against this file's containerd.
cr() {
	in_host 'exec timeout -k 5 "$2" ctr -a "$1/containerd/c.sock" -n boxtest "${@:3}"' \
		"$ENG_DIR" "$ENGINE_TIMEOUT" "$@"
}

# cr_run ARGS...: ctr run through the runc shim with SystemdCgroup set and the
# runtime under test ($CR_RT) as its BinaryName, in slice system.slice.
cr_run() {
	cr run --runc-binary "$CR_RT" --runc-systemd-cgroup --runc-root "$ENG_DIR/containerd/oci-state" \
		--fifo-dir "$ENG_DIR/containerd/fifo" --cgroup "system.slice:boxtest:$NAME" "$@"
}

unit_prop() {
	in_host 'systemctl show --value -p "$1" "$2"' "$1" "$UNIT"
}

_unit_gone() {
	[[ "$(unit_prop LoadState)" == not-found ]]
}

wait_unit_gone() {
	retry 20 _unit_gone || fail "$UNIT is still $(unit_prop LoadState)/$(unit_prop ActiveState): $(host_units "$UNIT")"
}

_pm_status_is() {
	[[ "$(pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" == "$2" ]]
}

_ctr_status_is() {
	[[ "$(cr task ls | awk -v id="$1" '$1 == id { print $3 }')" == "$2" ]]
}

# runtime_state_left RUNTIME-PATH ROOT ID: the runtime's state directory of
# ID, if it is still there.
runtime_state_left() {
	in_host '[[ ! -e "$1/$2" ]] || echo "$1/$2"' "$1" "$2"
}

# --- podman, cgroup_manager = "systemd" ---------------------------------------

podman_lifecycle() {
	requires_engine podman
	PM_RT=$(host_runtime "$1")
	local root="/run/$1"
	# In the foreground: output, exit status, and the container's cgroup is
	# podman's scope in machine.slice (the name podman gives its runtime is
	# the binary's basename: box, runc).
	run --separate-stderr pm run --rm --network=none --pull=never "$IMAGE" \
		sh -c 'echo out; grep "^1:" /proc/self/cgroup; exit 3'
	assert_equal "$status" 3
	assert_line --index 0 out
	assert_line --index 1 --regexp '^1:[a-z,]+:/machine\.slice/libpod-[0-9a-f]{64}\.scope$'

	# Detached with limits: the scope is there, with them, while it runs.
	local id
	id=$(pm run -d --network=none --pull=never --memory 64m --pids-limit 30 "$IMAGE" \
		sh -c 'trap "exit 5" TERM; sleep 1000 & wait')
	UNIT="libpod-$id.scope"
	assert_equal "$(unit_prop ActiveState)" active
	assert_equal "$(unit_prop Slice)" machine.slice
	assert_equal "$(unit_prop Delegate)" yes
	assert_equal "$(unit_prop TasksMax)" 30
	if in_host '[[ -d /sys/fs/cgroup/memory ]]'; then
		assert_equal "$(unit_prop MemoryLimit)" 67108864
	else
		assert_equal "$(unit_prop MemoryMax)" 67108864
	fi
	run host_units "$UNIT"
	assert_output --partial "$UNIT loaded active running"

	run pm exec "$id" sh -c 'echo exec-out; grep "^1:" /proc/self/cgroup; exit 4'
	assert_equal "$status" 4
	assert_line --index 0 exec-out
	assert_line --index 1 --partial ":/machine.slice/$UNIT"

	# stop: SIGTERM, which the container's shell turns into its exit code.
	pm stop -t 30 "$id"
	retry 20 _pm_status_is "$id" exited || fail "not exited: $(pm inspect -f '{{.State.Status}}' "$id")"
	assert_equal "$(pm inspect -f '{{.State.ExitCode}}' "$id")" 5
	wait_unit_gone
	pm rm "$id"
	run pm ps -aq --no-trunc
	refute_output --partial "$id"
	assert_equal "$(runtime_state_left "$root" "$id")" ""
	run host_units "libpod-*$id*"
	assert_output ""
}

@test "podman (cgroup_manager = systemd) with runc: run, exec, stop, rm; the libpod scope comes and goes" {
	podman_lifecycle runc
}

@test "podman (cgroup_manager = systemd) with box: run, exec, stop, rm; the libpod scope comes and goes" {
	podman_lifecycle box
}

# --- containerd, the runc shim with SystemdCgroup -----------------------------

containerd_task() {
	requires_engine containerd
	CR_RT=$(host_runtime "$1")
	UNIT="boxtest-$NAME.scope"
	# ctr run --rm: output, exit status, the scope under system.slice.
	run --separate-stderr cr_run --rm "$IMAGE" "$NAME" sh -c 'echo out; grep "^1:" /proc/self/cgroup; exit 3'
	assert_equal "$status" 3
	assert_line --index 0 out
	assert_line --index 1 --regexp "^1:[a-z,]+:/system\.slice/$UNIT\$"
	wait_unit_gone
	run cr containers ls -q
	assert_success
	[[ $'\n'"$output"$'\n' != *$'\n'"$NAME"$'\n'* ]] || fail "ctr run --rm left container $NAME: $output"
	assert_equal "$(runtime_state_left "$ENG_DIR/containerd/oci-state/boxtest" "$NAME")" ""

	# A task that runs: its scope while it does, gone after kill and rm.
	cr_run -d "$IMAGE" "$NAME" sleep 1000 </dev/null
	assert_equal "$(unit_prop ActiveState)" active
	assert_equal "$(unit_prop Slice)" system.slice
	assert_equal "$(unit_prop Delegate)" yes
	assert_equal "$(unit_prop ControlGroup)" "/system.slice/$UNIT"
	run cr task exec --fifo-dir "$ENG_DIR/containerd/fifo" --exec-id x "$NAME" sh -c 'echo exec-out; exit 4'
	assert_equal "$status" 4
	assert_output exec-out
	cr task kill -s KILL "$NAME"
	retry 20 _ctr_status_is "$NAME" STOPPED || fail "task $NAME did not stop: $(cr task ls)"
	cr task rm "$NAME"
	cr containers rm "$NAME"
	wait_unit_gone
	assert_equal "$(runtime_state_left "$ENG_DIR/containerd/oci-state/boxtest" "$NAME")" ""
}

@test "containerd (runc shim, SystemdCgroup) with runc: ctr run a task; its scope in system.slice comes and goes" {
	containerd_task runc
}

@test "containerd (runc shim, SystemdCgroup) with box as BinaryName: ctr run a task; its scope in system.slice comes and goes" {
	containerd_task box
}

# --- containerd's CRI, SystemdCgroup = true (the kubelet's systemd driver) ----

# cri METHOD [JSON]: one CRI call to this file's containerd (test/cri/cri.py).
cri() {
	CRI_GEN_DIR="$BATS_FILE_TMPDIR/cri-gen" timeout -k 5 "$((ENGINE_TIMEOUT + 10))" \
		"$CRI_PYTHON" "$REPO/test/cri/cri.py" --socket "$CRI_SOCK" --timeout "$ENGINE_TIMEOUT" "$@" 3>&-
}

requires_cri_client() {
	"$CRI_PYTHON" -c 'import grpc, grpc_tools' 2>/dev/null ||
		skip "requires python3-grpcio and python3-grpc-tools (test/cri/cri.py)"
}

_units_gone() {
	local u
	for u in "$@"; do
		[[ -z "$(host_units "$u")" ]] || return 1
	done
}

# A pod (host network: no CNI) in the kubelet's kind of slice, whose
# sandbox and container are scopes cri-containerd-ID.scope in it.
cri_pod() {
	requires_engine containerd
	requires_cri_client
	local handler=$1 slice="boxtest-p${NAME//-/}.slice"
	local parent="/boxtest.slice/$slice" pod cid sandbox_config
	sandbox_config=$(jq -cn --arg n "$NAME" --arg s "$slice" '{metadata: {name: $n, uid: $n, namespace: "boxtest"},
		log_directory: "/tmp/\($n)-logs", linux: {cgroup_parent: $s,
		security_context: {namespace_options: {network: 2}}}}')
	pod=$(cri RunPodSandbox "$(jq -cn --argjson c "$sandbox_config" --arg h "$handler" '{config: $c, runtime_handler: $h}')" |
		jq -r .pod_sandbox_id)
	UNIT="cri-containerd-$pod.scope"
	assert_equal "$(unit_prop ActiveState)" active
	assert_equal "$(unit_prop ControlGroup)" "$parent/$UNIT"
	cid=$(cri CreateContainer "$(jq -cn --arg p "$pod" --argjson c "$sandbox_config" --arg i "$IMAGE" '{pod_sandbox_id: $p,
		config: {metadata: {name: "c"}, image: {image: $i}, command: ["sleep", "1000"], log_path: "c.log"},
		sandbox_config: $c}')" | jq -r .container_id)
	cri StartContainer "{\"container_id\": \"$cid\"}"
	UNIT="cri-containerd-$cid.scope"
	assert_equal "$(unit_prop ActiveState)" active
	assert_equal "$(unit_prop Slice)" "$slice"
	assert_equal "$(unit_prop Delegate)" yes
	# The handler's runtime runs it: its state is under the handler's Root.
	run in_host 'ls -A "$1/containerd/cri-$2/k8s.io"' "$ENG_DIR" "$handler"
	assert_line "$cid"
	run cri ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\", \"grep ^1: /proc/self/cgroup\"], \"timeout\": 10}"
	assert_success
	assert_equal "$(jq -r .exit_code <<<"$output")" 0
	[[ "$(jq -r .stdout <<<"$output")" == 1:*:"$parent/$UNIT" ]] || fail "the exec is not in $parent/$UNIT: $output"
	cri StopContainer "{\"container_id\": \"$cid\", \"timeout\": 0}" >/dev/null
	cri RemoveContainer "{\"container_id\": \"$cid\"}" >/dev/null
	cri StopPodSandbox "{\"pod_sandbox_id\": \"$pod\"}" >/dev/null
	cri RemovePodSandbox "{\"pod_sandbox_id\": \"$pod\"}" >/dev/null
	retry 20 _units_gone "cri-containerd-$pod.scope" "cri-containerd-$cid.scope" ||
		fail "left: $(host_units 'cri-containerd-*')"
	run in_host 'ls -A "$1/containerd/cri-$2/k8s.io" 2>/dev/null' "$ENG_DIR" "$handler"
	assert_output ""
	# The slices the kubelet would have made and removed.
	in_host 'systemctl stop "$1"' "$slice"
}

@test "containerd CRI (runc handler, SystemdCgroup = true) with runc: a pod's sandbox and container scopes come and go" {
	cri_pod runc
}

@test "containerd CRI (box handler, SystemdCgroup = true) with box as BinaryName: a pod's sandbox and container scopes come and go" {
	cri_pod box
}

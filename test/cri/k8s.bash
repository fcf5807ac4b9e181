# shellcheck shell=bash
# Helpers for test/k8s.bats: a private containerd with its CRI plugin (the
# kubelet's runtime endpoint), its runc shim running the runtime under test
# (BinaryName), and test/cri/cri.py as the kubelet's side of the CRI.
#
# Everything lives under K8S_DIR (a short directory under /tmp: unix socket
# paths are limited to 108 bytes): containerd's config, root, state and
# socket, the runtime's --root (the shim's Root option), the CNI config and
# IPAM state, the pods' log directories, and a network namespace that
# containerd runs in: the CNI bridge and the pods' veth peers live there, so
# the host's network is never touched. Pod cgroups go under /K8S_CGROUP/POD
# (cgroup_parent), one top directory per test file.

K8S_IMAGE=localhost/boxtest:latest
K8S_PAUSE_IMAGE=localhost/box-pause:1
K8S_TIMEOUT="${BOX_ENGINE_TIMEOUT:-60}"
# The Python that has Debian's python3-grpcio (not a pyenv or venv one).
K8S_PYTHON="${K8S_PYTHON:-/usr/bin/python3}"

# The runtime the shim runs: box unless BOX_ENGINE_RUNTIME says otherwise
# (runc for the baseline), as an absolute path.
k8s_runtime() {
	local rt="${BOX_ENGINE_RUNTIME:-$BOX_BIN}"
	[[ "$rt" == */* ]] || rt="$(command -v "$rt")"
	echo "$rt"
}

# cri METHOD [JSON]: one CRI call; prints the response as JSON. Through the
# file's `cri.py serve` when it runs (a Python start with gRPC costs ~0.5 s).
cri() {
	CRI_GEN_DIR="$K8S_DIR/cri-gen" timeout -k 5 "$((K8S_TIMEOUT + 10))" \
		"$K8S_PYTHON" "$REPO/test/cri/cri.py" --socket "$K8S_SOCK" --timeout "$K8S_TIMEOUT" \
		--proxy "$K8S_DIR/cri.sock" "$@" 3>&-
}

# k8s_start_proxy: `cri.py serve` for the file, its pid in K8S_DIR/cri.pid.
k8s_start_proxy() {
	CRI_GEN_DIR="$K8S_DIR/cri-gen" "$K8S_PYTHON" "$REPO/test/cri/cri.py" --socket "$K8S_SOCK" \
		serve "$K8S_DIR/cri.sock" >>"$K8S_DIR/cri-serve.log" 2>&1 </dev/null 3>&- &
	echo "$!" >"$K8S_DIR/cri.pid"
	retry 20 test -S "$K8S_DIR/cri.sock" || {
		echo "cri.py serve did not start: $(tail -n 5 "$K8S_DIR/cri-serve.log")"
		return 1
	}
}

# The commands and Debian packages test/k8s.bats needs; prints what is missing.
k8s_missing() {
	local cmd
	for cmd in containerd ctr containerd-shim-runc-v2 unshare nsenter jq; do
		command -v "$cmd" >/dev/null || echo "$cmd"
	done
	[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/loopback && -x /usr/lib/cni/host-local ]] ||
		echo "/usr/lib/cni (containernetworking-plugins)"
	"$K8S_PYTHON" -c 'import grpc, grpc_tools' 2>/dev/null || echo "python3-grpcio python3-grpc-tools"
}

k8s_write_config() {
	mkdir -p "$K8S_DIR/cni" "$K8S_DIR/ipam" "$K8S_DIR/runtime-root" "$K8S_DIR/logs"
	# bridge + host-local give each pod an eth0 with an address, which the CRI
	# plugin insists on; loopback brings up lo. No ipMasq, no gateway: no
	# iptables, no forwarding, and all of it inside containerd's netns.
	cat >"$K8S_DIR/cni/10-boxk8s.conflist" <<-EOF2
		{"cniVersion": "1.0.0", "name": "boxk8s", "plugins": [
		  {"type": "bridge", "bridge": "boxk8s0", "isGateway": false, "ipMasq": false,
		   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.77.0/24"}]],
		            "dataDir": "$K8S_DIR/ipam"}},
		  {"type": "loopback"}]}
	EOF2
	# restrict_oom_score_adj: the CRI plugin gives the sandbox -998, which
	# only a caller with CAP_SYS_RESOURCE may set (runc fails the same way
	# where that capability is missing); this clamps it to containerd's own.
	cat >"$K8S_DIR/config.toml" <<-EOF2
		version = 2
		root = "$K8S_DIR/root"
		state = "$K8S_DIR/state"
		[grpc]
		  address = "$K8S_SOCK"
		[ttrpc]
		  address = "$K8S_SOCK.ttrpc"
		[debug]
		  address = "$K8S_SOCK.debug"
		  level = "debug"
		[metrics]
		  address = ""
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$K8S_DIR/opt"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "$K8S_PAUSE_IMAGE"
		  netns_mounts_under_state_dir = true
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
		        BinaryName = "$(k8s_runtime)"
		        Root = "$K8S_DIR/runtime-root"
		        SystemdCgroup = false
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "/usr/lib/cni"
		    conf_dir = "$K8S_DIR/cni"
	EOF2
}

_k8s_ready() {
	cri Status 2>/dev/null | jq -e '[.status.conditions[] | select(.status)] | length == 2' >/dev/null
}

# k8s_start_containerd: starts containerd in K8S_DIR's network namespace and
# waits until the CRI plugin reports RuntimeReady and NetworkReady.
k8s_start_containerd() {
	nsenter --net="$K8S_DIR/netns" containerd --config "$K8S_DIR/config.toml" \
		>>"$K8S_DIR/containerd.log" 2>&1 </dev/null 3>&- &
	K8S_CTD_PID=$!
	echo "$K8S_CTD_PID" >"$K8S_DIR/containerd.pid"
	retry 20 _k8s_ready || {
		echo "containerd's CRI plugin is not ready: $(cri Status 2>&1); log: $(tail -n 5 "$K8S_DIR/containerd.log")"
		return 1
	}
}

# k8s_stop_containerd: SIGTERM (the shims and their containers live on).
k8s_stop_containerd() {
	local pid
	pid="$(cat "$K8S_DIR/containerd.pid" 2>/dev/null)" || return 0
	kill "$pid" 2>/dev/null || true
	# Wait until it is gone: a containerd still shutting down would unlink
	# the socket of the one started next.
	if ! retry 30 _pid_gone "$pid"; then
		echo "containerd $pid still running 30 s after SIGTERM: SIGKILL" >&2
		kill -9 "$pid" 2>/dev/null || true
		retry 10 _pid_gone "$pid" || true
	fi
	rm -f "$K8S_DIR/containerd.pid"
}

# k8s_setup: everything for the file; on failure, the reason in
# $BATS_FILE_TMPDIR/k8s.broken (the tests fail with it).
k8s_setup() {
	K8S_DIR="$(mktemp -d /tmp/box-k8s.XXXXXX)"
	K8S_SOCK="$K8S_DIR/containerd.sock"
	K8S_CGROUP="boxk8s-${K8S_DIR##*.}"
	export K8S_DIR K8S_SOCK K8S_CGROUP
	echo "$K8S_DIR" >"$BATS_FILE_TMPDIR/k8s.dir"
	local out
	touch "$K8S_DIR/netns"
	if ! out="$(unshare --net="$K8S_DIR/netns" true 2>&1 && nsenter --net="$K8S_DIR/netns" ip link set lo up 2>&1)"; then
		echo "creating containerd's network namespace failed: $out" >"$BATS_FILE_TMPDIR/k8s.broken"
		return 0
	fi
	k8s_write_config
	if ! out="$(k8s_start_containerd)" || ! out="$(k8s_start_proxy)"; then
		echo "$out" >"$BATS_FILE_TMPDIR/k8s.broken"
		return 0
	fi
	# The pause image: a shell that sleeps and reaps (it is PID 1 of pods
	# that share their pid namespace), from the same rootfs as the image.
	if ! out="$("$REPO/hack/oci-image.sh" "$ROOTFS" "$K8S_DIR/image.tar" "$K8S_IMAGE" 2>&1)" ||
		! out="$("$REPO/hack/oci-image.sh" "$ROOTFS" "$K8S_DIR/pause.tar" "$K8S_PAUSE_IMAGE" \
			sh -c 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait; done' 2>&1)" ||
		! out="$(ctr -a "$K8S_SOCK" -n k8s.io images import "$K8S_DIR/image.tar" 2>&1)" ||
		! out="$(ctr -a "$K8S_SOCK" -n k8s.io images import "$K8S_DIR/pause.tar" 2>&1)"; then
		echo "importing the images failed: $out" >"$BATS_FILE_TMPDIR/k8s.broken"
	fi
}

# k8s_remove_all: stops and removes every pod (and so every container).
k8s_remove_all() {
	local id
	for id in $(cri ListPodSandbox 2>/dev/null | jq -r '.items[].id'); do
		cri StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null || true
		cri RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null || true
	done
}

# The pods' parent cgroups (/K8S_CGROUP/POD): the runtime makes them as
# parents of the containers' cgroups and, like runc, leaves them.
k8s_remove_pod_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/"$K8S_CGROUP" /sys/fs/cgroup/"$K8S_CGROUP"; do
		[[ -d "$d" ]] || continue
		find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
		rmdir "$d" 2>/dev/null || true
	done
}

k8s_teardown() {
	K8S_DIR="$(cat "$BATS_FILE_TMPDIR/k8s.dir" 2>/dev/null)" || return 0
	K8S_SOCK="$K8S_DIR/containerd.sock"
	K8S_CGROUP="boxk8s-${K8S_DIR##*.}"
	[[ -n "$K8S_DIR" && -d "$K8S_DIR" ]] || return 0
	if [[ -f "$K8S_DIR/containerd.pid" ]]; then
		k8s_remove_all
		k8s_stop_containerd
	fi
	local pid
	if pid="$(cat "$K8S_DIR/cri.pid" 2>/dev/null)"; then
		kill "$pid" 2>/dev/null || true
		retry 10 _pid_gone "$pid" || kill -9 "$pid" 2>/dev/null || true
	fi
	k8s_remove_pod_cgroups
	unmount_under "$K8S_DIR"
	rm -rf "$K8S_DIR"
}

# k8s_leftovers: what the pods left: the runtime's state, mounts under
# containerd's state (rootfs, /dev/shm, network namespaces), container
# cgroups under the pods' parents, shims of this containerd, IPAM leases.
k8s_leftovers() {
	local f
	for f in "$K8S_DIR/runtime-root/k8s.io"/*; do
		[[ ! -e "$f" ]] || echo "runtime state: $f"
	done
	mounts_under "$K8S_DIR/state" | sed 's/^/mount: /'
	for f in "$K8S_DIR/state/io.containerd.grpc.v1.cri/netns"/*; do
		[[ ! -e "$f" ]] || echo "netns: $f"
	done
	find /sys/fs/cgroup/*/"$K8S_CGROUP" /sys/fs/cgroup/"$K8S_CGROUP" -mindepth 2 -type d 2>/dev/null | sed 's/^/cgroup: /'
	pgrep -f -- "-address $K8S_SOCK( |$)" | sed 's/^/shim pid: /'
	for f in "$K8S_DIR/ipam/boxk8s"/10.*; do
		[[ ! -e "$f" ]] || echo "IP lease: $f"
	done
}

_k8s_nothing_left() {
	[[ -z "$(k8s_leftovers)" ]]
}

# ---------------------------------------------------------------------------
# Pods and containers. Names are per test; the ids come back on stdout.
# ---------------------------------------------------------------------------

# pod_config NAME [JQ]: a PodSandboxConfig as the kubelet sends it, changed by JQ.
pod_config() {
	local name="$1" filter="${2:-.}"
	jq -cn --arg name "$name" --arg uid "uid-$name-$BATS_TEST_NUMBER" --arg logs "$K8S_DIR/logs/$name-$BATS_TEST_NUMBER" \
		--arg cg "/$K8S_CGROUP/$name-$BATS_TEST_NUMBER" '{
		metadata: {name: $name, uid: $uid, namespace: "boxk8s", attempt: 0},
		hostname: $name, log_directory: $logs,
		linux: {cgroup_parent: $cg, security_context: {namespace_options: {pid: "CONTAINER"}}}
	}' | jq -c "$filter"
}

# run_pod NAME [JQ]: RunPodSandbox; prints the pod's id. Its config is kept
# for the containers' CreateContainer.
run_pod() {
	local config id
	config="$(pod_config "$@")" || return 1
	id="$(cri RunPodSandbox "$(jq -cn --argjson c "$config" '{config: $c}')" | jq -r .pod_sandbox_id)" || return 1
	[[ -n "$id" && "$id" != null ]] || return 1
	mkdir -p "$BATS_TEST_TMPDIR/pods"
	echo "$config" >"$BATS_TEST_TMPDIR/pods/$id"
	echo "$id"
}

# The masked and read-only paths the kubelet sends for an unprivileged
# container (procMount Default); the CRI plugin passes them on as they are.
K8S_MASKED_PATHS='["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]'
K8S_READONLY_PATHS='["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]'

# create_ctr POD NAME [JQ]: CreateContainer of the test image (command: sleep),
# with the ContainerConfig the kubelet sends, changed by JQ; prints the id.
create_ctr() {
	local pod="$1" name="$2" filter="${3:-.}" config
	config="$(jq -cn --arg name "$name" --arg image "$K8S_IMAGE" \
		--argjson masked "$K8S_MASKED_PATHS" --argjson ro "$K8S_READONLY_PATHS" '{
		metadata: {name: $name, attempt: 0}, image: {image: $image},
		command: ["sleep", "1000"], log_path: ($name + ".log"),
		linux: {security_context: {namespace_options: {pid: "CONTAINER"},
			masked_paths: $masked, readonly_paths: $ro}}
	}' | jq -c "$filter")" || return 1
	cri CreateContainer "$(jq -cn --arg pod "$pod" --argjson c "$config" \
		--argjson sb "$(cat "$BATS_TEST_TMPDIR/pods/$pod")" \
		'{pod_sandbox_id: $pod, config: $c, sandbox_config: $sb}')" | jq -er .container_id
}

start_ctr() {
	cri StartContainer "{\"container_id\": \"$1\"}" >/dev/null
}

# run_ctr POD NAME [JQ]: create_ctr and start_ctr; prints the id.
run_ctr() {
	local id
	id="$(create_ctr "$@")" || return 1
	start_ctr "$id" || return 1
	echo "$id"
}

# ctr_status ID: the ContainerStatus (the .status object).
ctr_status() {
	cri ContainerStatus "{\"container_id\": \"$1\"}" | jq -c .status
}

# ctr_info ID: the verbose ContainerStatus info (pid, runtimeSpec ...).
ctr_info() {
	cri ContainerStatus "{\"container_id\": \"$1\", \"verbose\": true}" | jq -c '.info.info | fromjson'
}

pod_info() {
	cri PodSandboxStatus "{\"pod_sandbox_id\": \"$1\", \"verbose\": true}" | jq -c '.info.info | fromjson'
}

_ctr_state_is() {
	[[ "$(ctr_status "$1" | jq -r .state)" == "$2" ]]
}

# wait_ctr_state ID STATE [TIMEOUT]
wait_ctr_state() {
	retry "${3:-20}" _ctr_state_is "$1" "$2" ||
		fail "container $1 did not reach $2: $(ctr_status "$1" 2>&1)"
}

# exec_sync ID TIMEOUT CMD...: ExecSync; prints the response.
exec_sync() {
	local id="$1" timeout="$2"
	shift 2
	cri ExecSync "$(jq -cn --arg id "$id" --argjson t "$timeout" '{container_id: $id, timeout: $t, cmd: $ARGS.positional}' --args -- "$@")"
}

# exec_out ID CMD...: ExecSync's stdout, failing unless the exit code is 0.
exec_out() {
	local out
	out="$(exec_sync "$1" 20 "${@:2}")" || return 1
	if [[ "$(jq -r .exit_code <<<"$out")" != 0 ]]; then
		echo "exec ${*:2} in $1: $out" >&2
		return 1
	fi
	jq -j .stdout <<<"$out"
}

#!/usr/bin/env bats
#
# Kubernetes pods through containerd's CRI plugin, driven the way the kubelet
# drives it: test/cri/cri.py speaks CRI v1 to a private containerd whose runc
# shim (io.containerd.runc.v2) runs the runtime under test as its BinaryName.
# Set-up and clean-up in test/cri/k8s.bash; docs/engines.md shows the config.
#
# Opt-in: every test skips unless BOX_TEST_K8S=1 (`make test-k8s`,
# hack/test-k8s.sh, which runs the file with runc first, then with box).
#
# Environment:
#   BOX_TEST_K8S=1        run these tests
#   BOX_ENGINE_RUNTIME    the shim's BinaryName (default: $BOX_BIN; runc for
#                         the baseline)
#   BOX_ENGINE_TIMEOUT    seconds one CRI call may take (default: 60)

if [[ "${BOX_TEST_K8S:-0}" == 1 ]]; then
	load helpers
	load cri/k8s
fi

setup_file() {
	[[ "${BOX_TEST_K8S:-0}" == 1 && "$(id -u)" -eq 0 ]] || return 0
	[[ -x "$BOX_BIN" && -x "$ROOTFS/bin/sh" && -z "$(k8s_missing)" ]] || return 0
	k8s_setup
}

teardown_file() {
	[[ "${BOX_TEST_K8S:-0}" == 1 ]] || return 0
	k8s_teardown
}

setup() {
	[[ "${BOX_TEST_K8S:-0}" == 1 ]] || skip "the Kubernetes (CRI) tests are opt-in: set BOX_TEST_K8S=1 (make test-k8s)"
	requires root
	require_box_bin
	require_rootfs
	local missing
	missing="$(k8s_missing | tr '\n' ' ')"
	[[ -z "$missing" ]] || skip "requires ${missing% } (apt-get install containerd containernetworking-plugins python3-grpcio python3-grpc-tools)"
	[[ ! -f "$BATS_FILE_TMPDIR/k8s.broken" ]] || fail "set-up failed: $(cat "$BATS_FILE_TMPDIR/k8s.broken")"
}

# Removes every pod, then fails the test if anything of them is left.
teardown() {
	[[ "${BOX_TEST_K8S:-0}" == 1 && -n "${K8S_DIR:-}" ]] || return 0
	if [[ -z "${BATS_TEST_COMPLETED:-}" ]]; then
		echo "# containerd's log (last lines):" >&2
		tail -n 15 "$K8S_DIR/containerd.log" | cut -c1-400 >&2
	fi
	[[ -f "$K8S_DIR/containerd.pid" ]] || return 0
	k8s_remove_all
	if ! retry 10 _k8s_nothing_left; then
		echo "teardown: left behind after RemovePodSandbox:" >&2
		k8s_leftovers >&2
		return 1
	fi
}

@test "k8s: RunPodSandbox: the pod is ready, with an address and its network namespace" {
	local pod status info netns pid
	pod="$(run_pod p1)"
	status="$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"$pod\"}" | jq -c .status)"
	assert_equal "$(jq -r .state <<<"$status")" SANDBOX_READY
	assert_equal "$(jq -r .metadata.name <<<"$status")" p1
	[[ "$(jq -r .network.ip <<<"$status")" == 10.88.77.* ]] || fail "no pod IP: $status"
	info="$(pod_info "$pod")"
	pid="$(jq -r .pid <<<"$info")"
	netns="$(jq -r '.runtimeSpec.linux.namespaces[] | select(.type == "network") | .path' <<<"$info")"
	[[ "$netns" == "$K8S_DIR/state/"*/netns/* ]] || fail "network namespace path: $netns"
	# the pause process is in the pod's network namespace, not the host's
	assert_equal "$(readlink "/proc/$pid/ns/net")" "net:[$(stat -L -c %i "$netns")]"
	[[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]] || fail "the pod is in the host's network namespace"
	assert_equal "$(cat "/proc/$pid/comm")" sh
	# ListPodSandbox shows it
	run cri ListPodSandbox
	assert_success
	assert_equal "$(jq -r '.items[] | select(.id == "'"$pod"'") | .state' <<<"$output")" SANDBOX_READY
	# the ImageService knows the pause image it ran and the test image
	run cri ListImages
	assert_success
	assert_equal "$(jq -r '[.images[].repo_tags[]] | sort | join(" ")' <<<"$output")" "$K8S_PAUSE_IMAGE $K8S_IMAGE"
	run cri ImageStatus "{\"image\": {\"image\": \"$K8S_IMAGE\"}}"
	assert_success
	[[ "$(jq -r .image.id <<<"$output")" == sha256:* && "$(jq -r .image.size <<<"$output")" -gt 0 ]] ||
		fail "ImageStatus: $output"
}

@test "k8s: a container's exit code, reason and times; its log in the CRI format" {
	local pod ctr status
	pod="$(run_pod p1)"
	ctr="$(create_ctr "$pod" c1 '.command = ["sh", "-c", "echo out-line; echo err-line >&2; hostname; exit 3"]')"
	assert_equal "$(ctr_status "$ctr" | jq -r .state)" CONTAINER_CREATED
	start_ctr "$ctr"
	wait_ctr_state "$ctr" CONTAINER_EXITED
	status="$(ctr_status "$ctr")"
	assert_equal "$(jq -r .exit_code <<<"$status")" 3
	assert_equal "$(jq -r .reason <<<"$status")" Error
	# (not finished >= started: the CRI plugin takes started_at after the
	# runtime's start returns, which may be after a quick exit)
	(($(jq -r .started_at <<<"$status") > 0 && $(jq -r .finished_at <<<"$status") > $(jq -r .created_at <<<"$status"))) ||
		fail "times: $status"
	local log="$K8S_DIR/logs/p1-$BATS_TEST_NUMBER/c1.log"
	assert_equal "$(jq -r .log_path <<<"$status")" "$log"
	run cat "$log"
	assert_line --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout F out-line$'
	assert_line --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stderr F err-line$'
	assert_line --regexp ' stdout F p1$'

	ctr="$(run_ctr "$pod" c2 '.command = ["true"]')"
	wait_ctr_state "$ctr" CONTAINER_EXITED
	status="$(ctr_status "$ctr")"
	assert_equal "$(jq -r .exit_code <<<"$status")" 0
	assert_equal "$(jq -r .reason <<<"$status")" Completed
}

@test "k8s: a command that does not exist fails StartContainer with the runtime's message" {
	local pod ctr
	pod="$(run_pod p1)"
	ctr="$(create_ctr "$pod" c1 '.command = ["/no/such/binary"]')"
	run start_ctr "$ctr"
	assert_failure
	assert_output --partial /no/such/binary
}

@test "k8s: ExecSync: stdout, stderr and the exit code" {
	local pod ctr
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1)"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	run exec_sync "$ctr" 20 sh -c 'echo exec-out; echo exec-err >&2; exit 4'
	assert_success
	assert_equal "$(jq -r .exit_code <<<"$output")" 4
	assert_equal "$(jq -r .stdout <<<"$output")" exec-out
	assert_equal "$(jq -r .stderr <<<"$output")" exec-err
	run exec_out "$ctr" hostname
	assert_success
	assert_output p1
}

@test "k8s: ExecSync with a timeout: the call fails and the process is gone" {
	local pod ctr
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1)"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	run exec_sync "$ctr" 1 sleep 1234
	assert_failure
	assert_output --regexp 'timeout|deadline'
	retry 10 bash -c '! pgrep -x -f "sleep 1234" >/dev/null' || fail "the exec'd process lives on: $(pgrep -a -f 'sleep 1234')"
	# the container goes on
	run exec_out "$ctr" echo still-here
	assert_output still-here
}

@test "k8s: StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox leave nothing behind" {
	local pod ctr pid pause
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1)"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	pid="$(ctr_info "$ctr" | jq -r .pid)"
	pause="$(pod_info "$pod" | jq -r .pid)"
	pid_alive "$pid" || fail "container pid $pid is not running"
	[[ -e "$K8S_DIR/runtime-root/k8s.io/$ctr" ]] || fail "no runtime state for $ctr under the shim's Root"
	run cri StopContainer "{\"container_id\": \"$ctr\", \"timeout\": 10}"
	assert_success
	assert_equal "$(ctr_status "$ctr" | jq -r .state)" CONTAINER_EXITED
	wait_for_pid_gone "$pid"
	run cri RemoveContainer "{\"container_id\": \"$ctr\"}"
	assert_success
	[[ ! -e "$K8S_DIR/runtime-root/k8s.io/$ctr" ]] || fail "runtime state left for $ctr"
	run cri StopPodSandbox "{\"pod_sandbox_id\": \"$pod\"}"
	assert_success
	assert_equal "$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"$pod\"}" | jq -r .status.state)" SANDBOX_NOTREADY
	wait_for_pid_gone "$pause"
	run cri RemovePodSandbox "{\"pod_sandbox_id\": \"$pod\"}"
	assert_success
	run cri ListPodSandbox
	assert_output '{"items": []}'
	retry 10 _k8s_nothing_left || fail "left behind: $(k8s_leftovers)"
	# the pod's parent cgroup has no container cgroups left in any hierarchy
	run find /sys/fs/cgroup/ -maxdepth 4 -type d -name "$ctr"
	assert_output ""
}

@test "k8s: RemovePodSandbox of a running pod removes its running containers" {
	local pod ctr1 ctr2 pids
	pod="$(run_pod p1)"
	ctr1="$(run_ctr "$pod" c1)"
	ctr2="$(run_ctr "$pod" c2 '.command = ["sh", "-c", "trap \"\" TERM; while :; do sleep 1; done"]')"
	wait_ctr_state "$ctr1" CONTAINER_RUNNING
	wait_ctr_state "$ctr2" CONTAINER_RUNNING
	pids="$(ctr_info "$ctr1" | jq -r .pid) $(ctr_info "$ctr2" | jq -r .pid)"
	run cri RemovePodSandbox "{\"pod_sandbox_id\": \"$pod\"}"
	assert_success
	local p
	for p in $pids; do wait_for_pid_gone "$p"; done
	run cri ListContainers
	assert_output '{"containers": []}'
	retry 10 _k8s_nothing_left || fail "left behind: $(k8s_leftovers)"
}

@test "k8s: two containers in a pod share the hostname, localhost and /dev/shm; each has its own pid namespace" {
	local pod c1 c2
	pod="$(run_pod p1)"
	c1="$(run_ctr "$pod" c1 '.command = ["sh", "-c", "echo shm-from-c1 > /dev/shm/note; while :; do echo tcp-from-c1 | nc -l -p 8080; done"]')"
	c2="$(run_ctr "$pod" c2)"
	wait_ctr_state "$c1" CONTAINER_RUNNING
	wait_ctr_state "$c2" CONTAINER_RUNNING
	assert_equal "$(exec_out "$c1" hostname)" p1
	assert_equal "$(exec_out "$c2" hostname)" p1
	# c2 reaches c1's server over the pod's loopback (retried until it listens)
	retry 20 _exec_has "$c2" tcp-from-c1 nc 127.0.0.1 8080 || fail "c2 did not reach c1 on localhost:8080"
	retry 10 _exec_has "$c2" shm-from-c1 cat /dev/shm/note || fail "c2 does not see c1's /dev/shm/note"
	# the same network, IPC and UTS namespaces; their own pid and mount namespaces
	local p1 p2 ns
	p1="$(ctr_info "$c1" | jq -r .pid)"
	p2="$(ctr_info "$c2" | jq -r .pid)"
	for ns in net ipc uts; do
		assert_equal "$(readlink "/proc/$p1/ns/$ns")" "$(readlink "/proc/$p2/ns/$ns")"
	done
	for ns in pid mnt; do
		[[ "$(readlink "/proc/$p1/ns/$ns")" != "$(readlink "/proc/$p2/ns/$ns")" ]] || fail "c1 and c2 share the $ns namespace"
	done
	run exec_out "$c2" ps -o pid,args
	assert_success
	assert_line --regexp '^ *1 +sleep 1000$'
	refute_line --partial 'nc -l'
}

@test "k8s: pods reach each other over the CNI bridge (inside containerd's network namespace)" {
	local pa pb ca cb ip
	pa="$(run_pod pa)"
	pb="$(run_pod pb)"
	ca="$(run_ctr "$pa" ca '.command = ["sh", "-c", "while :; do echo tcp-from-pa | nc -l -p 8080; done"]')"
	cb="$(run_ctr "$pb" cb)"
	wait_ctr_state "$ca" CONTAINER_RUNNING
	wait_ctr_state "$cb" CONTAINER_RUNNING
	ip="$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"$pa\"}" | jq -r .status.network.ip)"
	[[ "$ip" == 10.88.77.* ]] || fail "pod pa has no address: $ip"
	[[ "$ip" != "$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"$pb\"}" | jq -r .status.network.ip)" ]] ||
		fail "both pods have $ip"
	retry 20 _exec_has "$cb" tcp-from-pa nc "$ip" 8080 || fail "pod pb did not reach $ip:8080"
	# the host's network namespace has no such address or bridge
	run ip -o addr show
	refute_output --partial 10.88.77.
	refute_output --partial boxk8s0
}

# _exec_has ID TEXT CMD...: ExecSync's stdout of CMD in ID contains TEXT.
_exec_has() {
	local out
	out="$(exec_sync "$1" 10 "${@:3}" 2>/dev/null)" || return 1
	[[ "$(jq -r .stdout <<<"$out")" == *"$2"* ]]
}

@test "k8s: shareProcessNamespace (pid POD): containers see each other's processes and the pause process" {
	local pod c1 c2
	pod="$(run_pod p1 '.linux.security_context.namespace_options.pid = "POD"')"
	c1="$(run_ctr "$pod" c1 '.command = ["sleep", "1001"] | .linux.security_context.namespace_options.pid = "POD"')"
	c2="$(run_ctr "$pod" c2 '.command = ["sleep", "1002"] | .linux.security_context.namespace_options.pid = "POD"')"
	wait_ctr_state "$c1" CONTAINER_RUNNING
	wait_ctr_state "$c2" CONTAINER_RUNNING
	run exec_out "$c2" ps -o pid,args
	assert_success
	assert_line --regexp '^ *1 +sh -c trap'
	assert_line --regexp '^ *[0-9]+ +sleep 1001$'
	assert_line --regexp '^ *[0-9]+ +sleep 1002$'
	local p1 p2 pause
	p1="$(ctr_info "$c1" | jq -r .pid)"
	p2="$(ctr_info "$c2" | jq -r .pid)"
	pause="$(pod_info "$pod" | jq -r .pid)"
	assert_equal "$(readlink "/proc/$p1/ns/pid")" "$(readlink "/proc/$pause/ns/pid")"
	assert_equal "$(readlink "/proc/$p2/ns/pid")" "$(readlink "/proc/$pause/ns/pid")"
}

@test "k8s: OOMKilled when a container exceeds its memory limit" {
	local pod ctr status
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1 '.command = ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr \"\\0\" a); echo survived"] | .linux.resources.memory_limit_in_bytes = "33554432"')"
	wait_ctr_state "$ctr" CONTAINER_EXITED 60
	status="$(ctr_status "$ctr")"
	assert_equal "$(jq -r .reason <<<"$status")" OOMKilled
	assert_equal "$(jq -r .exit_code <<<"$status")" 137
}

# _cgroup_file CTR CONTROLLER FILE: the container's cgroup file, read on the host.
_cgroup_file() {
	local path
	path="$(ctr_info "$1" | jq -r .runtimeSpec.linux.cgroupsPath)"
	cat "/sys/fs/cgroup/$2$path/$3" 2>/dev/null || cat "/sys/fs/cgroup$path/$3"
}

@test "k8s: resources at creation and UpdateContainerResources: cpu quota and memory limit in the cgroup files" {
	requires cgroup_v1
	local pod ctr
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1 '.linux.resources = {cpu_period: "100000", cpu_quota: "20000", cpu_shares: "256", memory_limit_in_bytes: "67108864"}')"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	assert_equal "$(_cgroup_file "$ctr" cpu cpu.cfs_quota_us)" 20000
	assert_equal "$(_cgroup_file "$ctr" cpu cpu.shares)" 256
	assert_equal "$(_cgroup_file "$ctr" memory memory.limit_in_bytes)" 67108864
	run cri UpdateContainerResources "{\"container_id\": \"$ctr\", \"linux\": {\"cpu_period\": 100000, \"cpu_quota\": 50000, \"cpu_shares\": 512, \"memory_limit_in_bytes\": 134217728}}"
	assert_success
	assert_equal "$(_cgroup_file "$ctr" cpu cpu.cfs_quota_us)" 50000
	assert_equal "$(_cgroup_file "$ctr" cpu cpu.cfs_period_us)" 100000
	assert_equal "$(_cgroup_file "$ctr" cpu cpu.shares)" 512
	assert_equal "$(_cgroup_file "$ctr" memory memory.limit_in_bytes)" 134217728
	assert_equal "$(ctr_status "$ctr" | jq -r .resources.linux.memory_limit_in_bytes)" 134217728
	# the container still runs, and sees its own limit
	run exec_out "$ctr" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_output 134217728
}

_cpu_usage() {
	cri ContainerStats "{\"container_id\": \"$1\"}" | jq -r '.stats.cpu.usage_core_nano_seconds.value // 0'
}

_cpu_moved_past() {
	(($(_cpu_usage "$1") > $2))
}

@test "k8s: ContainerStats and ListContainerStats: cpu and memory numbers that move" {
	local pod ctr idle stats first
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1 '.command = ["sh", "-c", "while :; do :; done"]')"
	idle="$(run_ctr "$pod" c2)"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	wait_ctr_state "$idle" CONTAINER_RUNNING
	stats="$(cri ContainerStats "{\"container_id\": \"$ctr\"}" | jq -c .stats)"
	assert_equal "$(jq -r .attributes.id <<<"$stats")" "$ctr"
	first="$(jq -r '.cpu.usage_core_nano_seconds.value // 0' <<<"$stats")"
	(($(jq -r '.memory.working_set_bytes.value // 0' <<<"$stats") > 0)) || fail "no working set: $stats"
	retry 20 _cpu_moved_past "$ctr" "$first" || fail "cpu usage stays at $first"
	# memory grows when the container fills a tmpfs
	local before
	before="$(cri ContainerStats "{\"container_id\": \"$idle\"}" | jq -r .stats.memory.usage_bytes.value)"
	exec_out "$idle" sh -c 'head -c 20000000 /dev/zero > /dev/shm/fill' >/dev/null
	local after
	after="$(cri ContainerStats "{\"container_id\": \"$idle\"}" | jq -r .stats.memory.usage_bytes.value)"
	((after > before)) || fail "memory usage did not grow: $before -> $after"
	run cri ListContainerStats "{\"filter\": {\"pod_sandbox_id\": \"$pod\"}}"
	assert_success
	assert_equal "$(jq -r '[.stats[].attributes.id] | sort | join(" ")' <<<"$output")" "$(printf '%s\n' "$ctr" "$idle" | sort | tr '\n' ' ' | sed 's/ $//')"
}

@test "k8s: security context: runAsUser/runAsGroup, read-only root, capabilities dropped, seccomp RuntimeDefault, not privileged" {
	local pod ctr
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1 '.linux.security_context += {run_as_user: {value: 1000}, run_as_group: {value: 2000},
		readonly_rootfs: true, privileged: false, capabilities: {drop_capabilities: ["ALL"]},
		seccomp: {profile_type: "RuntimeDefault"}}')"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	run exec_out "$ctr" id
	assert_output --regexp '^uid=1000(\(.*\))? gid=2000'
	run exec_sync "$ctr" 10 touch /x
	assert_equal "$(jq -r .exit_code <<<"$output")" 1
	[[ "$(jq -r .stderr <<<"$output")" == *"Read-only file system"* ]] || fail "touch /x: $output"
	run exec_out "$ctr" grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|Seccomp|NoNewPrivs):' /proc/self/status
	assert_success
	assert_line --regexp '^CapEff:[[:space:]]+0000000000000000$'
	assert_line --regexp '^CapBnd:[[:space:]]+0000000000000000$'
	assert_line --regexp '^Seccomp:[[:space:]]+2$'
	# not privileged: the kubelet's read-only and masked paths
	run exec_out "$ctr" grep ' /proc/sys ' /proc/mounts
	assert_output --regexp ' ro[, ]'
	run exec_out "$ctr" grep -c -E ' /(proc/keys|sys/firmware) ' /proc/mounts
	assert_output 2
	run exec_out "$ctr" ls -A /sys/firmware
	assert_output ""
	# the init process too (not only ExecSync's)
	local pid
	pid="$(ctr_info "$ctr" | jq -r .pid)"
	assert_equal "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" 1000
	assert_equal "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" 2000
	assert_equal "$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")" 2
}

@test "k8s: net.* sysctls on the sandbox apply to the pod's network namespace only" {
	local pod ctr
	pod="$(run_pod p1 '.linux.sysctls = {"net.ipv4.ip_local_port_range": "20000 21000", "net.ipv4.ping_group_range": "0 2000"}')"
	ctr="$(run_ctr "$pod" c1)"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	run exec_out "$ctr" cat /proc/sys/net/ipv4/ip_local_port_range /proc/sys/net/ipv4/ping_group_range
	assert_success
	assert_line --index 0 --regexp '^20000[[:space:]]+21000$'
	assert_line --index 1 --regexp '^0[[:space:]]+2000$'
	[[ "$(tr -s '\t ' ' ' </proc/sys/net/ipv4/ip_local_port_range)" != "20000 21000" ]] || fail "the host's sysctl changed"
}

@test "k8s: StopContainer honours the grace period: SIGTERM, then SIGKILL" {
	local pod ctr started
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1 '.command = ["sh", "-c", "trap \"echo got-term\" TERM; echo ready; while :; do sleep 0.2; done"]')"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	local log="$K8S_DIR/logs/p1-$BATS_TEST_NUMBER/c1.log"
	retry 10 grep -q ' stdout F ready$' "$log" || fail "the container did not start: $(cat "$log")"
	started=$SECONDS
	run cri StopContainer "{\"container_id\": \"$ctr\", \"timeout\": 3}"
	assert_success
	# (a lower bound only: SIGKILL did not come before the grace period)
	((SECONDS - started >= 2)) || fail "stopped after $((SECONDS - started))s, before the 3s grace period"
	assert_equal "$(ctr_status "$ctr" | jq -r .exit_code)" 137
	run grep -c ' stdout F got-term$' "$log"
	assert_output 1

	# a container that ends on SIGTERM ends with its own exit code
	ctr="$(run_ctr "$pod" c2 '.command = ["sh", "-c", "trap \"exit 7\" TERM; echo ready; while :; do sleep 0.2; done"]')"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	retry 10 grep -q ' stdout F ready$' "$K8S_DIR/logs/p1-$BATS_TEST_NUMBER/c2.log" || fail "c2 did not start"
	run cri StopContainer "{\"container_id\": \"$ctr\", \"timeout\": 30}"
	assert_success
	assert_equal "$(ctr_status "$ctr" | jq -r .exit_code)" 7
}

@test "k8s: containerd restarts while pods run: they keep running and are still managed" {
	local pod ctr pid pause
	pod="$(run_pod p1)"
	ctr="$(run_ctr "$pod" c1)"
	wait_ctr_state "$ctr" CONTAINER_RUNNING
	pid="$(ctr_info "$ctr" | jq -r .pid)"
	pause="$(pod_info "$pod" | jq -r .pid)"
	k8s_stop_containerd
	pid_alive "$pid" || fail "the container died with containerd"
	pid_alive "$pause" || fail "the pause process died with containerd"
	k8s_start_containerd
	assert_equal "$(cri PodSandboxStatus "{\"pod_sandbox_id\": \"$pod\"}" | jq -r .status.state)" SANDBOX_READY
	assert_equal "$(ctr_status "$ctr" | jq -r .state)" CONTAINER_RUNNING
	assert_equal "$(ctr_info "$ctr" | jq -r .pid)" "$pid"
	run exec_out "$ctr" echo after-restart
	assert_output after-restart
	# a new container in the same pod, then stop and remove as usual
	local c2
	c2="$(run_ctr "$pod" c2 '.command = ["sh", "-c", "exit 5"]')"
	wait_ctr_state "$c2" CONTAINER_EXITED
	assert_equal "$(ctr_status "$c2" | jq -r .exit_code)" 5
	run cri StopContainer "{\"container_id\": \"$ctr\", \"timeout\": 5}"
	assert_success
	wait_for_pid_gone "$pid"
}

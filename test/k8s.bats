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
	[[ "${BOX_TEST_K8S:-0}" == 1 && -n "${K8S_DIR:-}" && -f "$K8S_DIR/containerd.pid" ]] || return 0
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

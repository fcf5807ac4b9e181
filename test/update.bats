#!/usr/bin/env bats
# box update (issue 5): changing the limits of a running container, from
# flags, a --resources file or stdin; the new values land in the cgroup
# files and take effect; bad values are rejected and change nothing.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	local rc=0
	box_teardown || rc=$?
	# the realtime test's parent cgroup: the test makes it in the cpu hierarchy,
	# box and runc make it in the others (they leave the parents of a
	# cgroupsPath they made, as runc does)
	local d
	for d in /sys/fs/cgroup/*/"boxtest-rt-$CID" /sys/fs/cgroup/"boxtest-rt-$CID"; do
		[[ ! -d "$d" ]] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	return "$rc"
}

# cgfile CONTROLLER V1FILE V2FILE: the container's file for a limit: in its
# v1 hierarchy when the controller is there, else in cgroup v2.
cgfile() {
	local mp
	if mp="$(cgroup_v1_mount "$1")"; then
		echo "$mp/box/$CID/$2"
	elif cgroup_v2_has "$1"; then
		echo "$(cgroup2_mount)/box/$CID/$3"
	else
		fail "no $1 controller in cgroup v1 or v2"
	fi
}

mem_limit() { cat "$(cgfile memory memory.limit_in_bytes memory.max)"; }
pids_max() { cat "$(cgfile pids pids.max pids.max)"; }

@test "update: memory, pids and cpu flags change the v1 files" {
	requires root cgroup_v1
	update_config '.linux.resources += { memory: { limit: 134217728 }, pids: { limit: 50 } }'
	start_container
	local mem cpu cpuset swap=()
	mem="$(cgroup_v1_mount memory)/box/$CID"
	cpu="$(cgroup_v1_mount cpu)/box/$CID"
	cpuset="$(cgroup_v1_mount cpuset)/box/$CID"
	[[ ! -f "$mem/memory.memsw.limit_in_bytes" ]] || swap=(--memory-swap 256M)
	run --separate-stderr box update --memory 64m --memory-reservation 32m "${swap[@]}" \
		--pids-limit 20 --cpu-quota 30000 --cpu-period 60000 --cpu-share 256 \
		--cpuset-cpus 0 --cpuset-mems 0 "$CID"
	assert_success
	assert_output ""
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 67108864
	assert_equal "$(cat "$mem/memory.soft_limit_in_bytes")" 33554432
	if ((${#swap[@]})); then
		assert_equal "$(cat "$mem/memory.memsw.limit_in_bytes")" 268435456
	fi
	assert_equal "$(cat "$(cgroup_v1_mount pids)/box/$CID/pids.max")" 20
	assert_equal "$(cat "$cpu/cpu.cfs_quota_us")" 30000
	assert_equal "$(cat "$cpu/cpu.cfs_period_us")" 60000
	assert_equal "$(cat "$cpu/cpu.shares")" 256
	assert_equal "$(cat "$cpuset/cpuset.cpus")" 0
	assert_equal "$(cat "$cpuset/cpuset.mems")" 0
	# units: k and g, bytes without a unit (below the memory+swap limit)
	box update --memory 200m "$CID"
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 209715200
	box update --memory 65536k "$CID"
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 67108864
	box update --memory 100003840 "$CID"
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 100003840
	box update --memory-reservation 1g "$CID"
	assert_equal "$(cat "$mem/memory.soft_limit_in_bytes")" 1073741824
	# what was not given stayed
	assert_equal "$(cat "$(cgroup_v1_mount pids)/box/$CID/pids.max")" 20
	assert_equal "$(cat "$cpu/cpu.shares")" 256
	# -1: unlimited
	box update --pids-limit -1 "$CID"
	assert_equal "$(cat "$(cgroup_v1_mount pids)/box/$CID/pids.max")" max
}

@test "update: raising memory and memory-swap together above the old memory+swap limit works (v1, as runc)" {
	requires root cgroup_v1
	local mem
	mem="$(cgroup_v1_mount memory)/box/$CID"
	[[ -f "$(cgroup_v1_mount memory)/memory.memsw.limit_in_bytes" ]] || skip "requires swap accounting (memory.memsw.*)"
	update_config '.linux.resources.memory = { limit: 134217728, swap: 268435456 }'
	start_container
	# memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes:
	# raising both, memsw has to be written first
	run box update --memory 1g --memory-swap 2g "$CID"
	assert_success
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 1073741824
	assert_equal "$(cat "$mem/memory.memsw.limit_in_bytes")" 2147483648
	# and lowering both, memory first
	run box update --memory 64m --memory-swap 96m "$CID"
	assert_success
	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 67108864
	assert_equal "$(cat "$mem/memory.memsw.limit_in_bytes")" 100663296
}

@test "update: memory, pids and cpu flags change the v2 files" {
	requires root cgroup_v2_controllers
	start_container
	local dir
	dir="$(cgroup2_mount)/box/$CID"
	run --separate-stderr box update --memory 64m --memory-reservation 32m \
		--pids-limit 20 --cpu-quota 30000 --cpu-period 60000 --cpu-shares 256 \
		--cpuset-cpus 0 --cpuset-mems 0 "$CID"
	assert_success
	assert_equal "$(cat "$dir/memory.max")" 67108864
	assert_equal "$(cat "$dir/memory.low")" 33554432
	assert_equal "$(cat "$dir/pids.max")" 20
	assert_equal "$(cat "$dir/cpu.max")" "30000 60000"
	assert_equal "$(cat "$dir/cpu.weight")" $((1 + ((256 - 2) * 9999) / 262142))
	assert_equal "$(cat "$dir/cpuset.cpus")" 0
	box update --pids-limit -1 "$CID"
	assert_equal "$(cat "$dir/pids.max")" max
}

@test "update --resources FILE and --resources - (stdin) apply a linux.resources object" {
	requires root cgroup_controller=memory cgroup_controller=pids
	start_container
	local f="$BATS_TEST_TMPDIR/resources.json"
	echo '{ "memory": { "limit": 50331648 }, "pids": { "limit": 15 } }' >"$f"
	run --separate-stderr box update --resources "$f" "$CID"
	assert_success
	assert_equal "$(mem_limit)" 50331648
	assert_equal "$(pids_max)" 15

	run --separate-stderr box update --resources - "$CID" \
		<<<'{ "memory": { "limit": 83886080 }, "pids": { "limit": 25 } }'
	assert_success
	assert_equal "$(mem_limit)" 83886080
	assert_equal "$(pids_max)" 25

	# -r is --resources; a flag given with it wins over the file
	echo '{ "pids": { "limit": 30 } }' >"$f"
	box update -r "$f" --pids-limit 31 "$CID"
	assert_equal "$(pids_max)" 31
	assert_equal "$(mem_limit)" 83886080
}

@test "update: a pids limit lowered on a running container takes effect" {
	requires root cgroup_controller=pids
	# init waits for /go, then forks sleeps until a fork fails (ash exits then)
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'exec 2>/err; while [ ! -e /go ]; do usleep 20000; done
i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i + 1)); echo $i > /started; done; echo yes > /finished'
	start_container
	box update --pids-limit 5 "$CID"
	assert_equal "$(pids_max)" 5
	touch "$BUNDLE/rootfs/go"
	wait_for_status "$CID" stopped 10
	assert_file_not_exists "$BUNDLE/rootfs/finished"
	# init + 4 sleeps = 5 processes
	assert_equal "$(cat "$BUNDLE/rootfs/started")" 4
	run cat "$BUNDLE/rootfs/err"
	assert_output --partial "can't fork"
}

@test "update: bad values are rejected naming the flag or field, and change nothing" {
	requires root cgroup_controller=memory cgroup_controller=pids
	update_config '.linux.resources += { memory: { limit: 134217728 }, pids: { limit: 50 } }'
	start_container

	run --separate-stderr box update --memory abc "$CID"
	assert_box_error -2 "--memory"
	run --separate-stderr box update --memory 12x "$CID"
	assert_box_error -2 "--memory"
	run --separate-stderr box update --memory -5 "$CID"
	assert_box_error -2 "--memory"
	run --separate-stderr box update --memory-reservation -5m "$CID"
	assert_box_error -2 "--memory-reservation"
	run --separate-stderr box update --pids-limit -7 "$CID"
	assert_box_error -2 "--pids-limit"
	run --separate-stderr box update --pids-limit lots "$CID"
	assert_box_error -2 "pids-limit"
	run --separate-stderr box update --cpuset-cpus abc "$CID"
	assert_box_error -2 '--cpuset-cpus: invalid list "abc" (like 0-3,5)'
	run --separate-stderr box update --cpuset-mems 3-1 "$CID"
	assert_box_error -2 '--cpuset-mems: invalid list "3-1" (like 0-3,5)'
	run --separate-stderr box update --blkio-weight 5 "$CID"
	assert_box_error -2 "--blkio-weight must be between 10 and 1000"
	run --separate-stderr box update --l3-cache-schema L3:0=f "$CID"
	assert_box_error "Intel RDT/CAT: l3 cache schema is not enabled"
	run --separate-stderr box update --mem-bw-schema MB:0=50 "$CID"
	assert_box_error "Intel RDT/MBA: memory bandwidth schema is not enabled"
	run --separate-stderr box update "$CID" --no-such-flag 1
	assert_box_error -2 "no-such-flag"

	local f="$BATS_TEST_TMPDIR/resources.json"
	echo '{ "memory": { "limit": -5 } }' >"$f"
	run --separate-stderr box update --resources "$f" "$CID"
	assert_box_error "memory.limit"
	echo '{ "pids": { "limit": -5 } }' >"$f"
	run --separate-stderr box update --resources "$f" "$CID"
	assert_box_error "pids.limit"
	echo '{ "memory": ' >"$f"
	run --separate-stderr box update --resources "$f" "$CID"
	assert_box_error "invalid JSON"
	run --separate-stderr box update --resources "$BATS_TEST_TMPDIR/nosuch.json" "$CID"
	assert_box_error "nosuch.json"
	run --separate-stderr box update --resources - "$CID" <<<'{ "pids": { "limit": "many" } }'
	assert_box_error "pids.limit"

	# nothing changed
	assert_equal "$(mem_limit)" 134217728
	assert_equal "$(pids_max)" 50
	assert_equal "$(state_field "$CID" status)" running
}

@test "update: negative or out-of-range --cpu-share and --cpu-period are rejected, not wrapped or clamped" {
	requires root cgroup_controller=cpu
	update_config '.linux.resources.cpu = { shares: 512, period: 100000 }'
	start_container
	run --separate-stderr box update --cpu-share -3 "$CID"
	assert_box_error -2 "cpu-share"
	run --separate-stderr box update --cpu-share 1 "$CID"
	assert_box_error -2 "--cpu-share must be between 2 and 262144"
	run --separate-stderr box update --cpu-period -1 "$CID"
	assert_box_error -2 "cpu-period"
	local mp
	if mp="$(cgroup_v1_mount cpu)"; then
		assert_equal "$(cat "$mp/box/$CID/cpu.shares")" 512
		assert_equal "$(cat "$mp/box/$CID/cpu.cfs_period_us")" 100000
	fi
}

@test "update: unknown and stopped containers are errors" {
	requires root
	run --separate-stderr box update --pids-limit 10 "nosuch-$CID"
	assert_box_error "container \"nosuch-$CID\" does not exist"
	run --separate-stderr box update --pids-limit 10
	assert_box_error -2 "container id"
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	run --separate-stderr box update --pids-limit 10 "$CID"
	assert_box_error "$CID"
	box delete "$CID"
	assert_nothing_left
}

# ---------------------------------------------------------------------------
# Issue 12: zero means unchanged, all or nothing, runc's options
# ---------------------------------------------------------------------------

# Docker's plain-run resources (every value 0: unset).
DOCKER_RUN_RESOURCES='{ devices: .linux.resources.devices, memory: { disableOOMKiller: false }, cpu: { shares: 0 }, blockIO: { weight: 0 } }'

# changed_limits BEFORE AFTER: the lines of limit_values AFTER that differ from BEFORE.
changed_limits() {
	comm -13 <(sort <<<"$1") <(sort <<<"$2")
}

@test "update: Docker's body for --memory 128m --memory-swap 256m changes only memory, as runc" {
	requires root cgroup_controller=memory
	local f="$BATS_TEST_TMPDIR/resources.json" before after want mp
	echo '{"memory":{"limit":134217728,"reservation":0,"swap":268435456,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}}' >"$f"
	update_config ".linux.resources = $DOCKER_RUN_RESOURCES"
	start_container
	before="$(limit_values "/box/$CID")"
	run --separate-stderr box update --resources "$f" "$CID"
	assert_success
	assert_equal "$stderr" ""
	after="$(limit_values "/box/$CID")"
	if mp="$(cgroup_v1_mount memory)"; then
		want="${mp##*/}/memory.limit_in_bytes 134217728 "
		[[ ! -f "$mp/box/$CID/memory.memsw.limit_in_bytes" ]] ||
			want+=$'\n'"${mp##*/}/memory.memsw.limit_in_bytes 268435456 "
	else
		mp="$(cgroup2_mount)"
		want="${mp##*/}/memory.max 134217728 "
		[[ ! -f "$mp/box/$CID/memory.swap.max" ]] || want+=$'\n'"${mp##*/}/memory.swap.max 134217728 "
	fi
	assert_equal "$(changed_limits "$before" "$after")" "$(sort <<<"$want")"
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		runc_ref update --resources "$f" "$CID-runc"
		assert_equal "$(limit_values "/boxtest-runc-$CID")" "$after"
	fi
}

@test "update: 0 in a flag leaves the value as it is, as runc" {
	requires root cgroup_controller=cpu cgroup_controller=pids cgroup_controller=memory
	update_config '.linux.resources += { memory: { limit: 134217728 }, cpu: { shares: 512, quota: 50000 }, pids: { limit: 50 } }'
	start_container
	local before zeros=(--memory 0 --memory-reservation 0 --memory-swap 0 --pids-limit 0 --cpu-share 0
		--cpu-quota 0 --cpu-period 0 --cpu-rt-period 0 --cpu-rt-runtime 0 --blkio-weight 0)
	before="$(limit_values "/box/$CID")"
	run --separate-stderr box update "${zeros[@]}" "$CID"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(limit_values "/box/$CID")" "$before"
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		before="$(limit_values "/boxtest-runc-$CID")"
		runc_ref update "${zeros[@]}" "$CID-runc"
		assert_equal "$(limit_values "/boxtest-runc-$CID")" "$before"
	fi
}

@test "update: a write the kernel refuses puts back every file already changed, naming the field and file" {
	requires root cgroup_v1
	local mem
	mem="$(cgroup_v1_mount memory)" || skip "requires cgroup_controller=memory (v1)"
	update_config '.linux.resources += { memory: { limit: 134217728 }, cpu: { shares: 512 }, pids: { limit: 50 } }'
	start_container
	local before
	before="$(limit_values "/box/$CID")"
	# cpu and cpuset come before memory: they are written, then memory fails (below what
	# the container uses, which cannot be reclaimed without swap), and both are put back
	run --separate-stderr box update --cpu-shares 256 --cpuset-cpus 0 --pids-limit 40 --memory 4096 "$CID"
	assert_box_error "linux.resources.memory.limit: writing \"4096\" to $mem/box/$CID/memory.limit_in_bytes: Device or resource busy"
	assert_equal "$(limit_values "/box/$CID")" "$before"
	if [[ -f "$mem/box/$CID/memory.memsw.limit_in_bytes" ]]; then
		# memory+swap below today's memory limit
		run --separate-stderr box update --cpu-shares 256 --memory-swap 1m "$CID"
		assert_box_error "linux.resources.memory.swap: writing \"1048576\" to $mem/box/$CID/memory.memsw.limit_in_bytes: Invalid argument"
		assert_equal "$(limit_values "/box/$CID")" "$before"
	fi
	assert_equal "$(state_field "$CID" status)" running
}

@test "update: memory+swap below the memory limit in one request is refused before anything is written" {
	requires root cgroup_controller=memory cgroup_controller=cpu
	update_config '.linux.resources += { cpu: { shares: 512 } }'
	start_container
	local before
	before="$(limit_values "/box/$CID")"
	run --separate-stderr box update --cpu-share 256 --memory 64m --memory-swap 32m "$CID"
	assert_box_error "linux.resources.memory.swap: memory+swap (33554432) must not be below memory.limit (67108864)"
	assert_equal "$(limit_values "/box/$CID")" "$before"
}

@test "update: options come before or after the ID, as runc" {
	requires root cgroup_controller=pids cgroup_controller=memory
	start_container
	box update "$CID" --pids-limit 33
	assert_equal "$(pids_max)" 33
	box update --pids-limit 34 "$CID" --memory 100m
	assert_equal "$(pids_max)" 34
	assert_equal "$(mem_limit)" 104857600
	echo '{ "pids": { "limit": 35 } }' >"$BATS_TEST_TMPDIR/r.json"
	box update "$CID" -r "$BATS_TEST_TMPDIR/r.json"
	assert_equal "$(pids_max)" 35
	run --separate-stderr box update "$CID" "$CID"
	assert_box_error -2 "unexpected argument"
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		runc_ref update "$CID-runc" --pids-limit 33
		local mp
		mp="$(cgroup_v1_mount pids)" || mp="$(cgroup2_mount)"
		assert_equal "$(cat "$mp/boxtest-runc-$CID/pids.max")" 33
	fi
}

@test "update: --help lists every option of runc update" {
	requires runc
	local flag missing=()
	run --separate-stderr box update --help
	assert_success
	for flag in $(runc update --help | grep -oE -- '--[a-z0-9-]+' | sort -u); do
		[[ "$output" == *"$flag"* ]] || missing+=("$flag")
	done
	((${#missing[@]} == 0)) || fail "box update --help lacks: ${missing[*]}"
}

@test "update: --cpu-rt-period and --cpu-rt-runtime, written in the order the kernel needs" {
	requires root cgroup_v1
	local cpu parent
	cpu="$(cgroup_v1_mount cpu)" || skip "requires cgroup_controller=cpu (v1)"
	[[ -f "$cpu/cpu.rt_runtime_us" ]] || skip "requires realtime group scheduling (no cpu.rt_runtime_us)"
	# a parent of this test with realtime time to hand out (/box has none)
	parent="$cpu/boxtest-rt-$CID"
	mkdir "$parent"
	echo 100000 >"$parent/cpu.rt_runtime_us"
	update_config ".linux.cgroupsPath = \"/boxtest-rt-$CID/$CID\""
	start_container
	local dir="$parent/$CID"
	box update --cpu-rt-period 500000 --cpu-rt-runtime 10000 "$CID"
	assert_equal "$(cat "$dir/cpu.rt_period_us")" 500000
	assert_equal "$(cat "$dir/cpu.rt_runtime_us")" 10000
	# 10000 of a 50000 period is more than the parent's 10%: the runtime must go down first
	box update "$CID" --cpu-rt-period 50000 --cpu-rt-runtime 4000
	assert_equal "$(cat "$dir/cpu.rt_period_us")" 50000
	assert_equal "$(cat "$dir/cpu.rt_runtime_us")" 4000
	# more than the parent has: refused, and the period is put back
	run --separate-stderr box update --cpu-rt-period 45000 --cpu-rt-runtime 20000 "$CID"
	assert_box_error "linux.resources.cpu.realtimeRuntime: writing \"20000\" to $dir/cpu.rt_runtime_us: Invalid argument"
	assert_equal "$(cat "$dir/cpu.rt_period_us")" 50000
	assert_equal "$(cat "$dir/cpu.rt_runtime_us")" 4000
	if runc_available; then
		# the first step with the parent to itself
		box delete --force "$CID"
		runc_bg run -d --bundle "$(runc_bundle "/boxtest-rt-$CID/$CID-runc")" "$CID-runc"
		runc_ref update --cpu-rt-period 500000 --cpu-rt-runtime 10000 "$CID-runc"
		assert_equal "$(cat "$parent/$CID-runc/cpu.rt_period_us")" 500000
		assert_equal "$(cat "$parent/$CID-runc/cpu.rt_runtime_us")" 10000
		# (runc 1.1 writes the period first and fails the second step: box does better)
	fi
}

@test "update: --blkio-weight lands in blkio.weight or blkio.bfq.weight" {
	requires root
	local mp file
	mp="$(cgroup_v1_mount blkio)" || skip "requires cgroup_controller=blkio (v1)"
	start_container
	for file in blkio.weight blkio.bfq.weight ""; do
		[[ -z "$file" || -f "$mp/box/$CID/$file" ]] && break
	done
	[[ -n "$file" ]] || skip "requires blkio.weight or blkio.bfq.weight (no weight-aware I/O scheduler)"
	box update --blkio-weight 500 "$CID"
	assert_equal "$(cat "$mp/box/$CID/$file")" 500
}

# containerd's CRI (UpdateContainerResources) sends the container's whole
# linux.resources, device rules included: runc 1.1 ignores those (it never
# changes device rules in update), and so does box (it used to refuse).
@test "update: --resources with the container's device rules (as containerd's CRI sends) ignores them, as runc" {
	requires root cgroup_controller=memory
	local f="$BATS_TEST_TMPDIR/resources.json" devices_before="" mp
	update_config '.linux.resources.devices += [{ allow: true, type: "c", major: 1, minor: 3, access: "rwm" }]'
	start_container
	jq '.linux.resources + { memory: { limit: 134217728 } }' "$BUNDLE/config.json" >"$f"
	[[ "$(jq '.devices | length' "$f")" -ge 2 ]] || fail "the body has no device rules: $(cat "$f")"
	if mp="$(cgroup_v1_mount devices)"; then devices_before="$(cat "$mp/box/$CID/devices.list")"; fi
	run --separate-stderr box update --resources "$f" "$CID"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(mem_limit)" 134217728
	if [[ -n "$mp" ]]; then assert_equal "$(cat "$mp/box/$CID/devices.list")" "$devices_before"; fi
	run box exec "$CID" sh -c 'echo x > /dev/null && echo null-ok'
	assert_output null-ok
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		runc_ref update --resources "$f" "$CID-runc"
		assert_equal "$(cat "$(cgroup_v1_mount memory)/boxtest-runc-$CID/memory.limit_in_bytes" 2>/dev/null ||
			cat "$(cgroup2_mount)/boxtest-runc-$CID/memory.max")" 134217728
	fi
}

@test "update: device rules in --resources (podman sends the container's own) are left as they are, whatever their access, as runc" {
	requires root cgroup_controller=pids
	start_container
	local mp="" before=""
	if mp="$(cgroup_v1_mount devices)"; then
		before="$(cat "$mp/box/$CID/devices.list")"
	fi
	jq -n '{ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 11, access: "rwa" },
		{ allow: true, type: "c", major: 1, minor: 12, access: "x" }, { allow: true, access: "" }],
		pids: { limit: 36 } }' >"$BATS_TEST_TMPDIR/r.json"
	box update --resources "$BATS_TEST_TMPDIR/r.json" "$CID"
	assert_equal "$(pids_max)" 36
	if [[ -n "$mp" ]]; then
		assert_equal "$(cat "$mp/box/$CID/devices.list")" "$before"
	fi
	if runc_available; then
		runc_bg run -d --bundle "$(runc_bundle)" "$CID-runc"
		if [[ -n "$mp" ]]; then
			before="$(cat "$mp/boxtest-runc-$CID/devices.list")"
		fi
		runc_ref update --resources "$BATS_TEST_TMPDIR/r.json" "$CID-runc"
		if [[ -n "$mp" ]]; then
			assert_equal "$(cat "$mp/boxtest-runc-$CID/devices.list")" "$before"
		fi
	fi
}

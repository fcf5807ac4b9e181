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
	box_teardown
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
		--pids-limit 20 --cpu-quota 30000 --cpu-period 60000 --cpu-shares 256 \
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
	run --separate-stderr box update --pids-limit 0 "$CID"
	assert_box_error -2 "--pids-limit"
	run --separate-stderr box update --pids-limit -7 "$CID"
	assert_box_error -2 "--pids-limit"
	run --separate-stderr box update --pids-limit lots "$CID"
	assert_box_error -2 "pids-limit"
	run --separate-stderr box update --cpuset-cpus abc "$CID"
	assert_box_error -2 '--cpuset-cpus: invalid list "abc" (like 0-3,5)'
	run --separate-stderr box update --cpuset-mems 3-1 "$CID"
	assert_box_error -2 '--cpuset-mems: invalid list "3-1" (like 0-3,5)'

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

@test "update: negative --cpu-shares and --cpu-period are rejected, not wrapped to huge numbers" {
	requires root cgroup_controller=cpu
	update_config '.linux.resources.cpu = { shares: 512, period: 100000 }'
	start_container
	run --separate-stderr box update --cpu-shares -3 "$CID"
	assert_box_error -2 "cpu-shares"
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

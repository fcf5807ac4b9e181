#!/usr/bin/env bats
# Control groups (issue 5): placement of the container in every hierarchy,
# linux.cgroupsPath, linux.resources (values in the cgroup files, and the
# effect where it is cheap: devices, pids, memory), cleanup and bad input.
#
# This machine is hybrid: v1 controllers at /sys/fs/cgroup/NAME and a cgroup2
# hierarchy (without the cpu/memory/pids controllers) at
# /sys/fs/cgroup/unified. The v2 value checks run on a pure v2 host only.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	local rc=0
	box_teardown || rc=$?
	# cgroupsPath dirs of this file that the generic cleanup does not know
	# (parents of an absolute path, relative paths), children first
	local _ mp cg
	while read -r _ mp cg; do
		[[ ! -d "$mp$cg" ]] || find "$mp$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done < <(cgroup_dirs "/boxtest-abs-$CID"; cgroup_dirs "boxtest-rel-$CID")
	return "$rc"
}

# cgroup_dirs PATH: "KEY MOUNTPOINT CGROUP" for every mounted hierarchy,
# where CGROUP is where the cgroupsPath PATH lands there: absolute as is,
# relative below our own cgroup in that hierarchy (which box, run from here,
# shares).
cgroup_dirs() {
	cgroup_mounts | awk -v path="$1" '
		FNR == NR { k = $2; sub(/^[^:]*:[^:]*:/, ""); own[k == "" ? "v2" : k] = $0; next }
		{
			want = path
			if (path !~ /^\//) want = (own[$2] == "/" ? "" : own[$2]) "/" path
			print $2, $1, want
		}' FS=: /proc/self/cgroup FS=' ' -
}

# assert_placed PID PATH: in every mounted hierarchy PID is in PATH (see
# cgroup_dirs) and that directory exists.
assert_placed() {
	local pid="$1" path="$2" out
	out="$(cgroup_dirs "$path" | awk -v pcg="/proc/$pid/cgroup" '
		BEGIN {
			FS = ":"
			while ((getline line < pcg) > 0) {
				split(line, f, ":"); k = f[2] == "" ? "v2" : f[2]
				sub(/^[^:]*:[^:]*:/, "", line); in_[k] = line
			}
			FS = " "
		}
		{
			n++
			if (in_[$1] != $3) print "pid in \"" in_[$1] "\" in the " $1 " hierarchy (" $2 "), expected \"" $3 "\""
			else if (system("test -d \"" $2 $3 "\"") != 0) print "cgroup directory " $2 $3 " does not exist"
		}
		END { if (!n) print "no cgroup hierarchy is mounted" }')"
	[[ -z "$out" ]] || fail "$(printf 'pid %s is misplaced:\n%s' "$pid" "$out")"
}

# assert_no_cgroup PATH: PATH (see cgroup_dirs) exists in no hierarchy.
assert_no_cgroup() {
	local left
	left="$(cgroup_dirs "$1" | while read -r _ mp cg; do [[ ! -e "$mp$cg" ]] || echo "$mp$cg"; done)"
	[[ -z "$left" ]] || fail "cgroup directories left: $left"
}

# v1 DIR of the container for CONTROLLER (default path /box/$CID).
v1_dir() {
	local mp
	mp="$(cgroup_v1_mount "$1")" || fail "no v1 hierarchy with the $1 controller"
	echo "$mp${2:-/box/$CID}"
}

# assert_create_rejected FIELD JQ-EXPR: create with the config edited by
# JQ-EXPR (in a copy of the bundle's) fails with one clear error naming FIELD.
# (The callers end with assert_nothing_left: a leftover of one case would
# also make the next create fail, with "already exists".)
assert_create_rejected() {
	local field="$1" expr="$2" bad="$BATS_TEST_TMPDIR/bad"
	mkdir -p "$bad"
	[[ -e "$bad/rootfs" ]] || ln -s "$BUNDLE/rootfs" "$bad/rootfs"
	jq "$expr" "$BUNDLE/config.json" >"$bad/config.json" || fail "jq failed on: $expr"
	run --separate-stderr box create --bundle "$bad" "$CID"
	assert_box_error "$field"
}

# -----------------------------------------------------------------------------
# Placement
# -----------------------------------------------------------------------------

@test "cgroups: init is in /box/<id> in every v1 hierarchy before the user program runs" {
	requires root cgroup_v1
	# (runc's default config, and so box spec's, has no cgroup namespace)
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	set_args sh -c 'cat /proc/self/cgroup > /cg; exec sleep 1000'
	create_container
	local pid
	pid="$(container_pid "$CID")"
	# created: init waits for start, already in its cgroups
	assert_placed "$pid" "/box/$CID"
	local v1
	v1="$(cgroup_mounts | awk '$2 != "v2"' | wc -l)"
	((v1 >= 5)) || fail "expected the v1 controller hierarchies, found $v1"
	box start "$CID"
	wait_for_file "$BUNDLE/rootfs/cg"
	# the same process became the user program
	assert_equal "$(container_pid "$CID")" "$pid"
	assert_placed "$pid" "/box/$CID"
	# and, in its cgroup namespace, sees its cgroup as /
	run awk -F: '{ print $3 }' "$BUNDLE/rootfs/cg"
	assert_success
	refute_output --partial "/box"
}

@test "cgroups: init is in /box/<id> in the cgroup v2 hierarchy (the unified one on a hybrid host)" {
	requires root cgroup2
	create_container
	local pid v2
	pid="$(container_pid "$CID")"
	v2="$(cgroup2_mount)"
	assert_equal "$(cgroup_of "$pid" v2)" "/box/$CID"
	assert_dir_exists "$v2/box/$CID"
	grep -qx "$pid" "$v2/box/$CID/cgroup.procs" || fail "$pid not in $v2/box/$CID/cgroup.procs"
}

@test "cgroups: a /box cpuset made by a concurrent create and not yet filled in does not fail the next create (v1)" {
	requires root
	local mp
	mp="$(cgroup_v1_mount cpuset)" || skip "requires the v1 cpuset controller"
	[[ ! -e "$mp/box" ]] || skip "requires no /box cgroup yet (other containers exist)"
	# what a racing create leaves for a moment: /box made, cpuset.cpus still empty
	mkdir "$mp/box"
	assert_equal "$(cat "$mp/box/cpuset.cpus")" ""
	set_args true
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	rmdir "$mp/box" 2>/dev/null || true
	assert_success
	assert_equal "$stderr" ""
}

@test "cgroups: an absolute linux.cgroupsPath is used in every hierarchy (parents created)" {
	requires root
	local parent="/boxtest-abs-$CID"
	update_config ".linux.cgroupsPath = \"$parent/inner\""
	start_container
	assert_placed "$(container_pid "$CID")" "$parent/inner"
	assert_no_cgroup "/box/$CID"
	box delete --force "$CID"
	assert_no_cgroup "$parent/inner"
	# (runc leaves the parents it created, too: teardown removes them)
	assert_nothing_left
}

@test "cgroups: a relative linux.cgroupsPath is below box's own cgroup in each hierarchy" {
	requires root
	local path="boxtest-rel-$CID"
	update_config ".linux.cgroupsPath = \"$path\""
	start_container
	assert_placed "$(container_pid "$CID")" "$path"
	box delete --force "$CID"
	assert_no_cgroup "$path"
	assert_nothing_left
}

# -----------------------------------------------------------------------------
# Resource values in the cgroup files
# -----------------------------------------------------------------------------

@test "cgroups: memory, cpu, cpuset and pids values land in the v1 files" {
	requires root cgroup_v1
	local swap='' mem
	mem="$(v1_dir memory)"
	# memory.memsw.* exist only with swap accounting
	if [[ -f "$(cgroup_v1_mount memory)/memory.memsw.limit_in_bytes" ]]; then
		swap=', swap: 134217728'
	fi
	update_config ".linux.resources += {
		memory: { limit: 67108864, reservation: 33554432 $swap, swappiness: 30, disableOOMKiller: true },
		cpu: { shares: 512, quota: 25000, period: 50000, cpus: \"0\", mems: \"0\" },
		pids: { limit: 42 } }"
	start_container

	assert_equal "$(cat "$mem/memory.limit_in_bytes")" 67108864
	assert_equal "$(cat "$mem/memory.soft_limit_in_bytes")" 33554432
	if [[ -n "$swap" ]]; then
		assert_equal "$(cat "$mem/memory.memsw.limit_in_bytes")" 134217728
	fi
	assert_equal "$(cat "$mem/memory.swappiness")" 30
	grep -qx 'oom_kill_disable 1' "$mem/memory.oom_control" ||
		fail "memory.oom_control: $(cat "$mem/memory.oom_control")"

	local cpu cpuset
	cpu="$(v1_dir cpu)"
	cpuset="$(v1_dir cpuset)"
	assert_equal "$(cat "$cpu/cpu.shares")" 512
	assert_equal "$(cat "$cpu/cpu.cfs_quota_us")" 25000
	assert_equal "$(cat "$cpu/cpu.cfs_period_us")" 50000
	assert_equal "$(cat "$cpuset/cpuset.cpus")" 0
	assert_equal "$(cat "$cpuset/cpuset.mems")" 0

	assert_equal "$(cat "$(v1_dir pids)/pids.max")" 42
}

@test "cgroups: memory, cpu, cpuset and pids values land in the v2 files (shares converted to weight)" {
	requires root cgroup_v2_controllers
	local dir
	update_config '.linux.resources += {
		memory: { limit: 67108864, reservation: 33554432, swap: 134217728 },
		cpu: { shares: 512, quota: 25000, period: 50000, cpus: "0", mems: "0" },
		pids: { limit: 42 } }'
	start_container
	dir="$(cgroup2_mount)/box/$CID"
	assert_equal "$(cat "$dir/memory.max")" 67108864
	assert_equal "$(cat "$dir/memory.low")" 33554432
	# v1 swap is memory+swap, v2 swap alone
	if [[ -f "$dir/memory.swap.max" ]]; then
		assert_equal "$(cat "$dir/memory.swap.max")" 67108864
	fi
	# runc: weight = 1 + ((shares - 2) * 9999) / 262142
	assert_equal "$(cat "$dir/cpu.weight")" $((1 + ((512 - 2) * 9999) / 262142))
	assert_equal "$(cat "$dir/cpu.max")" "25000 50000"
	assert_equal "$(cat "$dir/cpuset.cpus")" 0
	assert_equal "$(cat "$dir/cpuset.mems")" 0
	assert_equal "$(cat "$dir/pids.max")" 42
}

# a_disk: "MAJ:MIN" of a whole disk of the host (throttles need a real
# disk, not a partition), or nothing.
a_disk() {
	local d
	for d in /sys/block/*; do
		case "${d##*/}" in loop* | ram* | zram*) continue ;; esac
		if [[ -r "$d/dev" ]]; then
			cat "$d/dev"
			return 0
		fi
	done
	return 1
}

@test "cgroups: blockIO throttles land in the v1 blkio files" {
	requires root cgroup_v1
	cgroup_v1_mount blkio >/dev/null || skip "requires the v1 blkio controller"
	local disk maj min blkio
	disk="$(a_disk)" || skip "requires a block device"
	maj="${disk%:*}" min="${disk#*:}"
	update_config ".linux.resources.blockIO = {
		throttleReadBpsDevice: [{ major: $maj, minor: $min, rate: 1048576 }],
		throttleWriteBpsDevice: [{ major: $maj, minor: $min, rate: 2097152 }],
		throttleReadIOPSDevice: [{ major: $maj, minor: $min, rate: 300 }],
		throttleWriteIOPSDevice: [{ major: $maj, minor: $min, rate: 400 }] }"
	start_container
	blkio="$(v1_dir blkio)"
	assert_equal "$(cat "$blkio/blkio.throttle.read_bps_device")" "$disk 1048576"
	assert_equal "$(cat "$blkio/blkio.throttle.write_bps_device")" "$disk 2097152"
	assert_equal "$(cat "$blkio/blkio.throttle.read_iops_device")" "$disk 300"
	assert_equal "$(cat "$blkio/blkio.throttle.write_iops_device")" "$disk 400"
}

@test "cgroups: blockIO.weight lands in blkio.weight or blkio.bfq.weight (v1), or is an error naming it where neither exists" {
	requires root cgroup_v1
	cgroup_v1_mount blkio >/dev/null || skip "requires the v1 blkio controller"
	update_config '.linux.resources.blockIO = { weight: 500 }'
	# the weight files appear in child cgroups only, and only with a
	# proportional-weight I/O scheduler (bfq): which one is there shows after create
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	if [[ "$status" -ne 0 ]]; then
		assert_box_error 'linux.resources.blockIO.weight: not supported by this kernel (no blkio.weight)'
		assert_nothing_left
		assert_no_cgroup "/box/$CID"
		return 0
	fi
	local dir f found=''
	dir="$(v1_dir blkio)"
	for f in blkio.weight blkio.bfq.weight; do
		[[ -f "$dir/$f" ]] || continue
		found=1
		# blkio.weight: "500"; blkio.bfq.weight: "default 500"
		run cat "$dir/$f"
		assert_output --regexp '^(default )?500$'
		break
	done
	[[ -n "$found" ]] || fail "create succeeded but $dir has no weight file"
}

@test "cgroups: blockIO throttles land in io.max (v2)" {
	requires root cgroup_v2_controllers
	cgroup_v2_has io || skip "requires the io controller in cgroup v2"
	local disk maj min dir
	disk="$(a_disk)" || skip "requires a block device"
	maj="${disk%:*}" min="${disk#*:}"
	update_config ".linux.resources.blockIO = {
		throttleReadBpsDevice: [{ major: $maj, minor: $min, rate: 1048576 }],
		throttleWriteIOPSDevice: [{ major: $maj, minor: $min, rate: 400 }] }"
	start_container
	dir="$(cgroup2_mount)/box/$CID"
	run grep "^$disk " "$dir/io.max"
	assert_success
	assert_output "$disk rbps=1048576 wbps=max riops=max wiops=400"
}

@test "cgroups: hugepageLimits land in the hugetlb files (v1 limit_in_bytes or v2 .max)" {
	requires root cgroup_controller=hugetlb
	[[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]] || skip "requires 2 MiB huge pages"
	update_config '.linux.resources.hugepageLimits = [{ pageSize: "2MB", limit: 4194304 }]'
	start_container
	local mp
	if mp="$(cgroup_v1_mount hugetlb)"; then
		assert_equal "$(cat "$mp/box/$CID/hugetlb.2MB.limit_in_bytes")" 4194304
	else
		assert_equal "$(cat "$(cgroup2_mount)/box/$CID/hugetlb.2MB.max")" 4194304
	fi
}

@test "cgroups: cpu.idle and cpu.realtimePeriod land in the cpu files" {
	requires root cgroup_controller=cpu
	local dir mp
	if mp="$(cgroup_v1_mount cpu)"; then
		dir="$mp/box/$CID"
		[[ -f "$mp/cpu.rt_period_us" ]] || skip "requires CONFIG_RT_GROUP_SCHED (cpu.rt_period_us)"
		update_config '.linux.resources.cpu += { idle: 1, realtimePeriod: 500000 }'
	else
		dir="$(cgroup2_mount)/box/$CID"
		update_config '.linux.resources.cpu += { idle: 1 }'
	fi
	start_container
	[[ -f "$dir/cpu.idle" ]] || fail "no cpu.idle in $dir"
	assert_equal "$(cat "$dir/cpu.idle")" 1
	if [[ -n "$mp" ]]; then
		assert_equal "$(cat "$dir/cpu.rt_period_us")" 500000
	fi
}

@test "cgroups: network classID and priorities land in net_cls and net_prio (v1), or are an error naming them" {
	requires root
	update_config '.linux.resources.network = { classID: 1048577 }'
	if cgroup_v1_mount net_cls >/dev/null; then
		start_container
		assert_equal "$(cat "$(v1_dir net_cls)/net_cls.classid")" 1048577
	else
		run --separate-stderr box create --bundle "$BUNDLE" "$CID"
		assert_box_error 'linux.resources.network.classID: the net_cls controller is not available on this host'
		assert_nothing_left
	fi
	box delete --force "$CID" 2>/dev/null || true
	update_config '.linux.resources.network = { priorities: [{ name: "lo", priority: 5 }] }'
	if cgroup_v1_mount net_prio >/dev/null; then
		start_container
		grep -qx 'lo 5' "$(v1_dir net_prio)/net_prio.ifpriomap" ||
			fail "net_prio.ifpriomap: $(cat "$(v1_dir net_prio)/net_prio.ifpriomap")"
	else
		run --separate-stderr box create --bundle "$BUNDLE" "$CID"
		assert_box_error 'linux.resources.network.priorities: the net_prio controller is not available on this host'
		assert_nothing_left
	fi
}

# -----------------------------------------------------------------------------
# Devices
# -----------------------------------------------------------------------------

# A block device (the first loop device, 7:0) that is not in the default
# allow list. Reading it is harmless; the device cgroup check comes before the
# driver, so a denied open fails with EPERM whether or not loop is loaded.
loop0='{ path: "/dev/loop0", type: "b", major: 7, minor: 0, fileMode: 432, uid: 0, gid: 0 }'

@test "cgroups: the default spec denies reading a block device (linux.devices or mknod) with EPERM while /dev/null works" {
	requires root
	update_config ".linux.devices = [$loop0]
		| .process.capabilities |= with_entries(.value += [\"CAP_MKNOD\"])"
	set_args sh -c 'ls -l /dev/loop0
head -c1 /dev/loop0 >/dev/null && echo "loop0: read ok"
mknod /tmp/blk b 7 0 && echo "mknod ok"
head -c1 /tmp/blk >/dev/null && echo "blk: read ok"
head -c1 /dev/null && echo "null: read ok"
echo hi > /dev/null && echo "null: write ok"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_line --regexp '^b.* /dev/loop0$'
	assert_line --regexp 'loop0: Operation not permitted$'
	refute_output --partial "loop0: read ok"
	# mknod is allowed (b *:* m), using the node is not
	assert_line "mknod ok"
	assert_line --regexp '/tmp/blk: Operation not permitted$'
	refute_output --partial "blk: read ok"
	assert_line "null: read ok"
	assert_line "null: write ok"
	assert_nothing_left
}

@test "cgroups: a devices allow rule opens the device (so the EPERM came from the cgroup); v1 devices.list" {
	requires root
	update_config ".linux.devices = [$loop0]
		| .linux.resources.devices += [{ allow: true, type: \"b\", major: 7, minor: 0, access: \"r\" }]"
	start_container
	# no loop driver gives ENXIO, an unbound loop device reads 0 bytes: anything but EPERM
	run box exec "$CID" sh -c 'head -c1 /dev/loop0 >/dev/null; echo "loop0 rc=$?"'
	assert_output --partial "loop0 rc="
	refute_output --partial "Operation not permitted"
	# writing was not allowed
	run box exec "$CID" sh -c 'echo x > /dev/loop0'
	assert_failure
	assert_output --partial "Operation not permitted"

	local mp list rule
	mp="$(cgroup_v1_mount devices)" || return 0
	# v1: runc's default allow list after the config's rules, no "a *:* rwm"
	list="$(cat "$mp/box/$CID/devices.list")"
	for rule in 'c *:* m' 'b *:* m' 'c 1:3 rwm' 'c 1:5 rwm' 'c 1:7 rwm' 'c 1:8 rwm' 'c 1:9 rwm' \
		'c 5:0 rwm' 'c 5:1 rwm' 'c 5:2 rwm' 'c 136:* rwm' 'c 10:200 rwm' 'b 7:0 r'; do
		grep -qxF "$rule" <<<"$list" || fail "devices.list lacks '$rule': $list"
	done
	if grep -q '^a ' <<<"$list"; then
		fail "devices.list still allows everything: $list"
	fi
}

@test "cgroups: an eBPF device program guards the container's cgroup v2 directory" {
	requires root cgroup2
	start_container
	local dir dev
	dir="$(cgroup2_mount)/box/$CID"
	dev="$BATS_TEST_TMPDIR/blk"
	mknod "$dev" b 7 0
	# a host process in the container's v2 cgroup only (its v1 cgroups stay the host's)
	run sh -c 'echo $$ > "$1/cgroup.procs" && head -c1 /dev/null && echo "null ok" && exec head -c1 "$2"' _ "$dir" "$dev"
	assert_failure
	assert_output --partial "null ok"
	assert_output --partial "Operation not permitted"
	# the same outside the container's cgroup is not denied
	run sh -c 'head -c1 "$1" >/dev/null' _ "$dev"
	refute_output --partial "Operation not permitted"
}

# -----------------------------------------------------------------------------
# Effects of pids and memory limits
# -----------------------------------------------------------------------------

@test "cgroups: a pids limit of 10 makes the fork of the 11th process fail inside the container" {
	requires root cgroup_controller=pids
	update_config '.linux.resources.pids = { limit: 10 }'
	# init (1 process) forks sleeps until a fork fails; ash exits on "can't fork"
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'exec 2>/err; i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i + 1)); echo $i > /started; done; echo yes > /finished'
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped 10
	assert_file_not_exists "$BUNDLE/rootfs/finished"
	# 9 sleeps + init = 10 processes; the 10th fork (the 11th process) failed
	assert_equal "$(cat "$BUNDLE/rootfs/started")" 9
	run cat "$BUNDLE/rootfs/err"
	assert_output --partial "can't fork"
}

@test "cgroups: a process allocating past the memory limit is OOM-killed and events reports it" {
	requires root cgroup_controller=memory
	start_oom_container
	local ev="$BATS_TEST_TMPDIR/events.out"
	# (the stream must outlive the 30 s the OOM kill may take)
	BOX_CMD_TIMEOUT=50 box_bg "$ev" events --interval 200ms "$CID"
	local evpid=$BOX_BG_PID
	# the stream is running before the OOM happens
	retry 5 grep -q '"stats"' "$ev" || fail "no stats from events: $(cat "$ev")"
	touch "$BUNDLE/rootfs/go"
	wait_for_text "$BUNDLE/rootfs/rc" 30
	# SIGKILL by the OOM killer: 128 + 9
	assert_equal "$(cat "$BUNDLE/rootfs/rc")" 137
	retry 5 grep -q '"oom"' "$ev" || fail "events reported no oom: $(cat "$ev")"
	# the container itself (init) survived
	assert_equal "$(state_field "$CID" status)" running
	if mp="$(cgroup_v1_mount memory)"; then
		grep -Eq '^oom_kill [1-9]' "$mp/box/$CID/memory.oom_control" ||
			fail "memory.oom_control: $(cat "$mp/box/$CID/memory.oom_control")"
	fi
	box kill "$CID" KILL
	retry 5 _pid_gone "$evpid" || fail "events did not end after the container stopped"
	wait "$evpid" || true
	run jq -c 'select(.type == "oom") | [.type, .id]' "$ev"
	assert_success
	assert_line "[\"oom\",\"$CID\"]"
}

# -----------------------------------------------------------------------------
# Cleanup
# -----------------------------------------------------------------------------

@test "cgroups: delete (stopped, created, --force running with limits) and run leave no cgroup in any hierarchy" {
	requires root
	# stopped, then delete
	start_container
	assert_placed "$(container_pid "$CID")" "/box/$CID"
	box kill "$CID" KILL
	wait_for_status "$CID" stopped
	box delete "$CID"
	assert_no_cgroup "/box/$CID"

	# created, then delete --force
	create_container "$CID-c"
	assert_placed "$(container_pid "$CID-c")" "/box/$CID-c"
	box delete --force "$CID-c"
	assert_no_cgroup "/box/$CID-c"

	# running with limits, then delete --force
	update_config '.linux.resources += { memory: { limit: 67108864 }, pids: { limit: 20 } }'
	start_container "$CID-f"
	box delete --force "$CID-f"
	assert_no_cgroup "/box/$CID-f"

	# run in the foreground
	set_args true
	run box run --bundle "$BUNDLE" "$CID-r"
	assert_success
	assert_no_cgroup "/box/$CID-r"
	assert_nothing_left
}

# -----------------------------------------------------------------------------
# features
# -----------------------------------------------------------------------------

@test "cgroups: features reports the cgroup mode and controllers" {
	local want
	if [[ "$(stat -f -c %T /sys/fs/cgroup)" == cgroup2* ]]; then
		want=v2
	elif [[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" == cgroup2* ]]; then
		want=hybrid
	else
		want=v1
	fi
	run box features
	assert_success
	assert_equal "$(jq -r '.annotations["org.box.cgroup.mode"]' <<<"$output")" "$want"
	local ctrls c
	ctrls="$(jq -r '.annotations["org.box.cgroup.controllers"] | fromjson | .[]' <<<"$output")" ||
		fail "org.box.cgroup.controllers is not a JSON array: $output"
	for c in memory pids cpu; do
		if cgroup_v1_mount "$c" >/dev/null || cgroup_v2_has "$c"; then
			grep -qx "$c" <<<"$ctrls" || fail "controller $c missing from features: $ctrls"
		fi
	done
}

# -----------------------------------------------------------------------------
# Bad input
# -----------------------------------------------------------------------------

@test "cgroups: an unknown device type and negative limits are rejected naming the field" {
	assert_create_rejected 'linux.resources.devices[1].type' \
		'.linux.resources.devices = [{ allow: false, access: "rwm" }, { allow: true, type: "x", major: 7, minor: 0, access: "r" }]'
	assert_create_rejected 'linux.devices[0].type' \
		'.linux.devices = [{ path: "/dev/foo", type: "x", major: 7, minor: 0 }]'
	assert_create_rejected 'linux.resources.memory.limit' '.linux.resources.memory = { limit: -5 }'
	assert_create_rejected 'linux.resources.memory.reservation' '.linux.resources.memory = { reservation: -2 }'
	assert_create_rejected 'linux.resources.memory.swap' '.linux.resources.memory = { swap: -7 }'
	assert_create_rejected 'linux.resources.pids.limit' '.linux.resources.pids = { limit: -5 }'
	assert_create_rejected 'linux.resources.cpu.quota' '.linux.resources.cpu = { quota: -5 }'
	assert_create_rejected 'linux.resources.cpu.shares' '.linux.resources.cpu = { shares: -1 }'
	assert_create_rejected 'linux.resources.cpu.period' '.linux.resources.cpu = { period: -1 }'
	assert_nothing_left
}

@test "cgroups: a linux.cgroupsPath with .. or the systemd form (no systemd here) is rejected, creating nothing" {
	assert_create_rejected 'linux.cgroupsPath' ".linux.cgroupsPath = \"../escape-$CID\""
	assert_create_rejected 'linux.cgroupsPath' ".linux.cgroupsPath = \"/box/../../escape-$CID\""
	assert_no_cgroup "/escape-$CID"
	assert_no_cgroup "escape-$CID"
	assert_nothing_left
	[[ ! -d /run/systemd/system ]] || skip "requires a host without systemd (for the systemd form)"
	assert_create_rejected 'linux.cgroupsPath' ".linux.cgroupsPath = \"system.slice:box:$CID\""
	run --separate-stderr box --systemd-cgroup create --bundle "$BUNDLE" "$CID"
	assert_box_error 'systemd'
	assert_nothing_left
}

@test "cgroups: rootless without a delegated cgroup: a limit is a clear error, none is fine" {
	requires rootless
	local v2 own
	if v2="$(cgroup2_mount)"; then
		own="$v2$(cgroup_of "$BASHPID" v2)"
		if [[ -w "$own/cgroup.procs" ]] && grep -qw memory "$own/cgroup.controllers" 2>/dev/null; then
			skip "requires a host without a delegated cgroup v2 subtree"
		fi
	fi
	set_args true
	assert_create_rejected 'cgroup' '.linux.resources.memory = { limit: 67108864 }'
	assert_nothing_left
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_nothing_left
}

@test "cgroups: linux.resources.unified is rejected on a host without pure cgroup v2" {
	requires cgroup_v1
	assert_create_rejected 'linux.resources.unified' '.linux.resources.unified = { "memory.max": "67108864" }'
	assert_nothing_left
}

@test "cgroups: v1 resources with unified on a host without pure cgroup v2: invalid configuration, as runc" {
	requires cgroup_v1
	assert_create_rejected 'linux.resources.unified: invalid configuration' \
		'.linux.resources.pids = { limit: 5 } | .linux.resources.unified = { "pids.max": "10" }'
	assert_nothing_left
	if command -v runc >/dev/null && ! is_rootless; then
		run runc --root "$BATS_TEST_TMPDIR/runc" create --bundle "$BATS_TEST_TMPDIR/bad" "$CID-runc"
		assert_failure
		assert_output --partial "invalid configuration"
	fi
}

@test "cgroups: creating into a cgroup that is not empty warns and goes on, as runc 1.1" {
	requires root
	update_config ".linux.cgroupsPath = \"/boxtest-abs-$CID\""
	create_container "$CID-first"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_success
	# runc 1.1.5 here: "container's cgroup is not empty: 1 process(es) found"
	assert_equal "${#stderr_lines[@]}" 1
	[[ "$stderr" == *"container's cgroup is not empty: 1 process(es) found"* ]] || fail "no warning: $stderr"
	assert_equal "$(state_field "$CID" status)" created
	assert_placed "$(container_pid "$CID")" "/boxtest-abs-$CID"
}

@test "cgroups: creating into a frozen cgroup is refused instead of hanging" {
	requires root
	update_config ".linux.cgroupsPath = \"/boxtest-abs-$CID\""
	start_container "$CID-first"
	box pause "$CID-first" || fail "pause failed"
	# runc 1.1.5 here: "container's cgroup unexpectedly frozen"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "container's cgroup"
	[[ "$stderr" == *"is frozen"* ]] || fail "expected 'is frozen': $stderr"
	run box state "$CID"
	assert_failure
	# the paused container and its cgroup are as they were
	assert_equal "$(state_field "$CID-first" status)" paused
	assert_placed "$(container_pid "$CID-first")" "/boxtest-abs-$CID"
	box resume "$CID-first"
}

# ---------------------------------------------------------------------------
# Zero means unset (issue 12): engines send 0 for every limit the user did not
# give, and runc writes none of them. Each test runs the same config with runc
# (where installed) and compares every limit file.
# ---------------------------------------------------------------------------

# assert_default_limits: the container's limit files hold the kernel's
# defaults (as far as this test can tell them), and runc, given the same
# config, leaves the same values.
assert_default_limits() {
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$stderr" ""
	local values mp
	values="$(limit_values "/box/$CID")"
	if mp="$(cgroup_v1_mount cpu)"; then
		grep -qxF "${mp##*/}/cpu.shares 1024 " <<<"$values" || fail "cpu.shares is not 1024: $values"
		grep -qxF "${mp##*/}/cpu.cfs_quota_us -1 " <<<"$values" || fail "a cpu quota was set: $values"
	fi
	if cgroup_v2_has cpu; then
		grep -qxF "$(basename "$(cgroup2_mount)")/cpu.weight 100 " <<<"$values" || fail "cpu.weight is not 100: $values"
	fi
	if mp="$(cgroup_v1_mount memory)"; then
		grep -qxF "${mp##*/}/memory.limit_in_bytes $(cat "$mp/memory.limit_in_bytes") " <<<"$values" ||
			fail "a memory limit was set: $values"
		grep -qF "oom_kill_disable 0" "$mp/box/$CID/memory.oom_control" || fail "the OOM killer was disabled"
	fi
	if mp="$(cgroup_v1_mount pids)"; then
		grep -qxF "${mp##*/}/pids.max max " <<<"$values" || fail "a pids limit was set: $values"
	fi
	if runc_available; then
		runc_bg create --bundle "$(runc_bundle)" "$CID-runc"
		assert_equal "$(limit_values "/boxtest-runc-$CID")" "$values"
	fi
}

@test "cgroups: Docker's plain-run resources create fine and leave every limit at its default, as runc" {
	requires root
	update_config '.linux.resources = {
		devices: .linux.resources.devices,
		memory: { disableOOMKiller: false }, cpu: { shares: 0 }, blockIO: { weight: 0 } }'
	assert_default_limits
}

@test "cgroups: every 0 (and empty cpus/mems) that runc ignores is ignored, as runc" {
	requires root
	update_config '.linux.resources += {
		memory: { limit: 0, reservation: 0, swap: 0, kernel: 0, kernelTCP: 0, disableOOMKiller: false },
		cpu: { shares: 0, quota: 0, period: 0, realtimeRuntime: 0, realtimePeriod: 0, cpus: "", mems: "" },
		blockIO: { weight: 0, leafWeight: 0, weightDevice: [{ major: 8, minor: 0, weight: 0, leafWeight: 0 }] },
		pids: { limit: 0 } }'
	assert_default_limits
}

@test "cgroups: device rules take every access string runc takes (its r, w and m, any order, repeated); one without r, w or m is rejected" {
	requires root
	update_config '.linux.resources.devices += [
		{ allow: true, type: "c", major: 1, minor: 11, access: "rwa" },
		{ allow: true, type: "b", major: 7, minor: 1, access: "mrw" },
		{ allow: true, type: "c", major: 1, minor: 12, access: "wr" },
		{ allow: true, type: "c", major: 1, minor: 14, access: "mmwrr" },
		{ allow: true, type: "c", major: 1, minor: 15, access: "m" }]'
	create_container
	local mp list rule rules=('c 1:11 rw' 'b 7:1 rwm' 'c 1:12 rw' 'c 1:14 rwm' 'c 1:15 m')
	if mp="$(cgroup_v1_mount devices)"; then
		list="$(cat "$mp/box/$CID/devices.list")"
		for rule in "${rules[@]}"; do
			grep -qxF "$rule" <<<"$list" || fail "devices.list lacks '$rule': $list"
		done
		if runc_available; then
			runc_bg create --bundle "$(runc_bundle)" "$CID-runc"
			list="$(cat "$mp/boxtest-runc-$CID/devices.list")"
			for rule in "${rules[@]}"; do
				grep -qxF "$rule" <<<"$list" || fail "runc's devices.list lacks '$rule': $list"
			done
		fi
	fi
	box delete "$CID"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	local access n
	for access in "" x RWM; do
		cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
		update_config ".linux.resources.devices += [{ allow: false, type: \"c\", major: 1, minor: 13, access: \"$access\" }]"
		n="$(jq '.linux.resources.devices | length - 1' "$BUNDLE/config.json")"
		if [[ -n "$access" ]] && runc_available; then
			rm -rf "$BATS_TEST_TMPDIR/runc-bundle"
			run --separate-stderr runc_ref run --bundle "$(runc_bundle "/boxtest-runc2-$CID")" "$CID-runc2"
			[[ "$status" -ne 0 ]] || fail "runc ran with device access \"$access\""
		fi
		run --separate-stderr box create --bundle "$BUNDLE" "$CID"
		if [[ -z "$access" ]]; then
			assert_box_error "linux.resources.devices[$n].access: must not be empty"
		else
			assert_box_error "linux.resources.devices[$n].access: \"$access\" has none of r, w and m"
		fi
		assert_nothing_left
	done
}

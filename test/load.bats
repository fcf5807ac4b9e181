#!/usr/bin/env bats
# Robustness under load (issue 8): many containers at once, and many short
# lifecycles in a row, leave nothing behind: no mount, cgroup, state
# directory, process or file descriptor.
#
# Environment:
#   BOX_LOAD_CONTAINERS  concurrent containers (default 50)
#   BOX_LOAD_PARALLEL    box invocations launched at once (default 10)
#   BOX_LOAD_CYCLES      sequential create/start/delete cycles (default 200)

load helpers

BOX_LOAD_CONTAINERS="${BOX_LOAD_CONTAINERS:-50}"
BOX_LOAD_PARALLEL="${BOX_LOAD_PARALLEL:-10}"
BOX_LOAD_CYCLES="${BOX_LOAD_CYCLES:-200}"
# each test here runs hundreds of box commands: more than the default limit
# shellcheck disable=SC2034 # read by bats
BATS_TEST_TIMEOUT=180

setup() {
	box_setup
	setup_bundle
	MOUNT_TABLE="$BATS_TEST_TMPDIR/.mount-table"
	cp /proc/self/mountinfo "$MOUNT_TABLE"
}

teardown() {
	box_teardown
}

# in_batches CMD ID...: runs `CMD ID` for every ID, BOX_LOAD_PARALLEL at a
# time in the background. Each one's stdout and stderr go to
# $BATS_TEST_TMPDIR/out/ID.CMDNAME; its exit status to .../ID.CMDNAME.rc.
# Fails the test naming every ID whose CMD failed.
in_batches() {
	local cmd="$1" name="${1#load_}"
	shift
	mkdir -p "$BATS_TEST_TMPDIR/out"
	local -a ids=("$@") pids=() failed=()
	local i j id rc
	for ((i = 0; i < ${#ids[@]}; i += BOX_LOAD_PARALLEL)); do
		pids=()
		for ((j = i; j < i + BOX_LOAD_PARALLEL && j < ${#ids[@]}; j++)); do
			id="${ids[j]}"
			"$cmd" "$id" >"$BATS_TEST_TMPDIR/out/$id.$name" 2>&1 </dev/null &
			pids+=($!)
		done
		for ((j = 0; j < ${#pids[@]}; j++)); do
			id="${ids[i + j]}"
			rc=0
			wait "${pids[j]}" || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/out/$id.$name.rc"
			((rc == 0)) || failed+=("$id (exit $rc: $(head -c 300 "$BATS_TEST_TMPDIR/out/$id.$name"))")
		done
	done
	((${#failed[@]} == 0)) || fail "$(printf '%s failed for %d of %d containers:\n' "$name" "${#failed[@]}" "${#ids[@]}"; printf '  %s\n' "${failed[@]}")"
}

load_run() {
	box run -d --bundle "$BUNDLE" "$1"
}

# prints "ID PIDNS" from inside the container: the pid namespace tells which
# container the exec landed in
load_exec() {
	box exec "$1" sh -c 'echo "$1 $(readlink /proc/self/ns/pid)"' sh "$1"
}

load_delete() {
	box delete --force "$1"
}

@test "load: $BOX_LOAD_CONTAINERS containers run -d concurrently, exec into each, delete all: nothing left" {
	local -a ids=()
	local i id start=$SECONDS
	for ((i = 1; i <= BOX_LOAD_CONTAINERS; i++)); do
		ids+=("$CID-$i")
	done
	echo "containers: ${#ids[@]}, $BOX_LOAD_PARALLEL at a time"

	in_batches load_run "${ids[@]}"
	echo "run -d: $((SECONDS - start)) s"

	# every state is readable and says running, with an init of its own
	local -A pid_of=() seen=()
	local pid st
	for id in "${ids[@]}"; do
		run --separate-stderr box state "$id"
		[[ "$status" -eq 0 ]] || fail "state $id: exit $status: $stderr"
		st="$(jq -r .status <<<"$output")" || fail "state $id is not JSON: $output"
		pid="$(jq -r .pid <<<"$output")"
		assert_equal "$id: $st" "$id: running"
		pid_alive "$pid" || fail "init $pid of $id is not alive"
		[[ -z "${seen[$pid]:-}" ]] || fail "$id and ${seen[$pid]} both have init $pid"
		seen[$pid]="$id"
		pid_of[$id]="$pid"
	done

	# list agrees, and has nothing else
	run --separate-stderr box list --format json
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r '.[] | "\(.id) \(.status) \(.pid)"' <<<"$output" | sort)" \
		"$(for id in "${ids[@]}"; do echo "$id running ${pid_of[$id]}"; done | sort)"

	start=$SECONDS
	in_batches load_exec "${ids[@]}"
	echo "exec: $((SECONDS - start)) s"
	local want got
	for id in "${ids[@]}"; do
		want="$id $(readlink "/proc/${pid_of[$id]}/ns/pid")"
		got="$(cat "$BATS_TEST_TMPDIR/out/$id.exec")"
		assert_equal "$got" "$want"
	done

	start=$SECONDS
	in_batches load_delete "${ids[@]}"
	echo "delete: $((SECONDS - start)) s"

	run --separate-stderr box list --quiet
	assert_success
	assert_output ""
	for id in "${ids[@]}"; do
		wait_for_pid_gone "${pid_of[$id]}"
	done
	assert_nothing_left
	assert_mount_table_unchanged "$MOUNT_TABLE"
	local left
	left="$(box_pids_for_root)"
	[[ -z "$left" ]] || fail "box processes left: $left"
}

@test "load: rounds of 20 concurrent run -d then 20 concurrent delete --force, racing on the shared /box cgroup" {
	# Every round starts with no /box: the creates race to make it (on v1 a
	# fresh cpuset is empty until filled in, and takes no process), and the
	# last deletes remove it while others may still walk into it.
	local -a ids=()
	local round i BOX_LOAD_PARALLEL=20
	for ((round = 1; round <= 5; round++)); do
		ids=()
		for ((i = 1; i <= 20; i++)); do
			ids+=("$CID-r$round-$i")
		done
		in_batches load_run "${ids[@]}"
		in_batches load_delete "${ids[@]}"
	done
	run --separate-stderr box list --quiet
	assert_success
	assert_output ""
	assert_nothing_left
}

@test "load: $BOX_LOAD_CYCLES sequential create/start/delete cycles leak no fd, mount or process" {
	set_args /bin/true
	local me="$BASHPID" fds="$BATS_TEST_TMPDIR/fds" cycle start end
	# (into the same file both times: the listing includes the redirection)
	fd_list "$me" >"$fds"
	mv "$fds" "$fds.before"
	start="${EPOCHREALTIME/./}"
	# box_raw: this (long-lived) test process is box's direct parent
	for ((cycle = 1; cycle <= BOX_LOAD_CYCLES; cycle++)); do
		box_raw create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null ||
			fail "cycle $cycle: create failed"
		box_raw start "$CID" || fail "cycle $cycle: start failed"
		box_raw delete --force "$CID" || fail "cycle $cycle: delete failed"
	done
	end="${EPOCHREALTIME/./}"
	local ms=$(((end - start) / 1000))
	echo "$BOX_LOAD_CYCLES cycles: $ms ms ($((ms / BOX_LOAD_CYCLES)) ms each)"
	# shown in the TAP output too: the cost of a lifecycle is worth watching
	echo "# $BOX_LOAD_CYCLES create/start/delete cycles: $ms ms" >&3

	fd_list "$me" >"$fds"
	mv "$fds" "$fds.after"
	assert_equal "$(cat "$fds.after")" "$(cat "$fds.before")"
	assert_equal "$(box_root_ids)" ""
	assert_nothing_left
	assert_mount_table_unchanged "$MOUNT_TABLE"
	local left
	left="$(box_pids_for_root)"
	[[ -z "$left" ]] || fail "box processes left: $left"
	# no zombie children either: box reaps what it forks
	left="$(ps -o pid=,stat= --ppid "$me" | awk '$2 ~ /^Z/')" || true
	[[ -z "$left" ]] || fail "zombie children of the test process: $left"
}

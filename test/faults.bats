#!/usr/bin/env bats
# Faults (issue 8): box killed with SIGKILL at random points, an unwritable
# or full --root, and broken state files. Afterwards `state` and `list` still
# work (or say clearly what is wrong), `delete --force` cleans up, and
# nothing is left behind.
#
# Environment:
#   BOX_FAULT_SEED        seed for the random kill delays (default: random;
#                         every test prints the one it used)
#   BOX_FAULT_ITERATIONS  kills per command (default 10)
#   BOX_FAULT_MAX_MS      longest delay before the kill, in ms (default 30)

load helpers

BOX_FAULT_ITERATIONS="${BOX_FAULT_ITERATIONS:-10}"
BOX_FAULT_MAX_MS="${BOX_FAULT_MAX_MS:-30}"

setup() {
	box_setup
	setup_bundle
	FAULT_MOUNTS=()
}

teardown() {
	local m
	for m in "${FAULT_MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null || true
	done
	box_teardown
}

# seed_random: seeds $RANDOM from BOX_FAULT_SEED or at random, and prints
# the seed (shown when the test fails).
# (Loop counters here are not called i: bats 1.8's `run --separate-stderr`
# sets a global i.)
seed_random() {
	local seed="${BOX_FAULT_SEED:-$(((RANDOM << 15) | RANDOM))}"
	echo "random seed: $seed (rerun with BOX_FAULT_SEED=$seed)"
	RANDOM="$seed"
}

# kill_box_after MS ARGS...: runs box ARGS in the background and SIGKILLs it
# after MS milliseconds (unless it finished already). Prints what happened.
kill_box_after() {
	local ms="$1" pid rc=0
	shift
	record_ids "$@"
	"$BOX_BIN" --root "$BOX_ROOT" "$@" </dev/null >>"$BATS_TEST_TMPDIR/killed.out" 2>&1 3>&- &
	pid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	if ((rc == 137)); then
		echo "  box $* killed after $ms ms"
	else
		echo "  box $* finished (exit $rc) before the kill at $ms ms"
	fi
}

# assert_clean_exit [ALLOWED...]: after `run --separate-stderr box ...`: no
# crash (signal), no hang (timeout's 124), and either success or a one-line
# "box: ..." error containing one of ALLOWED.
assert_clean_exit() {
	((status != 124)) || fail "box hung (killed by timeout after ${BOX_CMD_TIMEOUT}s)"
	((status < 128)) || fail "box crashed: exit status $status, stderr: $stderr"
	((status == 0)) && return 0
	((status == 1)) || fail "exit status $status (want 0 or 1), stderr: $stderr"
	[[ ${#stderr_lines[@]} -eq 1 && "$stderr" == "box: "* ]] ||
		fail "$(printf 'want one "box: ..." line on stderr, got:\n%s' "$stderr")"
	local a
	for a in "$@"; do
		[[ "$stderr" != *"$a"* ]] || return 0
	done
	fail "$(printf 'unexpected error: %s\n(want one of: %s)' "$stderr" "$*")"
}

# assert_recovers ID: after a killed box command on ID, state and list work,
# delete --force cleans up, and nothing is left.
assert_recovers() {
	local id="$1"
	run --separate-stderr box state "$id"
	assert_clean_exit "container \"$id\" does not exist" "container \"$id\""
	if ((status == 0)); then
		jq -e --arg id "$id" '.id == $id and (.status | IN("creating", "created", "running", "paused", "stopped"))' \
			<<<"$output" >/dev/null || fail "state $id: unexpected state: $output"
		echo "  state: $(jq -r .status <<<"$output")"
	else
		echo "  state: $stderr"
	fi

	run --separate-stderr box list
	assert_clean_exit
	assert_success
	run --separate-stderr box list --format json
	assert_clean_exit
	assert_success
	jq -e 'type == "array"' <<<"$output" >/dev/null || fail "list --format json: not an array: $output"

	run --separate-stderr box delete --force "$id"
	assert_clean_exit "container \"$id\" does not exist"
	assert_dir_not_exists "$BOX_ROOT/$id"
	run --separate-stderr box list --quiet
	assert_success
	assert_output ""
	assert_nothing_left
}

# random_ms: a delay between 0 and BOX_FAULT_MAX_MS ms
random_ms() {
	echo $((RANDOM % (BOX_FAULT_MAX_MS + 1)))
}

@test "faults: box create SIGKILLed at random points: state and list work, delete --force cleans up" {
	seed_random
	local iter ms id
	for ((iter = 1; iter <= BOX_FAULT_ITERATIONS; iter++)); do
		id="$CID-$iter"
		ms="$(random_ms)"
		echo "iteration $iter:"
		kill_box_after "$ms" create --bundle "$BUNDLE" "$id"
		assert_recovers "$id"
	done
}

@test "faults: box start SIGKILLed at random points: state and list work, delete --force cleans up" {
	seed_random
	local iter ms id
	for ((iter = 1; iter <= BOX_FAULT_ITERATIONS; iter++)); do
		id="$CID-$iter"
		ms="$(random_ms)"
		echo "iteration $iter:"
		create_container "$id"
		kill_box_after "$ms" start "$id"
		assert_recovers "$id"
	done
}

# All kills go to execs into one container: deleting a container with exec'd
# processes left in it waits for them to be reaped by the host's init, which
# is slow on some hosts (seconds, not milliseconds).
@test "faults: box exec SIGKILLed at random points: state and list work, delete --force cleans up" {
	seed_random
	local iter ms
	start_container
	for ((iter = 1; iter <= BOX_FAULT_ITERATIONS; iter++)); do
		ms="$(random_ms)"
		echo "iteration $iter:"
		kill_box_after "$ms" exec "$CID" sh -c 'echo started; exec sleep 1000'
		# the container itself is unharmed
		run --separate-stderr box state "$CID"
		assert_success
		assert_equal "$(jq -r .status <<<"$output")" running
		run --separate-stderr box list --format json
		assert_success
		assert_equal "$(jq -r '.[].id' <<<"$output")" "$CID"
		run box exec "$CID" echo still here
		assert_success
		assert_output "still here"
	done
	assert_recovers "$CID"
}

@test "faults: box delete SIGKILLed at random points: state and list work, delete --force cleans up" {
	seed_random
	local iter ms id
	for ((iter = 1; iter <= BOX_FAULT_ITERATIONS; iter++)); do
		id="$CID-$iter"
		ms="$(random_ms)"
		echo "iteration $iter:"
		start_container "$id"
		# half the time a plain delete of a stopped container
		if ((RANDOM % 2)); then
			kill_box_after "$ms" delete --force "$id"
		else
			box kill "$id" KILL
			wait_for_status "$id" stopped
			kill_box_after "$ms" delete "$id"
		fi
		assert_recovers "$id"
	done
}

# --- unwritable or full --root ------------------------------------------------

# assert_root_refused ROOT MESSAGE: create and run -d with --root ROOT fail
# with one line containing MESSAGE, list still works, and nothing is left.
assert_root_refused() {
	local root="$1" msg="$2" cmd
	for cmd in create "run -d"; do
		# shellcheck disable=SC2086 # cmd is two words on purpose
		BOX_ROOT="$root" run --separate-stderr box $cmd --bundle "$BUNDLE" "$CID"
		assert_box_error "$msg"
	done
	BOX_ROOT="$root" run --separate-stderr box list --quiet
	assert_success
	assert_output ""
	BOX_ROOT="$root" run --separate-stderr box state "$CID"
	assert_box_error "container \"$CID\" does not exist"
	assert_nothing_left
}

# ro_tmpfs DIR: mounts a read-only tmpfs on DIR (unmounted in teardown) and
# takes it into the mount snapshot.
ro_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o ro,size=64k,mode=0755 tmpfs "$1" || fail "cannot mount a tmpfs on $1"
	FAULT_MOUNTS+=("$1")
	cp /proc/self/mountinfo "$MOUNTS_SNAPSHOT"
}

@test "faults: read-only --root: clear error, nothing left" {
	requires root
	local ro="$BATS_TEST_TMPDIR/ro"
	ro_tmpfs "$ro"
	assert_root_refused "$ro" "cannot create state directory \"$ro/$CID\": Read-only file system"
}

@test "faults: --root that does not exist below a read-only mount: clear error, nothing left" {
	requires root
	local ro="$BATS_TEST_TMPDIR/ro"
	ro_tmpfs "$ro"
	assert_root_refused "$ro/state" "cannot create state root \"$ro/state\": Read-only file system"
}

@test "faults: --root with mode 0500 (rootless): clear error, nothing left" {
	requires rootless
	local dir="$BATS_TEST_TMPDIR/unwritable"
	mkdir -m 0500 "$dir"
	assert_root_refused "$dir" "cannot create state directory \"$dir/$CID\": Permission denied"
}

@test "faults: full disk under --root: clear error, nothing left" {
	requires root
	local full="$BATS_TEST_TMPDIR/full"
	mkdir -p "$full"
	# room for one container's state files (a page each on tmpfs) once the filler is gone
	mount -t tmpfs -o size=32k,mode=0700 tmpfs "$full" || fail "cannot mount a tmpfs on $full"
	FAULT_MOUNTS+=("$full")
	cp /proc/self/mountinfo "$MOUNTS_SNAPSHOT"
	# fill it up
	dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null || true
	[[ "$(stat -f -c %a "$full")" -eq 0 ]] || fail "could not fill $full"

	local cmd
	for cmd in create "run -d"; do
		# shellcheck disable=SC2086 # cmd is two words on purpose
		BOX_ROOT="$full" run --separate-stderr box $cmd --bundle "$BUNDLE" "$CID"
		assert_box_error "No space left on device"
		assert_equal "$(ls -A "$full")" filler
	done
	BOX_ROOT="$full" run --separate-stderr box list --quiet
	assert_success
	assert_output ""
	assert_nothing_left

	# with room again, the same root works
	rm "$full/filler"
	BOX_ROOT="$full" run box run -d --bundle "$BUNDLE" "$CID"
	assert_success
	BOX_ROOT="$full" run box delete --force "$CID"
	assert_success
	assert_nothing_left
}

# --- broken state files ---------------------------------------------------------

# break_state ID HOW: damages ID's state.json: truncated, empty, garbage
# (binary), text, wrong-json (valid JSON of the wrong shape), other-id.
break_state() {
	local f="$BOX_ROOT/$1/state.json"
	[[ -f "$f" ]] || fail "no $f"
	case "$2" in
	truncated) truncate -s "$(($(stat -c %s "$f") / 2))" "$f" ;;
	empty) : >"$f" ;;
	garbage) printf '\xff\xfe\x00\x01garbage\x00' >"$f" ;;
	text) echo 'this is not a state file' >"$f" ;;
	wrong-json) echo '[1, 2, 3]' >"$f" ;;
	other-id) jq -c '.id = "someone-else"' "$f" >"$f.tmp" && mv "$f.tmp" "$f" ;;
	*) fail "break_state: unknown damage $2" ;;
	esac
}

# assert_broken_state_handled HOW [GLOBAL-OPTS...]: three running containers,
# the middle one's state file damaged (HOW, see break_state): `state` of it
# fails with one clear line, `list` still lists the others and warns about
# it, `delete --force` removes it (and kills its process), nothing is left.
assert_broken_state_handled() {
	local how="$1" good1="$CID-a" bad="$CID-b" good2="$CID-c" id
	shift
	for id in "$good1" "$bad" "$good2"; do
		start_container "$id"
	done
	local bad_pid
	bad_pid="$(container_pid "$bad")"
	break_state "$bad" "$how"

	run --separate-stderr box "$@" state "$bad"
	assert_box_error "container \"$bad\""
	assert_regex "$stderr" 'corrupt|invalid|broken'
	# the others are fine
	run --separate-stderr box "$@" state "$good1"
	assert_success

	run --separate-stderr box "$@" list
	assert_success
	assert_line --regexp "^$good1 +[0-9]+ +running "
	assert_line --regexp "^$good2 +[0-9]+ +running "
	[[ "$stderr" == *"\"$bad\""* ]] || fail "list gives no warning about $bad: stderr: $stderr"
	[[ "$stderr" != *"\"$good1\""* && "$stderr" != *"\"$good2\""* ]] || fail "list warns about good containers: $stderr"

	run --separate-stderr box "$@" list --format json
	assert_success
	assert_equal "$(jq -r '.[] | select(.status == "running") | .id' <<<"$output" | sort)" \
		"$(printf '%s\n' "$good1" "$good2")"

	run --separate-stderr box "$@" delete --force "$bad"
	assert_success
	assert_dir_not_exists "$BOX_ROOT/$bad"
	wait_for_pid_gone "$bad_pid"
	run --separate-stderr box "$@" state "$bad"
	assert_box_error "container \"$bad\" does not exist"

	# the others are untouched
	assert_equal "$(state_field "$good1" status) $(state_field "$good2" status)" "running running"
	for id in "$good1" "$good2"; do
		box delete --force "$id"
	done
	assert_nothing_left
}

@test "faults: truncated state file: clear error from state, list lists the others, delete --force removes it" {
	assert_broken_state_handled truncated
}

@test "faults: empty state file: clear error from state, list lists the others, delete --force removes it" {
	assert_broken_state_handled empty
}

@test "faults: state file with binary garbage: clear error, list lists the others, delete --force removes it" {
	assert_broken_state_handled garbage
}

@test "faults: state file with text garbage: clear error, list lists the others, delete --force removes it" {
	assert_broken_state_handled text
}

@test "faults: state file with JSON of the wrong shape: clear error, list lists the others, delete --force removes it" {
	assert_broken_state_handled wrong-json
}

@test "faults: state file naming another id: clear error, list lists the others, delete --force removes it" {
	assert_broken_state_handled other-id
}

@test "faults: state file with binary garbage, --log-format json (as engines call box): clear error, no crash" {
	local log="$BATS_TEST_TMPDIR/box.log"
	assert_broken_state_handled garbage --log "$log" --log-format json
	# every line of the log is JSON
	run jq -e -s 'length > 0' "$log"
	assert_success
}

#!/usr/bin/env bats
# OCI hooks: prestart, createRuntime, createContainer, startContainer,
# poststart, poststop. Each hook is a small sh script that appends
# "KIND STATUS" (status from the state JSON on its stdin) to a log at the top
# of the container's rootfs, and keeps the state JSON and its namespaces next
# to it. startContainer runs after pivot_root, so its script (and log path)
# live inside the rootfs; every other hook runs a script from the host.

load helpers

setup() {
	box_setup
	setup_bundle
	HOOKS="$BATS_TEST_TMPDIR/hooks"
	mkdir -p "$HOOKS" "$BUNDLE/rootfs/hooks"
	LOG="$BUNDLE/rootfs/hooks.log"
	# args: LOG KIND. Runs with /bin/sh of the host or of the container.
	cat >"$HOOKS/record" <<'EOF'
#!/bin/sh
log=$1 kind=$2
state=$(cat)
status=$(printf '%s' "$state" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
printf '%s\n' "$state" >"$log.$kind.json"
for ns in mnt pid net uts ipc; do
	echo "$ns $(readlink /proc/self/ns/$ns)"
done >"$log.$kind.ns"
echo "$kind $status" >>"$log"
EOF
	chmod 0755 "$HOOKS/record"
	cp "$HOOKS/record" "$BUNDLE/rootfs/hooks/record"
	set_args sh -c 'echo process >> /hooks.log; exec sleep 1000'
}

teardown() {
	box_teardown
}

# hook_json PATH [ARG...]: a hook object with args [PATH, ARG...].
hook_json() {
	local path="$1"
	shift
	jq -cn --arg p "$path" '{path: $p, args: ([$p] + $ARGS.positional)}' --args -- "$@"
}

# add_hook KIND HOOK-JSON: appends a hook to hooks.KIND.
add_hook() {
	update_config ".hooks.$1 += [$2]"
}

# add_recorder KIND: the recording hook for KIND.
add_recorder() {
	local kind="$1"
	if [[ "$kind" == startContainer ]]; then
		add_hook "$kind" "$(hook_json /hooks/record /hooks.log "$kind")"
	else
		add_hook "$kind" "$(hook_json "$HOOKS/record" "$LOG" "$kind")"
	fi
}

add_all_recorders() {
	local kind
	for kind in prestart createRuntime createContainer startContainer poststart poststop; do
		add_recorder "$kind"
	done
}

log_lines() {
	cat "$LOG" 2>/dev/null || true
}

# count KIND: how often the hook of KIND ran.
count() {
	if [[ -f "$LOG" ]]; then
		grep -c "^$1 " "$LOG" || true
	else
		echo 0
	fi
}

# line_no PATTERN: line number of the first log line matching PATTERN.
line_no() {
	grep -n -m1 -- "$1" "$LOG" | cut -d: -f1
}

# script NAME BODY: writes an executable sh script $HOOKS/NAME.
script() {
	printf '#!/bin/sh\n%s\n' "$2" >"$HOOKS/$1"
	chmod 0755 "$HOOKS/$1"
	echo "$HOOKS/$1"
}

# ---------------------------------------------------------------------------
# When the hooks run, and what they get
# ---------------------------------------------------------------------------

@test "hooks: create runs prestart, createRuntime, createContainer once, in order, with status creating" {
	add_all_recorders
	create_container
	assert_equal "$(log_lines)" "$(printf 'prestart creating\ncreateRuntime creating\ncreateContainer creating')"
}

@test "hooks: start runs startContainer (status created) before the process, and poststart (status running) before it returns" {
	add_all_recorders
	create_container
	box start "$CID" || fail "start failed"
	# poststart has run when start returns
	assert_equal "$(count poststart)" 1
	grep -qx 'poststart running' "$LOG" || fail "poststart log: $(log_lines)"
	retry 5 grep -qx process "$LOG" || fail "the process did not start: $(log_lines)"
	grep -qx 'startContainer created' "$LOG" || fail "startContainer log: $(log_lines)"
	(($(line_no '^startContainer ') < $(line_no '^process$'))) ||
		fail "startContainer did not run before the process: $(log_lines)"
	(($(line_no '^createContainer ') < $(line_no '^startContainer '))) ||
		fail "startContainer ran before createContainer: $(log_lines)"
	assert_equal "$(count startContainer)" 1
	assert_equal "$(count poststop)" 0
}

@test "hooks: delete runs poststop (status stopped) before it returns; every hook ran exactly once" {
	add_all_recorders
	start_container
	retry 5 grep -qx process "$LOG" || fail "the process did not start"
	box kill "$CID" KILL || fail "kill failed"
	wait_for_status "$CID" stopped
	assert_equal "$(count poststop)" 0
	box delete "$CID" || fail "delete failed"
	grep -qx 'poststop stopped' "$LOG" || fail "poststop log: $(log_lines)"
	local kind
	for kind in prestart createRuntime createContainer startContainer poststart poststop; do
		assert_equal "$kind: $(count "$kind")" "$kind: 1"
	done
	assert_nothing_left
}

@test "hooks: delete --force of a running container runs poststop once" {
	add_recorder poststop
	start_container
	box delete --force "$CID" || fail "delete --force failed"
	assert_equal "$(grep -v '^process$' "$LOG")" "poststop stopped"
	assert_nothing_left
}

@test "hooks: the state JSON has the container's id, bundle, pid and annotations" {
	update_config '.annotations = {"org.example.key": "value"}'
	add_all_recorders
	start_container
	local pid kind f
	pid="$(container_pid "$CID")"
	retry 10 grep -qx "startContainer created" "$LOG" || fail "startContainer did not run"
	for kind in prestart createRuntime createContainer startContainer poststart; do
		f="$LOG.$kind.json"
		jq -e . "$f" >/dev/null || fail "$kind: not JSON: $(cat "$f")"
		assert_equal "$kind id: $(jq -r .id "$f")" "$kind id: $CID"
		assert_equal "$kind bundle: $(jq -r .bundle "$f")" "$kind bundle: $BUNDLE"
		assert_equal "$kind pid: $(jq -r .pid "$f")" "$kind pid: $pid"
		assert_equal "$kind ociVersion: $(jq -r '.ociVersion | type' "$f")" "$kind ociVersion: string"
		assert_equal "$kind annotation: $(jq -r '.annotations["org.example.key"]' "$f")" "$kind annotation: value"
	done
	box delete --force "$CID"
	assert_equal "$(jq -r .status "$LOG.poststop.json")" stopped
	assert_equal "$(jq -r .id "$LOG.poststop.json")" "$CID"
	assert_equal "poststop annotation: $(jq -r '.annotations["org.example.key"]' "$LOG.poststop.json")" \
		"poststop annotation: value"
}

@test "hooks: poststart and poststop are those of the config at create, even when the bundle changes later" {
	add_recorder poststart
	add_recorder poststop
	create_container
	# runc keeps the hooks in its state too
	update_config 'del(.hooks)'
	box start "$CID" || fail "start failed"
	box delete --force "$CID" || fail "delete --force failed"
	assert_equal "$(grep -v '^process$' "$LOG")" $'poststart running\npoststop stopped'
	assert_nothing_left
}

@test "hooks: a state larger than a pipe holds reaches the hook whole" {
	# a 200 KiB annotation: more than the 64 KiB a pipe buffers
	local big="$BATS_TEST_TMPDIR/big" path
	head -c 150000 /dev/zero | base64 -w0 >"$big"
	jq --rawfile v "$big" '.annotations = {"org.example.big": $v}' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/c.json"
	mv "$BATS_TEST_TMPDIR/c.json" "$BUNDLE/config.json"
	path="$(script whole "cat > '$BATS_TEST_TMPDIR/state.json'")"
	add_hook createRuntime "$(hook_json "$path")"
	create_container
	run jq -r '.annotations["org.example.big"] | length' "$BATS_TEST_TMPDIR/state.json"
	assert_success
	assert_output 200000
}

@test "hooks: foreground run runs all six hooks once and keeps the exit status" {
	add_all_recorders
	set_args sh -c 'echo process >> /hooks.log; exit 4'
	run -4 box run --bundle "$BUNDLE" "$CID"
	local kind
	for kind in prestart createRuntime createContainer startContainer poststart poststop; do
		assert_equal "$kind: $(count "$kind")" "$kind: 1"
	done
	assert_equal "$(grep '^poststop' "$LOG")" "poststop stopped"
	(($(line_no '^startContainer ') < $(line_no '^process$'))) || fail "order: $(log_lines)"
	(($(line_no '^process$') < $(line_no '^poststop '))) || fail "order: $(log_lines)"
	assert_nothing_left
}

@test "hooks: run -d runs the hooks up to poststart once" {
	add_all_recorders
	run box run -d --bundle "$BUNDLE" "$CID"
	assert_success
	retry 5 grep -qx process "$LOG" || fail "the process did not start: $(log_lines)"
	local kind
	for kind in prestart createRuntime createContainer startContainer poststart; do
		assert_equal "$kind: $(count "$kind")" "$kind: 1"
	done
	assert_equal "$(count poststart): $(grep '^poststart' "$LOG")" "1: poststart running"
	assert_equal "$(count poststop)" 0
}

# ns_line FILE TYPE: the recorded namespace of TYPE in a .ns file.
ns_line() {
	awk -v t="$2" '$1 == t {print $2}' "$1"
}

@test "hooks: prestart, createRuntime, poststart and poststop run in the runtime's namespaces" {
	add_all_recorders
	start_container
	box delete --force "$CID"
	local kind ns
	for kind in prestart createRuntime poststart poststop; do
		for ns in mnt pid net uts ipc; do
			assert_equal "$kind $ns: $(ns_line "$LOG.$kind.ns" "$ns")" "$kind $ns: $(ns_of $$ "$ns")"
		done
	done
}

@test "hooks: createContainer and startContainer run in the container's namespaces" {
	add_all_recorders
	start_container
	local init kind ns
	init="$(container_pid "$CID")"
	retry 10 grep -qx "startContainer created" "$LOG" || fail "startContainer did not run"
	for kind in createContainer startContainer; do
		for ns in mnt pid net uts ipc; do
			assert_equal "$kind $ns: $(ns_line "$LOG.$kind.ns" "$ns")" "$kind $ns: $(ns_of "$init" "$ns")"
		done
	done
}

@test "hooks: createContainer runs after the container's mounts are set up, before pivot_root" {
	local mounts="$BATS_TEST_TMPDIR/cc-mounts"
	add_hook createContainer "$(hook_json "$(script cc "awk '{print \$5}' /proc/self/mountinfo > '$mounts'")")"
	create_container
	assert_file_exists "$mounts"
	# the container's /proc is mounted under the rootfs, seen from the host side
	grep -qxF "$BUNDLE/rootfs/proc" "$mounts" || fail "no $BUNDLE/rootfs/proc in the hook's mounts: $(cat "$mounts")"
	grep -qxF "$BUNDLE/rootfs/dev" "$mounts" || fail "no $BUNDLE/rootfs/dev in the hook's mounts: $(cat "$mounts")"
}

@test "hooks: startContainer runs after pivot_root: its path is resolved in the container" {
	# /hooks/record exists only inside the rootfs
	[[ ! -e /hooks/record ]] || skip "/hooks/record exists on the host"
	add_recorder startContainer
	start_container
	retry 5 grep -qx 'startContainer created' "$LOG" || fail "startContainer did not run: $(log_lines)"
}

@test "hooks: args are passed with args[0] as argv0" {
	# The hook runs on the host: a host binary (the rootfs's may need a libc
	# the host lacks, as Alpine's musl busybox does). The shell's own command
	# line shows the argv0 it got.
	local out="$BATS_TEST_TMPDIR/argv.out"
	# shellcheck disable=SC2016 # expanded by the hook's shell
	add_hook createRuntime "$(jq -cn --arg o "$out" \
		'{path: "/bin/sh", args: ["hook-argv0", "-c", "{ tr \"\\\\0\" \"|\" < /proc/$$/cmdline; echo; echo \"$0|$1|$2\"; } > \($o)", "zero", "one", "two words"]}')"
	create_container
	run cat "$out"
	assert_line --index 0 --regexp '^hook-argv0\|-c\|.*\|zero\|one\|two words\|$'
	assert_line --index 1 "zero|one|two words"
}

@test "hooks: env is exactly the hook's env" {
	local out="$BATS_TEST_TMPDIR/env.out"
	add_hook createRuntime "$(jq -cn --arg p "$(script env "env > '$out'")" \
		'{path: $p, env: ["HOOK_VAR=hello hook", "OTHER=2"]}')"
	export LEAK_CHECK=from-the-caller
	create_container
	grep -qx 'HOOK_VAR=hello hook' "$out" || fail "HOOK_VAR missing: $(cat "$out")"
	grep -qx 'OTHER=2' "$out" || fail "OTHER missing: $(cat "$out")"
	! grep -q LEAK_CHECK "$out" || fail "the caller's environment leaked into the hook: $(cat "$out")"
}

@test "hooks: a hook without env gets the runtime's environment (as runc); env [] is an empty one" {
	local out="$BATS_TEST_TMPDIR/env.out" empty="$BATS_TEST_TMPDIR/empty.out"
	add_hook createRuntime "$(jq -cn --arg p "$(script env "env > '$out'")" '{path: $p}')"
	add_hook createRuntime "$(jq -cn --arg p "$(script empty "env > '$empty'")" '{path: $p, env: []}')"
	if runc_available; then
		BOXTEST_HOOK_VAR=from-the-caller runc_bg create --bundle "$(runc_bundle)" "$CID-runc"
		grep -qx 'BOXTEST_HOOK_VAR=from-the-caller' "$out" || fail "runc's hook did not get runc's environment: $(cat "$out")"
		! grep -q BOXTEST_HOOK_VAR "$empty" || fail "runc's hook with env [] got runc's environment: $(cat "$empty")"
		rm -f "$out" "$empty"
	fi
	BOXTEST_HOOK_VAR=from-the-caller create_container
	grep -qx 'BOXTEST_HOOK_VAR=from-the-caller' "$out" || fail "the hook did not get box's environment: $(cat "$out")"
	! grep -q BOXTEST_HOOK_VAR "$empty" || fail "a hook with env [] got box's environment: $(cat "$empty")"
	# The caller's, that is: not what box passes itself when it re-executes from a
	# read-only copy (where it was started, _BOX_EXE).
	! grep -q '^_BOX_EXE=' "$out" || fail "box's internal variable leaked into the hook: $(grep '^_BOX_EXE=' "$out")"
}

@test "hooks: several hooks of one kind run in order" {
	local out="$BATS_TEST_TMPDIR/order"
	local k
	for k in 1 2 3; do
		add_hook createRuntime "$(hook_json "$(script "h$k" "echo $k >> '$out'")")"
	done
	create_container
	assert_equal "$(cat "$out")" "$(printf '1\n2\n3')"
}

@test "hooks: a hook within its timeout succeeds" {
	add_hook createRuntime "$(jq -cn --arg p "$(script quick "sleep 0.2; echo done > '$BATS_TEST_TMPDIR/quick'")" '{path: $p, timeout: 5}')"
	create_container
	assert_file_exists "$BATS_TEST_TMPDIR/quick"
}

# ---------------------------------------------------------------------------
# Failing hooks
# ---------------------------------------------------------------------------

# assert_create_fails_with KIND PATH TEXT: create fails naming the hook's path
# and TEXT; the process never ran and nothing is left.
assert_create_fails_with() {
	local kind="$1" path="$2" text="$3"
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "$path"
	[[ "$stderr" == *"$text"* ]] || fail "error does not say '$text': $stderr"
	[[ "$stderr" == *"$kind"* ]] || fail "error does not name the hook kind $kind: $stderr"
	assert_nothing_left
	! grep -qx process "$LOG" 2>/dev/null || fail "the container's process ran"
}

@test "hooks: a failing prestart hook fails create, naming its path and exit status" {
	local path
	path="$(script fail 'exit 3')"
	add_hook prestart "$(hook_json "$path")"
	add_recorder createRuntime
	assert_create_fails_with prestart "$path" "exit status 3"
	assert_equal "$(count createRuntime)" 0
}

@test "hooks: a failing createRuntime hook fails create and cleans up" {
	local path
	path="$(script fail 'exit 3')"
	add_hook createRuntime "$(hook_json "$path")"
	add_recorder createContainer
	add_recorder poststop
	assert_create_fails_with createRuntime "$path" "exit status 3"
	assert_equal "$(count createContainer)" 0
	run box list --quiet
	assert_output ""
}

@test "hooks: a failing createContainer hook fails create and cleans up" {
	local path
	path="$(script fail 'exit 42')"
	add_recorder createRuntime
	add_hook createContainer "$(hook_json "$path")"
	assert_create_fails_with createContainer "$path" "exit status 42"
	assert_equal "$(count createRuntime)" 1
}

@test "hooks: the error of a failing hook is one line, even when the hook printed several" {
	local path
	path="$(script chatty 'echo first line; echo second line >&2; echo third line; exit 5')"
	add_hook createRuntime "$(hook_json "$path")"
	assert_create_fails_with createRuntime "$path" "exit status 5"
}

@test "hooks: a hook that does not exist fails create, naming its path" {
	add_hook createRuntime "$(hook_json "$BATS_TEST_TMPDIR/no-such-hook")"
	assert_create_fails_with createRuntime "$BATS_TEST_TMPDIR/no-such-hook" "createRuntime"
}

@test "hooks: a timed-out createRuntime hook fails create within the timeout and cleans up" {
	local path t0 t1
	path="$(script slow "echo \$\$ > '$BATS_TEST_TMPDIR/slow.pid'; exec sleep 30")"
	add_hook createRuntime "$(jq -cn --arg p "$path" '{path: $p, timeout: 1}')"
	t0="${EPOCHREALTIME/./}"
	assert_create_fails_with createRuntime "$path" "timed out"
	t1="${EPOCHREALTIME/./}"
	(((t1 - t0) < 15000000)) || fail "create took $(((t1 - t0) / 1000)) ms with a 1 s hook timeout"
	# the hook itself was killed
	wait_for_pid_gone "$(cat "$BATS_TEST_TMPDIR/slow.pid")"
}

@test "hooks: a timed-out createContainer hook fails create within the timeout and cleans up" {
	local path t0 t1
	path="$(script slow 'exec sleep 30')"
	add_hook createContainer "$(jq -cn --arg p "$path" '{path: $p, timeout: 1}')"
	t0="${EPOCHREALTIME/./}"
	assert_create_fails_with createContainer "$path" "timed out"
	t1="${EPOCHREALTIME/./}"
	(((t1 - t0) < 15000000)) || fail "create took $(((t1 - t0) / 1000)) ms with a 1 s hook timeout"
}

@test "hooks: a failing startContainer hook keeps the process from running (as runc)" {
	printf '#!/bin/sh\nexit 4\n' >"$BUNDLE/rootfs/hooks/fail"
	chmod 0755 "$BUNDLE/rootfs/hooks/fail"
	add_hook startContainer "$(hook_json /hooks/fail)"
	local err="$BATS_TEST_TMPDIR/create.err"
	record_ids create "$CID"
	# after create, the container's stderr is create's: the error shows there
	"$BOX_BIN" --root "$BOX_ROOT" create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>"$err" 3>&- ||
		fail "create failed: $(cat "$err")"
	box start "$CID" || true
	wait_for_status "$CID" stopped
	sleep 0.2
	! grep -qx process "$LOG" 2>/dev/null || fail "the process ran although startContainer failed"
	retry 5 grep -q 'startContainer hook /hooks/fail.*exit status 4' "$err" || fail "no error naming the hook: $(cat "$err")"
	run box delete "$CID"
	assert_success
	assert_nothing_left
}

@test "hooks: a failing startContainer hook fails foreground run" {
	printf '#!/bin/sh\nexit 4\n' >"$BUNDLE/rootfs/hooks/fail"
	chmod 0755 "$BUNDLE/rootfs/hooks/fail"
	add_hook startContainer "$(hook_json /hooks/fail)"
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_failure
	[[ "$stderr" == *"/hooks/fail"*"exit status 4"* ]] || fail "stderr: $stderr"
	! grep -qx process "$LOG" 2>/dev/null || fail "the process ran although startContainer failed"
	assert_nothing_left
}

@test "hooks: a failing poststart hook is a warning: start succeeds, the container runs" {
	local path
	path="$(script fail 'exit 6')"
	add_hook poststart "$(hook_json "$path")"
	create_container
	run --separate-stderr box start "$CID"
	assert_success
	[[ "$stderr" == *warning*"$path"* ]] || fail "no warning naming the hook: $stderr"
	assert_equal "$(state_field "$CID" status)" running
	retry 5 grep -qx process "$LOG" || fail "the process did not run"
}

@test "hooks: a failing poststop hook is a warning: delete succeeds and cleans up" {
	local path
	path="$(script fail 'exit 7')"
	add_hook poststop "$(hook_json "$path")"
	start_container
	box kill "$CID" KILL
	wait_for_status "$CID" stopped
	run --separate-stderr box delete "$CID"
	assert_success
	[[ "$stderr" == *warning*"$path"* ]] || fail "no warning naming the hook: $stderr"
	assert_nothing_left
}

@test "hooks: a timed-out poststop hook is a warning and delete still cleans up" {
	local path
	path="$(script slow 'exec sleep 30')"
	add_hook poststop "$(jq -cn --arg p "$path" '{path: $p, timeout: 1}')"
	start_container
	run --separate-stderr box delete --force "$CID"
	assert_success
	[[ "$stderr" == *warning*"$path"*"timed out"* ]] || fail "no warning naming the hook: $stderr"
	assert_nothing_left
}

@test "hooks: invalid hooks in config.json are rejected with their JSON path" {
	update_config '.hooks.createRuntime = [{"path": "relative/hook"}]'
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "hooks.createRuntime[0].path"
	assert_nothing_left
	update_config '.hooks.createRuntime = [{"path": "/bin/true", "timeout": 0}]'
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "hooks.createRuntime[0].timeout"
	assert_nothing_left
}

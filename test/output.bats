#!/usr/bin/env bats
# Output that scripts parse, in runc 1.1's shapes: the JSON of state, list,
# ps, events and features in runc's field order (keys_unsorted) with the same
# types and omissions, spec's config, and the --log/--debug line format. Where
# runc is installed each shape is compared with runc's own in the same test.

load helpers

setup() {
	box_setup
	setup_bundle
	RUNC_ROOT="$BATS_TEST_TMPDIR/runc-root"
	RUNC_IDS=()
}

teardown() {
	local id
	for id in "${RUNC_IDS[@]}"; do
		runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	box_teardown
}

# runc_run ID: runc run -d of $BUNDLE (the same config box runs), deleted in teardown.
runc_run() {
	RUNC_IDS+=("$1")
	runc --root "$RUNC_ROOT" run -d --bundle "$BUNDLE" "$1" </dev/null >/dev/null ||
		fail "runc run -d $1 failed"
}

# keys_and_types: "key:type" of every member of the input object, in order.
keys_and_types() {
	jq -c '[to_entries[] | "\(.key):\(.value | type)"]'
}

@test "state: runc's fields in runc's order; annotations only when set, before owner" {
	create_container
	run box state "$CID"
	assert_success
	run keys_and_types <<<"$output"
	assert_output '["ociVersion:string","id:string","pid:number","status:string","bundle:string","rootfs:string","created:string","owner:string"]'

	update_config '.annotations = {"org.example.b": "2", "org.example.a": "1"}'
	create_container "$CID-a"
	run box state "$CID-a"
	assert_success
	local json="$output"
	run jq -c 'keys_unsorted' <<<"$json"
	assert_output '["ociVersion","id","pid","status","bundle","rootfs","created","annotations","owner"]'
	# sorted, as Go prints a map
	run jq -c '.annotations | keys_unsorted' <<<"$json"
	assert_output '["org.example.a","org.example.b"]'
}

@test "state and list --format json: the same keys, order and types as runc's" {
	requires root runc
	update_config '.annotations = {"org.example.b": "2", "org.example.a": "1"}'
	start_container
	runc_run "r$CID"
	local box_state runc_state
	box_state="$(box state "$CID")"
	runc_state="$(runc --root "$RUNC_ROOT" state "r$CID")"
	assert_equal "$(keys_and_types <<<"$box_state")" "$(keys_and_types <<<"$runc_state")"
	assert_equal "$(jq -c .annotations <<<"$box_state")" "$(jq -c .annotations <<<"$runc_state")"
	assert_equal "$(jq -r .owner <<<"$box_state")" "$(jq -r .owner <<<"$runc_state")"

	# list: the same object, but owner is the user name
	local box_list runc_list
	box_list="$(box list --format json)"
	runc_list="$(runc --root "$RUNC_ROOT" list --format json)"
	assert_equal "$(jq '.[0]' <<<"$box_list" | keys_and_types)" "$(jq '.[0]' <<<"$runc_list" | keys_and_types)"
	assert_equal "$(jq -r '.[0].owner' <<<"$box_list")" "$(jq -r '.[0].owner' <<<"$runc_list")"
	assert_equal "$(jq -r '.[0].owner' <<<"$box_list")" root
	# the table's OWNER column too
	run box list
	assert_success
	assert_line --regexp "^$CID +[0-9]+ +running .* root$"

	# stopped: pid 0, same keys
	box kill "$CID" KILL
	wait_for_status "$CID" stopped
	runc --root "$RUNC_ROOT" kill "r$CID" KILL
	retry 10 bash -c "runc --root '$RUNC_ROOT' state 'r$CID' | jq -e '.status == \"stopped\"' >/dev/null" ||
		fail "runc's container did not stop"
	box_state="$(box state "$CID")"
	runc_state="$(runc --root "$RUNC_ROOT" state "r$CID")"
	assert_equal "$(keys_and_types <<<"$box_state")" "$(keys_and_types <<<"$runc_state")"
	assert_equal "$(jq .pid <<<"$box_state")" 0
}

@test "ps --format json: an array of pids, as runc's" {
	start_container
	run box ps --format json "$CID"
	assert_success
	run jq -e --argjson pid "$(container_pid "$CID")" '. == [$pid]' <<<"$output"
	assert_success
	requires root runc
	runc_run "r$CID"
	assert_equal "$(runc --root "$RUNC_ROOT" ps --format json "r$CID" | jq -c 'map(type)')" '["number"]'
}

@test "events --stats: type, id, data in runc's order; data's sections and counters as runc's" {
	requires root runc cgroup_controller=memory
	start_container
	runc_run "r$CID"
	local b r
	b="$(box events --stats "$CID")"
	r="$(runc --root "$RUNC_ROOT" events --stats "r$CID")"
	assert_equal "$(jq -c 'keys_unsorted' <<<"$b")" '["type","id","data"]'
	assert_equal "$(jq -c 'keys_unsorted' <<<"$r")" '["type","id","data"]'
	# runc's sections in its order; box has no cpuset statistics
	assert_equal "$(jq -c '.data | keys_unsorted' <<<"$b")" "$(jq -c '.data | keys_unsorted - ["cpuset"]' <<<"$r")"
	assert_equal "$(jq -c '.data | map_values(type)' <<<"$b")" "$(jq -c '.data | del(.cpuset) | map_values(type)' <<<"$r")"
	assert_equal "$(jq -c '.data.cpu | keys_unsorted' <<<"$b")" "$(jq -c '.data.cpu | keys_unsorted' <<<"$r")"
	assert_equal "$(jq '.data.cpu.usage' <<<"$b" | keys_and_types)" "$(jq '.data.cpu.usage' <<<"$r" | keys_and_types)"
	assert_equal "$(jq '.data.memory.usage' <<<"$b" | keys_and_types)" "$(jq '.data.memory.usage' <<<"$r" | keys_and_types)"
	# no pids limit: runc leaves limit out (Go's omitempty)
	assert_equal "$(jq -c '.data.pids' <<<"$b")" '{"current":1}'
	assert_equal "$(jq -c '.data.pids | keys_unsorted' <<<"$r")" '["current"]'
}

@test "features: runc's keys in runc's order, indented by 4 as runc prints it" {
	run box features
	assert_success
	local b="$output"
	assert_equal "$(jq -c 'keys_unsorted' <<<"$b")" \
		'["ociVersionMin","ociVersionMax","hooks","mountOptions","linux","annotations"]'
	assert_equal "$(sed -n 2p <<<"$b")" '    "ociVersionMin": "1.0.0",'
	run jq -r '.annotations["io.github.seccomp.libseccomp.version"]' <<<"$b"
	assert_output --regexp '^[0-9]+\.[0-9]+\.[0-9]+$'
	# annotations sorted, as Go prints a map
	assert_equal "$(jq -c '.annotations | keys_unsorted' <<<"$b")" "$(jq -c '.annotations | keys' <<<"$b")"
	requires runc
	local r
	r="$(runc features)"
	assert_equal "$(jq -c 'keys_unsorted' <<<"$b")" "$(jq -c 'keys_unsorted' <<<"$r")"
	assert_equal "$(sed -n 2p <<<"$b" | cut -d'"' -f1)" "$(sed -n 2p <<<"$r" | cut -d'"' -f1)"
	# runc 1.1 has fewer linux and cgroup entries (the spec it implements is older):
	# its keys are the start of box's, in the same order
	local n
	n="$(jq '.linux | length' <<<"$r")"
	assert_equal "$(jq -c ".linux | keys_unsorted | .[:$n]" <<<"$b")" "$(jq -c '.linux | keys_unsorted' <<<"$r")"
	n="$(jq '.linux.cgroup | length' <<<"$r")"
	assert_equal "$(jq -c ".linux.cgroup | keys_unsorted | .[:$n]" <<<"$b")" \
		"$(jq -c '.linux.cgroup | keys_unsorted' <<<"$r")"
	assert_equal "$(jq -c '.linux.seccomp | keys_unsorted' <<<"$b")" "$(jq -c '.linux.seccomp | keys_unsorted' <<<"$r")"
}

# spec_equal_to_runc [--rootless]: box spec and runc spec in two directories,
# equal (jq -S) but for ociVersion (the spec version each implements) and
# hostname (each runtime's own name, as crun's is "crun"); the same key order,
# tab-indented as runc writes it.
spec_equal_to_runc() {
	local b="$BATS_TEST_TMPDIR/box-spec" r="$BATS_TEST_TMPDIR/runc-spec"
	rm -rf "$b" "$r"
	mkdir -p "$b" "$r"
	"$BOX_BIN" spec --bundle "$b" "$@" || fail "box spec $* failed"
	runc spec --bundle "$r" "$@" || fail "runc spec $* failed"
	run diff <(jq -S 'del(.ociVersion, .hostname)' "$b/config.json") \
		<(jq -S 'del(.ociVersion, .hostname)' "$r/config.json")
	assert_success
	assert_equal "$(jq -c '[paths | map(tostring) | join(".")]' "$b/config.json")" \
		"$(jq -c '[paths | map(tostring) | join(".")]' "$r/config.json")"
	assert_equal "$(jq -r .hostname "$b/config.json")" box
	assert_equal "$(jq -r .ociVersion "$b/config.json")" "$("$BOX_BIN" features | jq -r .ociVersionMax)"
	assert_equal "$(sed -n 2p "$b/config.json" | cut -d'"' -f1)" $'\t'
	assert_equal "$(sed -n 2p "$r/config.json" | cut -d'"' -f1)" $'\t'
}

@test "spec writes runc's default config (but ociVersion and hostname), in runc's key order" {
	requires runc
	spec_equal_to_runc
}

@test "spec --rootless writes runc's rootless config (but ociVersion and hostname)" {
	requires runc
	spec_equal_to_runc --rootless
	# the caller is root in the container
	local b="$BATS_TEST_TMPDIR/box-spec"
	assert_equal "$(jq -c '.linux.uidMappings' "$b/config.json")" "[{\"containerID\":0,\"hostID\":$(id -u),\"size\":1}]"
	assert_equal "$(jq -c '.linux.gidMappings' "$b/config.json")" "[{\"containerID\":0,\"hostID\":$(id -g),\"size\":1}]"
}

# A line of runc's text log (logrus): time="RFC 3339" level=LEVEL msg=VALUE
LOGFMT='^time="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})" level=(debug|info|warning|error) msg=("([^"\\]|\\.)*"|[A-Za-z0-9./@^+_-]*)( [a-z]+=.*)?$'

@test "--debug: debug lines on stderr in runc's text form; with --log in the file, as text or JSON" {
	run --separate-stderr box --debug create --bundle "$BUNDLE" "$CID"
	assert_success
	# shellcheck disable=SC2154 # set by run --separate-stderr
	[[ -n "$stderr" ]] || fail "no debug lines on stderr"
	local line
	for line in "${stderr_lines[@]}"; do
		[[ "$line" =~ $LOGFMT ]] || fail "not a logrus text line: $line"
	done
	assert_regex "$stderr" "level=debug msg=\"created container $CID with init pid [0-9]+"
	box delete --force "$CID"

	local log="$BATS_TEST_TMPDIR/box.log"
	run --separate-stderr box --debug --log "$log" create --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$stderr" ""
	while IFS= read -r line; do
		[[ "$line" =~ $LOGFMT ]] || fail "not a logrus text line in --log: $line"
	done <"$log"
	grep -q 'level=debug msg="created container' "$log" || fail "no debug line in $log"
	box delete --force "$CID"

	rm -f "$log"
	run --separate-stderr box --debug --log "$log" --log-format json create --bundle "$BUNDLE" "$CID"
	assert_success
	run jq -e -s 'all(keys_unsorted == ["level", "msg", "time"]) and any(.level == "debug")' "$log"
	assert_success
}

@test "--log and --debug lines have the form runc writes" {
	requires runc
	local rlog="$BATS_TEST_TMPDIR/runc.log" blog="$BATS_TEST_TMPDIR/box.log" line
	runc --root "$RUNC_ROOT" --log "$rlog" state "nosuch-$CID" 2>/dev/null && fail "runc state of nothing succeeded"
	run --separate-stderr box --log "$blog" state "nosuch-$CID"
	assert_failure
	for line in "$(cat "$rlog")" "$(cat "$blog")"; do
		[[ "$line" =~ $LOGFMT ]] || fail "not a logrus text line: $line"
	done
	# runc --debug's stderr, which box's LOGFMT describes too
	run --separate-stderr runc --root "$RUNC_ROOT" --debug state "nosuch-$CID"
	for line in "${stderr_lines[@]}"; do
		[[ "$line" =~ $LOGFMT ]] || fail "not a logrus text line from runc: $line"
	done
}

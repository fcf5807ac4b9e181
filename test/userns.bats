#!/usr/bin/env bats
# User namespaces (issue 6): the container's ids are host ids seen through
# linux.uidMappings/gidMappings. Files the container creates belong on the
# host to the mapped ids, ids outside the mapping show as the overflow id,
# and bad mappings fail with one line naming the range, leaving nothing.
#
# Two mappings are used in both passes:
#   own ids   as root 0-65535 -> 100000-165535; rootless the caller's uid and
#             gid as root (1 wide, what `box spec --rootless` writes)
#   wide ids  65536 ids from WIDE_UID/WIDE_GID: as root 0-65535 -> 300000
#             (box writes the maps itself); rootless the caller's ranges in
#             /etc/subuid and /etc/subgid, written through newuidmap/newgidmap
# With the wide ids, the rootfs (owned by host root, or rootless by the
# caller) belongs to an id that is not mapped into the container.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	box_teardown
}

# ---------------------------------------------------------------------------
# Helpers of this file
# ---------------------------------------------------------------------------

# subid_range FILE: "START COUNT" of the caller's first range in FILE
# (/etc/subuid or /etc/subgid) with at least 65536 ids.
subid_range() {
	awk -F: -v u="$(id -un)" -v i="$(id -u)" \
		'($1 == u || $1 == i) && $3 >= 65536 { print $2, $3; exit }' "$1" 2>/dev/null
}

# own_ids: sets OWN_UID, OWN_GID and OWN_SIZE (see the top of the file).
own_ids() {
	if is_rootless; then
		OWN_UID="$(id -u)" OWN_GID="$(id -g)" OWN_SIZE=1
	else
		OWN_UID=100000 OWN_GID=100000 OWN_SIZE=65536
	fi
}

# wide_ids: sets WIDE_UID and WIDE_GID, the first host ids of a 65536-wide
# mapping; rootless, skips without newuidmap/newgidmap or subordinate ranges.
wide_ids() {
	requires userns
	if ! is_rootless; then
		WIDE_UID=300000 WIDE_GID=300000
		return 0
	fi
	requires newuidmap
	local r f
	for f in /etc/subuid /etc/subgid; do
		r="$(subid_range "$f")"
		[[ -n "$r" ]] || skip "requires a range of 65536 ids for $(id -un) in $f"
		if [[ "$f" == /etc/subuid ]]; then
			WIDE_UID="${r%% *}"
		else
			WIDE_GID="${r%% *}"
		fi
	done
}

# subid_end FILE: the first id after all of the caller's ranges in FILE: a
# host range starting there is not the caller's.
subid_end() {
	awk -F: -v u="$(id -un)" -v i="$(id -u)" \
		'($1 == u || $1 == i) && $2 + $3 > end { end = $2 + $3 } END { print end + 0 }' "$1"
}

# map_root UID GID SIZE: a new user namespace where the container's ids
# 0..SIZE-1 are the host's UID.. and GID..
map_root() {
	update_config ".linux.namespaces |= (map(select(.type != \"user\")) + [{type: \"user\"}])
		| .linux.uidMappings = [{containerID: 0, hostID: $1, size: $3}]
		| .linux.gidMappings = [{containerID: 0, hostID: $2, size: $3}]"
}

# let_in: every host id may search the directories down to the bundle (bats
# makes its temporary directories 0700): a container root mapped to another
# id than the caller's must reach the rootfs and the bind-mounted sources.
# Group too: rootless, init still has the caller's groups while it mounts
# the rootfs, so the group bits, not the others', apply to it.
let_in() {
	local d="$BATS_TEST_TMPDIR"
	while [[ "$d" == "$BATS_RUN_TMPDIR"* ]]; do
		chmod go+x "$d"
		d="$(dirname "$d")"
	done
	chmod go+x "$BUNDLE"
}

# shared_dir NAME: a new host directory $BATS_TEST_TMPDIR/NAME that any id
# may write to; prints its path.
shared_dir() {
	local d="$BATS_TEST_TMPDIR/$1"
	mkdir "$d"
	chmod 0777 "$d"
	echo "$d"
}

# bind_mount SOURCE DEST [ro]: bind-mounts the host's SOURCE at DEST (created in
# the rootfs beforehand: the container's root may not write there).
bind_mount() {
	local src="$1" dest="$2" json opts='["rbind", "rw"]'
	[[ "${3:-}" != ro ]] || opts='["rbind", "ro"]'
	if [[ -d "$src" ]]; then
		mkdir -p "$BUNDLE/rootfs$dest"
	else
		touch "$BUNDLE/rootfs$dest"
	fi
	json="$(jq -cn --arg s "$src" --arg d "$dest" --argjson o "$opts" \
		'{destination: $d, type: "bind", source: $s, options: $o}')"
	update_config ".mounts += [$json]"
}

# add_caps CAP...: adds capabilities to the process's bounding, effective
# and permitted sets (the default spec has none that touch files).
add_caps() {
	local json
	json="$(jq -cn '$ARGS.positional' --args -- "$@")"
	update_config ".process.capabilities.bounding += $json
		| .process.capabilities.effective += $json
		| .process.capabilities.permitted += $json"
}

# overflow_ids: "UID:GID" the kernel shows for ids without a mapping.
overflow_ids() {
	echo "$(cat /proc/sys/kernel/overflowuid):$(cat /proc/sys/kernel/overflowgid)"
}

# create_fails MESSAGE: `box create` fails with one line containing
# MESSAGE and leaves nothing behind.
create_fails() {
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "$1"
	assert_nothing_left
}

# ---------------------------------------------------------------------------
# Ownership
# ---------------------------------------------------------------------------

@test "the container's root is the mapped host id: its files on the rootfs and a bind mount belong to it" {
	requires userns
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	let_in
	local data
	data="$(shared_dir data)"
	# only the container's root may write here
	chown "$OWN_UID:$OWN_GID" "$data"
	chmod 0755 "$data"
	bind_mount "$data" /data
	# /tmp of the rootfs is 1777: any id may create files in it
	set_args sh -c 'id -u; id -g; touch /tmp/on-rootfs /data/on-bind && stat -c %u:%g /tmp/on-rootfs /data/on-bind'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_success
	# root inside ...
	assert_output "$(printf '0\n0\n0:0\n0:0')"
	# ... and the mapped ids outside
	run stat -c %u:%g "$BUNDLE/rootfs/tmp/on-rootfs" "$data/on-bind"
	assert_success
	assert_output "$(printf '%s\n%s' "$OWN_UID:$OWN_GID" "$OWN_UID:$OWN_GID")"
}

# A sudo or su login has group 0 among its supplementary groups. Under a
# 0701 root:root directory group root may not pass while others may: the
# container's root (another id) reaches its rootfs only once the caller's
# groups are gone, which they must be as soon as init is in its user
# namespace, before it mounts anything (runc drops them there too).
@test "the caller's supplementary group 0 does not follow init into the user namespace" {
	requires root userns
	command -v setpriv >/dev/null || skip "requires setpriv (util-linux)"
	let_in
	local dir="$BATS_TEST_TMPDIR/groups-0701"
	mkdir "$dir"
	chown 0:0 "$dir"
	chmod 0701 "$dir"
	mv "$BUNDLE" "$dir/bundle"
	BUNDLE="$dir/bundle"
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	set_args sh -c 'grep -E "^(Uid|Groups):" /proc/self/status'
	record_ids run "$CID"
	run setpriv --groups 0 "$BOX_BIN" --root "$BOX_ROOT" run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --regexp '^Uid:[[:space:]]+0[[:space:]]'
	assert_line --regexp '^Groups:[[:space:]]*$'
	assert_nothing_left
}

@test "a 65536-wide mapping: chown 1000:1000 inside gives the file to host ids base+1000" {
	wide_ids
	map_root "$WIDE_UID" "$WIDE_GID" 65536
	add_caps CAP_CHOWN
	let_in
	local data
	data="$(shared_dir data)"
	bind_mount "$data" /data
	start_container
	run --separate-stderr box exec "$CID" sh -c 'cat /proc/self/uid_map /proc/self/gid_map
		touch /data/chowned && chown 1000:1000 /data/chowned && stat -c %u:%g /data/chowned'
	assert_success
	assert_line --index 0 --regexp "^ +0 +$WIDE_UID +65536\$"
	assert_line --index 1 --regexp "^ +0 +$WIDE_GID +65536\$"
	assert_line --index 2 1000:1000
	run stat -c %u:%g "$data/chowned"
	assert_output "$((WIDE_UID + 1000)):$((WIDE_GID + 1000))"
	# a process running as 1000:1000 is base+1000 on the host, and so are its files
	run --separate-stderr box exec --user 1000:1000 "$CID" sh -c 'touch /data/by-1000 && id -u && id -g'
	assert_success
	assert_output "$(printf '1000\n1000')"
	run stat -c %u:%g "$data/by-1000"
	assert_output "$((WIDE_UID + 1000)):$((WIDE_GID + 1000))"
}

@test "two ranges (root on one id, then 65536 more, as podman maps rootless): each id lands in its range" {
	own_ids
	wide_ids
	update_config ".linux.uidMappings = [{containerID: 0, hostID: $OWN_UID, size: 1},
			{containerID: 1, hostID: $WIDE_UID, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $OWN_GID, size: 1},
			{containerID: 1, hostID: $WIDE_GID, size: 65536}]
		| .linux.namespaces |= (map(select(.type != \"user\")) + [{type: \"user\"}])"
	add_caps CAP_CHOWN
	let_in
	local data
	data="$(shared_dir data)"
	bind_mount "$data" /data
	set_args sh -c 'touch /data/by-root /data/to-1 /data/to-1000 /data/to-65536 &&
		chown 1:1 /data/to-1 && chown 1000:1000 /data/to-1000 && chown 65536:65536 /data/to-65536 &&
		stat -c %u:%g /data/by-root /data/to-1 /data/to-1000 /data/to-65536'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "$(printf '0:0\n1:1\n1000:1000\n65536:65536')"
	# container id N >= 1 is host id base+N-1
	run stat -c %u:%g "$data/by-root" "$data/to-1" "$data/to-1000" "$data/to-65536"
	assert_output "$(printf '%s\n' "$OWN_UID:$OWN_GID" "$WIDE_UID:$WIDE_GID" \
		"$((WIDE_UID + 999)):$((WIDE_GID + 999))" "$((WIDE_UID + 65535)):$((WIDE_GID + 65535))")"
}

@test "a host file of an id outside the mapping shows as the overflow id" {
	requires userns
	# owned by host root, which neither mapping includes
	[[ "$(stat -c %u:%g /etc/passwd)" == 0:0 ]] || skip "requires /etc/passwd owned by 0:0"
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	let_in
	bind_mount /etc/passwd /host-passwd ro
	set_args sh -c 'cat /proc/sys/kernel/overflowuid /proc/sys/kernel/overflowgid; stat -c %u:%g /host-passwd'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_success
	local overflow
	overflow="$(overflow_ids)"
	assert_output "$(printf '%s\n%s\n%s' "${overflow%:*}" "${overflow#*:}" "$overflow")"
}

@test "the container's root has no privileges over files of unmapped ids" {
	wide_ids
	map_root "$WIDE_UID" "$WIDE_GID" 65536
	# root's usual powers over files: without the mapping they would all apply
	add_caps CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER
	let_in
	local data mode
	data="$(shared_dir data)"
	bind_mount "$data" /data
	mode="$(stat -c %a "$BUNDLE/rootfs/etc/passwd")"
	# the rootfs belongs to host root (rootless: the caller): unmapped here
	set_args sh -c 'stat -c %u:%g /etc /etc/passwd
		touch /etc/new 2>&1 || echo refused
		chmod 0777 /etc/passwd 2>&1 || echo refused
		chown 0:0 /etc/passwd 2>&1 || echo refused
		mkdir /data/own && chown 1000:1000 /data/own && chmod 0700 /data/own && touch /data/own/ok && echo mapped ok
		chmod 0777 /data/own'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	assert_success
	local overflow
	overflow="$(overflow_ids)"
	assert_output "$(printf '%s\n' "$overflow" "$overflow" \
		'touch: /etc/new: Permission denied' refused \
		'chmod: /etc/passwd: Operation not permitted' refused \
		'chown: /etc/passwd: Operation not permitted' refused \
		'mapped ok')"
	assert_file_not_exists "$BUNDLE/rootfs/etc/new"
	assert_equal "$(stat -c %a "$BUNDLE/rootfs/etc/passwd")" "$mode"
	# the control: CAP_DAC_OVERRIDE works on a 0700 directory of a mapped id
	# (made 0777 afterwards, for the host to look and clean up)
	assert_equal "$(stat -c %u:%g "$data/own" "$data/own/ok" | tr '\n' ' ')" \
		"$((WIDE_UID + 1000)):$((WIDE_GID + 1000)) $WIDE_UID:$WIDE_GID "
}

@test "two containers with different mappings do not own each other's files" {
	own_ids
	wide_ids
	let_in
	local shared
	shared="$(shared_dir shared)"
	bind_mount "$shared" /shared
	add_caps CAP_DAC_OVERRIDE CAP_FOWNER
	# A: the own ids, B: the wide ids, running side by side
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	start_container "$CID-a"
	map_root "$WIDE_UID" "$WIDE_GID" 65536
	start_container "$CID-b"
	run box exec "$CID-a" sh -c 'echo a > /shared/a'
	assert_success
	run box exec "$CID-b" sh -c 'echo b > /shared/b'
	assert_success

	local overflow
	overflow="$(overflow_ids)"
	run --separate-stderr box exec "$CID-a" stat -c '%n %u:%g' /shared/a /shared/b
	assert_success
	assert_output "$(printf '/shared/a 0:0\n/shared/b %s' "$overflow")"
	run --separate-stderr box exec "$CID-b" stat -c '%n %u:%g' /shared/a /shared/b
	assert_success
	assert_output "$(printf '/shared/a %s\n/shared/b 0:0' "$overflow")"

	# B's root, even with CAP_DAC_OVERRIDE, cannot write A's 0644 file
	run --separate-stderr box exec "$CID-b" sh -c 'echo b >> /shared/a'
	assert_failure
	assert_equal "$(cat "$shared/a")" a

	run stat -c '%n %u:%g' "$shared/a" "$shared/b"
	assert_output "$(printf '%s/a %s:%s\n%s/b %s:%s' "$shared" "$OWN_UID" "$OWN_GID" "$shared" "$WIDE_UID" "$WIDE_GID")"
}

# ---------------------------------------------------------------------------
# Bind sources the container's ids cannot reach: box opens them as the caller
# before init mounts them (as runc 1.1 does as root)
# ---------------------------------------------------------------------------

# private_sources: $PRIVATE, a 0700 directory of the caller's (as root: of
# root's) holding dir/f ("in-dir"), file ("a-file") and link (an absolute
# symlink to dir): no other id may reach what is in it.
private_sources() {
	PRIVATE="$BATS_TEST_TMPDIR/private"
	mkdir -p "$PRIVATE/dir"
	echo in-dir >"$PRIVATE/dir/f"
	echo a-file >"$PRIVATE/file"
	ln -s "$PRIVATE/dir" "$PRIVATE/link"
	chmod 0700 "$PRIVATE"
}

# box_and_runc_print ID WANT: `box run` of the bundle as ID prints WANT, and
# so does runc's run of a copy where runc is available (as root).
box_and_runc_print() {
	run --separate-stderr box run --bundle "$BUNDLE" "$1"
	assert_success
	assert_output "$2"
	runc_available || return 0
	local rb
	rb="$(runc_bundle)"
	run --separate-stderr runc_ref run --bundle "$rb" "$1-runc"
	assert_success
	assert_output "$2"
}

@test "bind sources under a 0700 directory of the caller's reach a container whose root is another id (as runc)" {
	wide_ids
	map_root "$WIDE_UID" "$WIDE_GID" 65536
	let_in
	private_sources
	bind_mount "$PRIVATE/dir" /data
	bind_mount "$PRIVATE/link" /via-link
	bind_mount "$PRIVATE/file" /file ro
	# a source relative to the bundle, bound without rbind
	touch "$BUNDLE/rootfs/relative"
	update_config '.mounts += [{destination: "/relative", type: "bind", source: "../private/file", options: ["bind"]}]'
	set_args sh -c 'cat /data/f /via-link/f /file /relative; id -u'
	box_and_runc_print "$CID" "$(printf 'in-dir\nin-dir\na-file\na-file\n0')"
}

# B joins A's user namespace, and A's pid namespace (with a new pid namespace:
# the tests below).
@test "a bind source under a 0700 directory reaches a container that joins a user namespace by path (as runc)" {
	requires root # rootless, joining A's pid namespace needs CAP_SYS_ADMIN in the host's user namespace
	wide_ids
	map_root "$WIDE_UID" "$WIDE_GID" 65536
	let_in
	start_container "$CID-a"
	private_sources
	bind_mount "$PRIVATE/dir" /data
	# the mappings stay in the config (runc 1.1 wants them) but do not apply
	local ns
	ns="/proc/$(container_pid "$CID-a")/ns"
	update_config ".linux.namespaces |= map(if .type == \"user\" or .type == \"pid\" then .path = \"$ns/\" + .type else . end)"
	set_args sh -c 'cat /data/f; id -u'
	box_and_runc_print "$CID-b" "$(printf 'in-dir\n0')"
}

# join_user_namespace_of ID: the config joins the user namespace of container
# ID by path, and keeps a new pid namespace (a Kubernetes pod with user
# namespaces: each container joins the sandbox's). The mappings stay in the
# config (runc 1.1 wants them) but do not apply.
join_user_namespace_of() {
	local ns
	ns="/proc/$(container_pid "$1")/ns/user"
	update_config ".linux.namespaces |= map(if .type == \"user\" then .path = \"$ns\" else . end)"
	jq -e '.linux.namespaces | any(.type == "pid" and .path == null)' "$BUNDLE/config.json" >/dev/null ||
		fail "the config has no new pid namespace"
}

# The new pid namespace must belong to the joined user namespace (box clones init
# from inside it, as runc), else B's root may not mount proc there.
@test "a container joining a user namespace by path with a new pid namespace has its own /proc (as runc)" {
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	let_in
	start_container "$CID-a"
	join_user_namespace_of "$CID-a"
	# pid 1 is the container's shell, and the ids are A's
	set_args sh -c 'echo $$; cat /proc/1/comm; id -u; read -r c h n </proc/self/uid_map; echo "$c $h $n"'
	box_and_runc_print "$CID-b" "$(printf '1\nsh\n0\n0 %s %s' "$OWN_UID" "$OWN_SIZE")"
}

@test "exec and delete of a container joining a user namespace by path with a new pid namespace; nothing left" {
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	let_in
	start_container "$CID-a"
	join_user_namespace_of "$CID-a"
	start_container "$CID-b"
	local pid
	pid="$(container_pid "$CID-b")"
	[[ "$(readlink "/proc/$pid/ns/user")" == "$(readlink "/proc/$(container_pid "$CID-a")/ns/user")" ]] ||
		fail "B's init is not in A's user namespace"
	run --separate-stderr box exec "$CID-b" sh -c 'cat /proc/1/comm; id -u; set -- /proc/[0-9]*; echo $#'
	assert_success
	# B's own pid namespace: its sleep and the exec'd sh
	assert_output "$(printf 'sleep\n0\n2')"
	run --separate-stderr box state "$CID-b"
	assert_success
	[[ "$(jq -r .pid <<<"$output")" == "$pid" && "$(jq -r .status <<<"$output")" == running ]] ||
		fail "state: $output"
	box kill "$CID-b" KILL
	wait_for_status "$CID-b" stopped
	box delete "$CID-b"
	box delete --force "$CID-a"
	assert_nothing_left
}

# box takes the ids of the joined user namespace as they are; runc 1.1 wants
# mappings in the config all the same (README, "Differences from runc").
@test "a container joining a user namespace by path needs no uidMappings (runc 1.1 refuses)" {
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	let_in
	start_container "$CID-a"
	join_user_namespace_of "$CID-a"
	update_config 'del(.linux.uidMappings, .linux.gidMappings)'
	set_args sh -c 'echo $$; id -u'
	run --separate-stderr box run --bundle "$BUNDLE" "$CID-b"
	assert_success
	assert_output "$(printf '1\n0')"
	runc_available || return 0
	run --separate-stderr runc_ref run --bundle "$(runc_bundle)" "$CID-b-runc"
	assert_failure
	[[ "$stderr" == *"User namespaces enabled, but no uid mappings found"* ]] || fail "runc said: $stderr"
}

# The intermediate child that joins the user namespace reports the kernel's
# refusal (one's own user namespace cannot be joined: EINVAL).
@test "a user namespace path that cannot be joined, with a new pid namespace: one line naming it, nothing left" {
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	update_config '.linux.namespaces |= map(if .type == "user" then .path = "/proc/self/ns/user" else . end)'
	create_fails 'joining user namespace "/proc/self/ns/user": Invalid argument'
}

@test "a bind source that does not exist, with a user namespace: one line naming it, nothing left" {
	wide_ids
	map_root "$WIDE_UID" "$WIDE_GID" 65536
	let_in
	private_sources
	bind_mount "$PRIVATE/dir" /data
	bind_mount "$PRIVATE/missing" /missing
	local n
	n="$(jq '.mounts | length - 1' "$BUNDLE/config.json")"
	create_fails "config.json: mounts[$n].source: \"$PRIVATE/missing\" does not exist"
}

# ---------------------------------------------------------------------------
# Bad mappings: one line naming the range, nothing left
# ---------------------------------------------------------------------------

@test "overlapping container ranges in uidMappings are rejected" {
	wide_ids
	map_root "$WIDE_UID" "$WIDE_GID" 65536
	# container ids 500-999 are in both ranges (the host ranges are disjoint)
	update_config ".linux.uidMappings = [{containerID: 0, hostID: $WIDE_UID, size: 1000},
		{containerID: 500, hostID: $((WIDE_UID + 1000)), size: 1000}]"
	create_fails "config.json: linux.uidMappings: ranges 0 (0 $WIDE_UID 1000) and 1 (500 $((WIDE_UID + 1000)) 1000) overlap in their container ids"
}

@test "overlapping host ranges in gidMappings are rejected" {
	wide_ids
	map_root "$WIDE_UID" "$WIDE_GID" 65536
	# host ids base+500..base+999 are in both ranges (the container ranges are disjoint)
	update_config ".linux.gidMappings = [{containerID: 0, hostID: $WIDE_GID, size: 1000},
		{containerID: 1000, hostID: $((WIDE_GID + 500)), size: 1000}]"
	create_fails "config.json: linux.gidMappings: ranges 0 (0 $WIDE_GID 1000) and 1 (1000 $((WIDE_GID + 500)) 1000) overlap in their host ids"
}

@test "a zero-size mapping is rejected, naming the range" {
	requires userns
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	update_config '.linux.uidMappings[0].size = 0'
	create_fails "config.json: linux.uidMappings[0].size: mapping size must be greater than zero"
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	update_config ".linux.gidMappings += [{containerID: $OWN_SIZE, hostID: 400000, size: 0}]"
	create_fails "config.json: linux.gidMappings[1].size: mapping size must be greater than zero"
}

@test "uid mappings without gid mappings are rejected, naming linux.gidMappings" {
	requires userns
	own_ids
	map_root "$OWN_UID" "$OWN_GID" "$OWN_SIZE"
	update_config 'del(.linux.gidMappings)'
	create_fails "config.json: linux.gidMappings: a new user namespace needs uid and gid mappings"
}

# refused_range RANGE FILE: after `run --separate-stderr box create` with a
# range the caller may not map: exit status 1, nothing on stdout, and box's
# line (the last on stderr) names RANGE and FILE.
# shellcheck disable=SC2154 # status/output/stderr_lines come from bats `run`
refused_range() {
	assert_equal "$status" 1
	assert_equal "$output" ""
	assert_regex "${stderr_lines[-1]}" "^box: .*$1.*$2"
}

@test "rootless: a uid range outside the caller's /etc/subuid ranges is refused" {
	requires rootless
	wide_ids
	local outside
	outside="$(subid_end /etc/subuid)"
	map_root "$outside" "$WIDE_GID" 65536
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "linux.uidMappings: newuidmap refused the mapping \"0 $outside 65536\""
	refused_range "0 $outside 65536" /etc/subuid
	assert_nothing_left
}

@test "rootless: a gid range outside the caller's /etc/subgid ranges is refused" {
	requires rootless
	wide_ids
	local outside
	outside="$(subid_end /etc/subgid)"
	map_root "$WIDE_UID" "$outside" 65536
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "linux.gidMappings: newgidmap refused the mapping \"0 $outside 65536\""
	refused_range "0 $outside 65536" /etc/subgid
	assert_nothing_left
}

@test "as root: a range past the largest id is rejected, naming it" {
	# (rootless, such a range is not in /etc/subuid either: the tests above)
	requires root userns
	# 4294967290 + 65536 goes past the largest id: the kernel refuses the map
	map_root 4294967290 100000 65536
	run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error 'linux.uidMappings: the kernel refused the mapping "0 4294967290 65536" in /proc/'
	assert_regex "$stderr" "uid_map: Invalid argument"
	assert_nothing_left
}

# Rootless podman runs the runtime as root of a user namespace the user made
# (the spec has no user namespace of its own), with XDG_RUNTIME_DIR set. As
# with runc, that is rootless: the state goes under XDG_RUNTIME_DIR (not
# /run/box), and linux.devices are bind-mounted (mknod is not allowed there).
@test "rootless: root of a user namespace the user made is rootless (state under XDG_RUNTIME_DIR, devices bound)" {
	requires rootless userns
	update_config 'del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces |= map(select(.type != "user"))
		| .linux.devices = [{path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 438, uid: 0, gid: 0}]'
	set_args sh -c 'head -c 3 /dev/zero | od -An -tx1'
	local xdg="$BATS_TEST_TMPDIR/xdg"
	mkdir -p "$xdg"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run --separate-stderr unshare -Ur env XDG_RUNTIME_DIR="$xdg" USER="$(id -un)" sh -c '
		"$1" run --bundle "$2" "$3" && [ -d "$4/box" ] && echo "state root $(ls -A "$4/box" | wc -l)"' \
		sh "$BOX_BIN" "$BUNDLE" "$CID" "$xdg"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" $' 00 00 00\nstate root 0'
}

# shellcheck shell=bash
# Common helpers for the box bats suite.
#
# Usage in a test file:
#   load helpers
#   setup()    { box_setup; setup_bundle; }
#   teardown() { box_teardown; }
#
# Environment:
#   BOX_BIN   runtime binary      (default: $REPO/build/box)
#   ROOTFS    busybox root fs     (default: $REPO/rootfs/rootfs)
#   BATS_LIBS bats libraries dir  (default: /usr/lib/bats)
#   BOX_CMD_TIMEOUT  seconds one box invocation may take (default: 20)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BOX_BIN="${BOX_BIN:-$REPO/build/box}"
ROOTFS="${ROOTFS:-$REPO/rootfs/rootfs}"
BATS_LIBS="${BATS_LIBS:-/usr/lib/bats}"
BOX_CMD_TIMEOUT="${BOX_CMD_TIMEOUT:-20}"
# A hung runtime must not hang the suite.
BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-60}"
export BOX_BIN ROOTFS

# `run --separate-stderr` and `run -N` need bats >= 1.5
bats_require_minimum_version 1.5.0

load "$BATS_LIBS/bats-support/load.bash"
load "$BATS_LIBS/bats-assert/load.bash"
load "$BATS_LIBS/bats-file/load.bash"

# ---------------------------------------------------------------------------
# Setup / teardown
# ---------------------------------------------------------------------------

# Fails (not skips) when the binary or rootfs is missing: a suite that skips
# everything because nothing was built would look green.
require_box_bin() {
	if [[ ! -x "$BOX_BIN" ]]; then
		fail "box binary not found at $BOX_BIN: run make (or set BOX_BIN)"
	fi
}

require_rootfs() {
	if [[ ! -x "$ROOTFS/bin/sh" ]]; then
		fail "rootfs not found at $ROOTFS (no bin/sh): run make rootfs (or set ROOTFS)"
	fi
}

is_rootless() {
	[[ "$(id -u)" -ne 0 ]]
}

# Per-test state. Everything lives under $BATS_TEST_TMPDIR.
box_setup() {
	require_box_bin
	require_rootfs
	BOX_ROOT="$BATS_TEST_TMPDIR/state"
	BOX_IDS_FILE="$BATS_TEST_TMPDIR/.box-ids"
	MOUNTS_SNAPSHOT="$BATS_TEST_TMPDIR/.mountinfo"
	mkdir -m 0700 "$BOX_ROOT"
	: >"$BOX_IDS_FILE"
	cp /proc/self/mountinfo "$MOUNTS_SNAPSHOT"
	# A container id unique to this test run: cgroups (/box/<id>) are global.
	CID="t${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}-$$"
	export BOX_ROOT CID
}

# copy_rootfs DEST: a private copy of $ROOTFS at DEST, fast. Copying the
# 2 MB busybox binary for every test is the slowest part of setup, so large
# files (> 256 KiB) are hard links to a per-run cache of the rootfs (never to
# $ROOTFS itself); directories, symlinks and small files (/etc/...) are
# real copies. Call unshare_rootfs before changing owner, mode or content of
# a large file in place.
copy_rootfs() {
	local dest="$1" cache="$BATS_RUN_TMPDIR/rootfs-cache"
	if [[ ! -d "$cache" ]]; then
		local tmp="$cache.$$"
		cp -a "$ROOTFS" "$tmp" || fail "cannot copy $ROOTFS"
		# another test may have won the race: keep the first cache
		mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
	fi
	# hard links cannot cross file systems: then copy everything
	if ! cp -al "$cache" "$dest" 2>/dev/null; then
		rm -rf "$dest"
		cp -a "$ROOTFS" "$dest" || fail "cannot copy $ROOTFS to $dest"
		return 0
	fi
	# now un-share everything but the large files
	local -a small
	mapfile -t small < <(cd "$cache" && find . -type f -size -257k -printf '%P\n')
	((${#small[@]} == 0)) ||
		(cd "$cache" && cp -p --parents --remove-destination "${small[@]}" "$dest/") ||
		fail "cannot copy the small files of the rootfs"
}

# unshare_rootfs [DIR]: replaces hard-linked files in DIR (default
# $BUNDLE/rootfs) by copies.
unshare_rootfs() {
	local dir="${1:-$BUNDLE/rootfs}" f
	while IFS= read -r -d '' f; do
		cp -p "$f" "$f.unshare" && mv -f "$f.unshare" "$f"
	done < <(find "$dir" -type f -links +1 -print0)
}

# Creates $BUNDLE with a copy of the rootfs and a config from `box spec`,
# adjusted for non-interactive tests: no terminal, writable root, and a
# long-running default process.
setup_bundle() {
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	mkdir -p "$BUNDLE"
	copy_rootfs "$BUNDLE/rootfs"
	local spec_args=(spec --bundle "$BUNDLE")
	if is_rootless; then
		spec_args+=(--rootless)
	fi
	"$BOX_BIN" "${spec_args[@]}" || fail "box spec --bundle $BUNDLE failed"
	[[ -f "$BUNDLE/config.json" ]] || fail "box spec did not write $BUNDLE/config.json"
	update_config '.process.terminal = false
		| .root.readonly = false
		| .process.args = ["sleep", "1000"]'
	export BUNDLE
}

# add_user NAME UID GID HOME: the user NAME (uid UID, primary group NAME with
# gid GID) in $BUNDLE's copy of /etc/passwd and /etc/group. Tests make the
# users they need: the rootfs may not have them (Alpine has no uid 1000).
add_user() {
	local name="$1" uid="$2" gid="$3" home="$4" etc="$BUNDLE/rootfs/etc"
	if ! grep -q "^$name:" "$etc/passwd"; then
		echo "$name:x:$uid:$gid:$name:$home:/bin/sh" >>"$etc/passwd" || fail "add_user: cannot write $etc/passwd"
	fi
	[[ "$(awk -F: -v n="$name" '$1 == n { print $3 ":" $4 ":" $6 }' "$etc/passwd")" == "$uid:$gid:$home" ]] ||
		fail "add_user: $etc/passwd has another $name: $(grep "^$name:" "$etc/passwd")"
	if ! grep -q "^$name:" "$etc/group"; then
		echo "$name:x:$gid:" >>"$etc/group" || fail "add_user: cannot write $etc/group"
	fi
	[[ "$(awk -F: -v n="$name" '$1 == n { print $3 }' "$etc/group")" == "$gid" ]] ||
		fail "add_user: $etc/group has another $name: $(grep "^$name:" "$etc/group")"
}

box_teardown() {
	# setup failed before the state dir existed: nothing to clean up
	[[ -n "${BOX_ROOT:-}" && -d "$BOX_ROOT" ]] || return 0
	runc_cleanup
	local id
	for id in $(box_root_ids); do
		box delete --force "$id" >/dev/null 2>&1 || true
	done

	local problems=() left
	left="$(box_root_ids)"
	if [[ -n "$left" ]]; then
		problems+=("state directories left in $BOX_ROOT after delete --force: ${left//$'\n'/ }")
	fi
	left="$(new_mounts)"
	if [[ -n "$left" ]]; then
		problems+=("mounts left on the host: ${left//$'\n'/ }")
		# so that bats' rm -rf of the tmpdir cannot cross a leaked bind mount
		unmount_under "$BATS_TEST_TMPDIR"
	fi

	# Best-effort cleanup so one broken test does not poison the others.
	# Only needed when the test touched a container at all.
	if [[ -s "$BOX_IDS_FILE" ]]; then
		kill_stray_processes
		remove_cgroups
	fi

	if ((${#problems[@]})); then
		printf 'teardown: %s\n' "${problems[@]}" >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------
# Running box
# ---------------------------------------------------------------------------

# box ARGS...: runs the runtime against the per-test state dir.
# The runtime's stdout/stderr go to files that are printed once it exits: a
# detached container inherits them, and must not keep the pipe of a bats
# `run` open (which would block until the container exits).
box() {
	record_ids "$@"
	# unique per call without forking mktemp (files go with the test's tmpdir)
	local f="$BATS_TEST_TMPDIR/.box.$BASHPID.${EPOCHREALTIME/./}" rc=0
	timeout -k 5 "$BOX_CMD_TIMEOUT" "$BOX_BIN" --root "$BOX_ROOT" "$@" >"$f.out" 2>"$f.err" || rc=$?
	[[ ! -s "$f.out" ]] || cat "$f.out"
	[[ ! -s "$f.err" ]] || cat "$f.err" >&2
	return "$rc"
}

# box_raw ARGS...: the runtime itself with the caller's stdio and no
# timeout wrapper (for tests that signal the box process or watch its
# output streams directly).
box_raw() {
	record_ids "$@"
	"$BOX_BIN" --root "$BOX_ROOT" "$@"
}

# create_container [ID]: `box create` from $BUNDLE; fails the test if that fails.
create_container() {
	local id="${1:-$CID}"
	box create --bundle "$BUNDLE" "$id" || fail "box create $id failed"
}

# start_container [ID]: create + start, and wait until it is running and its
# init has exec'd the program.
# shellcheck disable=SC2120 # the ID is optional; callers in the .bats files pass it
start_container() {
	local id="${1:-$CID}" pid created_comm
	create_container "$id"
	pid="$(container_pid "$id")"
	created_comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || created_comm=""
	box start "$id" || fail "box start $id failed"
	wait_for_status "$id" running
	wait_for_exec "$pid" "$created_comm"
}

_comm_is_not() {
	local comm
	comm="$(cat "/proc/$1/comm" 2>/dev/null)" || return 0 # gone: it exec'd and exited
	[[ "$comm" != "$2" ]]
}

# wait_for_exec PID CREATED_COMM: "running" is written when start returns,
# while init may still run startContainer hooks and close fds before it execs
# the program; until then it keeps the command name it had while created.
wait_for_exec() {
	retry 10 _comm_is_not "$1" "$2" || fail "init $1 is still '$2' after 10s: it did not exec its program"
}

# Remembers container ids given to box so assert_nothing_left can look for
# their cgroups. Parses: [global opts] COMMAND [opts] ID ...
record_ids() {
	[[ -n "${BOX_IDS_FILE:-}" ]] || return 0
	local cmd=""
	while (($#)); do
		case "$1" in
		--root | --log | --log-format) shift 2 || return 0 ;;
		-*) shift ;;
		*)
			cmd="$1"
			shift
			break
			;;
		esac
	done
	case "$cmd" in
	create | run | start | state | kill | delete | pause | resume | exec | ps | events | update) ;;
	*) return 0 ;;
	esac
	while (($#)); do
		case "$1" in
		--bundle | -b | --pid-file | --console-socket | --process | -p | --cwd | --env | -e | --user | -u)
			shift 2 || return 0
			;;
		--) shift ;;
		-*) shift ;;
		*)
			printf '%s\n' "$1" >>"$BOX_IDS_FILE"
			return 0
			;;
		esac
	done
}

recorded_ids() {
	{
		[[ -f "${BOX_IDS_FILE:-}" ]] && cat "$BOX_IDS_FILE"
		box_root_ids
	} | sort -u
}

# Directories (container ids) in the state dir.
box_root_ids() {
	[[ -d "$BOX_ROOT" ]] || return 0
	find "$BOX_ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort
}

# update_config JQ-EXPR [BUNDLE]: edits config.json in place.
update_config() {
	local expr="$1" dir="${2:-$BUNDLE}" out
	out="$(jq "$expr" "$dir/config.json")" || fail "update_config: jq failed on: $expr"
	printf '%s\n' "$out" >"$dir/config.json"
}

# set_args ARG...: sets process.args.
set_args() {
	local json
	json="$(jq -cn '$ARGS.positional' --args -- "$@")"
	update_config ".process.args = $json"
}

# state_field ID FIELD: prints one field of `box state ID` (raw).
state_field() {
	local out
	out="$(box state "$1")" || return 1
	jq -r ".$2" <<<"$out"
}

# container_pid ID
container_pid() {
	state_field "$1" pid
}

# ---------------------------------------------------------------------------
# Polling
# ---------------------------------------------------------------------------

# file_has_lines FILE N: FILE exists and has at least N non-empty lines. For
# polling with retry (which re-runs a command; a "$(...)" argument would be
# evaluated only once).
file_has_lines() {
	[[ -f "$1" ]] && (($(grep -c . "$1") >= $2))
}

# retry TIMEOUT CMD...: runs CMD every 0.05 s until it succeeds or TIMEOUT
# seconds (may be fractional) have passed.
retry() {
	local timeout="$1"
	shift
	local now deadline
	now="${EPOCHREALTIME/./}"
	deadline=$((now + $(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000000 }')))
	while true; do
		if "$@"; then
			return 0
		fi
		now="${EPOCHREALTIME/./}"
		((now < deadline)) || return 1
		sleep 0.05
	done
}

_status_is() {
	[[ "$(state_field "$1" status 2>/dev/null)" == "$2" ]]
}

# wait_for_status ID STATUS [TIMEOUT=10]
wait_for_status() {
	local id="$1" want="$2" timeout="${3:-10}"
	if ! retry "$timeout" _status_is "$id" "$want"; then
		local got
		got="$(state_field "$id" status 2>&1)" || true
		fail "container $id did not reach status '$want' within ${timeout}s (last: $got)"
	fi
}

# wait_for_file PATH [TIMEOUT=10]
wait_for_file() {
	local path="$1" timeout="${2:-10}"
	if ! retry "$timeout" test -e "$path"; then
		fail "file $path did not appear within ${timeout}s"
	fi
}

_has_whole_line() {
	[[ -s "$1" && -z "$(tail -c 1 "$1")" ]]
}

# wait_for_text PATH [TIMEOUT=10]: PATH exists and ends with a newline. For a
# file a process in the container writes with `echo ... > PATH`, which exists
# (empty) for a moment before the text is in it.
wait_for_text() {
	local path="$1" timeout="${2:-10}"
	if ! retry "$timeout" _has_whole_line "$path"; then
		fail "file $path did not get a line of text within ${timeout}s (has: '$(cat "$path" 2>/dev/null)')"
	fi
}

_pid_gone() {
	[[ ! -e "/proc/$1" ]] || [[ "$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null)" == Z ]]
}

# wait_for_pid_gone PID [TIMEOUT=10]: the process has exited (or is a zombie).
wait_for_pid_gone() {
	local pid="$1" timeout="${2:-10}"
	if ! retry "$timeout" _pid_gone "$pid"; then
		fail "process $pid still alive after ${timeout}s"
	fi
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	[[ "$1" =~ ^[0-9]+$ ]] && (($1 > 0)) && ! _pid_gone "$1"
}

# ---------------------------------------------------------------------------
# "Nothing left" checks
# ---------------------------------------------------------------------------

# own_mounts [MOUNTINFO]: the mounts of a mountinfo file (default: ours, the
# host's) that belong to this test, one "ID MOUNTPOINT FSTYPE SOURCE" a line:
#   - at or below the test's tmpdir, $BOX_ROOT or $BUNDLE (its bundles, state
#     dirs and anything a container's mount namespace leaked into ours);
#   - bind mounts of something from the tmpdir elsewhere (the mount's root in
#     its filesystem is the tmpdir's path, or a suffix of it when /tmp is a
#     file system of its own);
#   - a mount point with a path component naming a container id of the test
#     ($CID, or $CID-...);
#   - "/" and the destinations of $BUNDLE's config (mounts, maskedPaths,
#     readonlyPaths): what a container would have mounted in our namespace.
# Mounts made meanwhile by anything else on the host (another engine's
# containers under /var/lib/containers, /run/netns, systemd's automounts, a
# user's /run/user/UID) are not the test's and are left out.
own_mounts() {
	local info="${1:-/proc/self/mountinfo}" dests=""
	if [[ -n "${BUNDLE:-}" && -f "$BUNDLE/config.json" ]]; then
		dests="$(jq -r '.mounts[]?.destination, .linux.maskedPaths[]?, .linux.readonlyPaths[]?' \
			"$BUNDLE/config.json" 2>/dev/null | tr '\n' ' ')" || dests=""
	fi
	awk -v tmp="${BATS_TEST_TMPDIR:-}" -v roots="${BOX_ROOT:-} ${BUNDLE:-}" \
		-v cid="${CID:-}" -v dests="/ $dests" '
		function unescape(s) {
			gsub(/\\040/, " ", s); gsub(/\\011/, "\t", s); gsub(/\\012/, "\n", s)
			gsub(/\\134/, "\\\\", s)
			return s
		}
		function at_or_below(path, dir) {
			return dir != "" && (path == dir || index(path, dir "/") == 1)
		}
		function names_cid(path,   n, c, i) {
			if (cid == "") return 0
			n = split(path, c, "/")
			for (i = 1; i <= n; i++)
				if (c[i] == cid || index(c[i], cid "-") == 1) return 1
			return 0
		}
		BEGIN {
			n = split(roots, dirs, " ")
			if (tmp != "") dirs[++n] = tmp
			# tmp and its suffixes of 3 or more components
			nsuf = 0
			if (tmp != "") {
				k = split(tmp, c, "/")
				for (i = 2; i <= k - 2; i++) {
					s = ""
					for (j = i; j <= k; j++) s = s "/" c[j]
					suf[++nsuf] = s
				}
			}
			nd = split(dests, d, " ")
			for (i = 1; i <= nd; i++) dest[d[i]] = 1
		}
		{
			m = unescape($5); r = unescape($4)
			i = index($0, " - "); split(substr($0, i + 3), t, " ")
			own = (m in dest) || names_cid(m)
			for (j = 1; !own && j <= n; j++) own = at_or_below(m, dirs[j])
			for (j = 1; !own && j <= nsuf; j++) own = at_or_below(r, suf[j])
			if (own) print $1, $5, t[1], t[2]
		}' "$info"
}

# new_mounts: mount points of the test's own mounts (own_mounts) that
# appeared in our mount namespace since setup.
new_mounts() {
	[[ -f "${MOUNTS_SNAPSHOT:-}" ]] || return 0
	own_mounts | awk 'NR == FNR { seen[$1] = 1; next } !($1 in seen) { print $2 }' "$MOUNTS_SNAPSHOT" -
}

# mounts_under DIR: mount points at or below DIR.
mounts_under() {
	local dir="$1"
	# mountinfo escapes space, tab, newline and backslash as \ooo
	awk -v d="$dir" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' /proc/self/mountinfo
}

unmount_under() {
	local m
	mounts_under "$1" | sort -r | while IFS= read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

# Host processes whose root or cwd is the bundle's rootfs (or inside it).
# /proc/PID/root of a pivot_root'ed process reads as "/", so compare the
# device:inode of the root with the rootfs directory as well.
stray_pids() {
	[[ -n "${BUNDLE:-}" && -d "$BUNDLE/rootfs" ]] || return 0
	local rootfs="$BUNDLE/rootfs" want
	want="$(stat -c '%d:%i' "$rootfs")"
	# (few commands on purpose: every command is slow under bats' debug trap)
	{
		stat -L -c 'I %d:%i %n' /proc/[0-9]*/root 2>/dev/null
		find /proc/[0-9]*/root /proc/[0-9]*/cwd -maxdepth 0 -printf 'L %l %p\n' 2>/dev/null
	} | awk -v want="$want" -v rootfs="$rootfs" -v self="$$" '
		{ p = $3; sub(/^\/proc\//, "", p); sub(/\/.*/, "", p) }
		p == self { next }
		$1 == "I" && $2 == want { print p; next }
		$1 == "L" && ($2 == rootfs || index($2, rootfs "/") == 1) { print p }
	' | sort -un
}

# (for retry: stray_pids inside $(...) in retry's arguments would run once)
_no_stray_pids() {
	[[ -z "$(stray_pids)" ]]
}

kill_stray_processes() {
	local pids
	pids="$(stray_pids)"
	[[ -z "$pids" ]] && return 0
	# shellcheck disable=SC2086 # word splitting of the pid list is intended
	kill -9 $pids 2>/dev/null || true
}

# Ids that are safe to turn into a path component.
_safe_ids() {
	recorded_ids | grep -E '^[A-Za-z0-9_.+-]+$' | grep -vE '^\.\.?$' || true
}

# Existing cgroup directories of the container ids this test used: the
# runtime's default path /box/<id> (absolute, and relative to our own cgroup,
# per hierarchy), plus linux.cgroupsPath from the bundle config when set.
leftover_cgroups() {
	local ids cfg_path="" bases
	ids="$(_safe_ids)"
	[[ -n "$ids" ]] || return 0
	if [[ -n "${BUNDLE:-}" && -f "$BUNDLE/config.json" ]]; then
		cfg_path="$(jq -r '.linux.cgroupsPath // empty' "$BUNDLE/config.json" 2>/dev/null)" || cfg_path=""
	fi
	if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
		bases=/sys/fs/cgroup
	else
		bases="$(printf '%s ' /sys/fs/cgroup/*/)"
	fi
	{
		# shellcheck disable=SC2086 # safe ids contain no blanks or globs
		printf 'I %s\n' $ids
		sed 's/^[^:]*:[^:]*:/O /' /proc/self/cgroup
	} | awk -v bases="$bases" -v cfg="$cfg_path" '
		$1 == "I" { ids[$2] = 1; next }
		$1 == "O" && $2 != "/" { owns[$2] = 1 }
		END {
			owns[""] = 1
			n = split(bases, b, " ")
			for (i = 1; i <= n; i++) {
				base = b[i]; sub(/\/$/, "", base)
				for (id in ids) for (o in owns) print base o "/box/" id
				if (cfg ~ /^\//) print base cfg
			}
		}' | sort -u | xargs -r -d '\n' ls -d 2>/dev/null || true
}

remove_cgroups() {
	local dir
	for dir in $(leftover_cgroups); do
		# children first
		find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

# assert_nothing_left: the state dir has no container, no mount appeared
# since setup, no process runs in the bundle's rootfs, and no cgroup of any
# container id this test used exists.
assert_nothing_left() {
	local problems=() left

	left="$(box_root_ids)"
	[[ -z "$left" ]] || problems+=("state directories in $BOX_ROOT: ${left//$'\n'/ }")

	left="$(new_mounts)"
	[[ -z "$left" ]] || problems+=("new mounts on the host since setup: ${left//$'\n'/ }")

	left="$(stray_pids)"
	if [[ -n "$left" ]]; then
		local p desc=""
		for p in $left; do
			desc+="$p($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)) "
		done
		problems+=("processes still running in $BUNDLE/rootfs: $desc")
	fi

	left="$(leftover_cgroups)"
	[[ -z "$left" ]] || problems+=("cgroups left: ${left//$'\n'/ }")

	if ((${#problems[@]})); then
		fail "$(printf 'something was left behind:\n'; printf '  - %s\n' "${problems[@]}")"
	fi
}

# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------

# requires FEATURE...: skips the test naming the first missing prerequisite.
# shellcheck disable=SC2317 # redefined below; this body lives on as a copy
requires() {
	local f
	for f in "$@"; do
		case "$f" in
		root)
			is_rootless && skip "requires root"
			;;
		rootless)
			is_rootless || skip "requires rootless"
			;;
		userns)
			[[ -e /proc/self/ns/user ]] || skip "requires userns"
			[[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ]] || skip "requires userns"
			if is_rootless && [[ -f /proc/sys/kernel/unprivileged_userns_clone ]] &&
				[[ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" != 1 ]]; then
				skip "requires userns"
			fi
			;;
		newuidmap)
			if ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
				skip "requires newuidmap"
			fi
			;;
		cgroup_v1)
			[[ -f /sys/fs/cgroup/cgroup.controllers ]] && skip "requires cgroup_v1"
			[[ -d /sys/fs/cgroup/memory || -d /sys/fs/cgroup/pids ]] || skip "requires cgroup_v1"
			;;
		cgroup_v2)
			[[ -f /sys/fs/cgroup/cgroup.controllers ]] || skip "requires cgroup_v2"
			;;
		seccomp)
			grep -q '^Seccomp:' /proc/self/status || skip "requires seccomp"
			;;
		runc)
			command -v runc >/dev/null || skip "requires runc"
			;;
		jq)
			command -v jq >/dev/null || skip "requires jq"
			;;
		*)
			fail "requires: unknown prerequisite '$f'"
			;;
		esac
	done
	return 0
}

# ---------------------------------------------------------------------------
# Known failures
# ---------------------------------------------------------------------------

# known_failure REASON FUNC [ARGS...]
# Runs FUNC in a subshell with `set -e`. If it fails, the test is skipped as
# "known failure: REASON"; if it passes, the test fails so the stale marker
# gets removed.
known_failure() {
	local reason="$1"
	shift
	[[ $# -gt 0 ]] || fail "known_failure: no function given"
	local rc=0
	# Run in the background and `wait`: a subshell used as a condition
	# (`( ... ) || x`) would silently disable set -e inside it.
	(
		set -e
		# set -e is also ignored when known_failure itself runs in a condition
		# context (e.g. inside `run` or `if`): refuse rather than mis-report.
		local probe
		probe="$(
			(
				set -e
				false
				echo leaked
			)
			exit 0
		)"
		if [[ "$probe" == leaked ]]; then
			echo "known_failure: set -e has no effect here (called inside run/if/&&/||?)" >&2
			exit 99
		fi
		"$@"
	) &
	wait $! || rc=$?
	if ((rc == 99)); then
		fail "known_failure: cannot evaluate $* with set -e in this context ($reason)"
		return 1
	fi
	if ((rc != 0)); then
		skip "known failure: $reason"
	fi
	fail "known failure now passes: remove the marker ($reason)"
}

# ---------------------------------------------------------------------------
# Misc
# ---------------------------------------------------------------------------

# freezer_state PID: FROZEN or THAWED, from the cgroup v1 freezer of PID or
# cgroup.freeze on cgroup v2.
freezer_state() {
	local path
	path=$(awk -F: '$2 == "freezer" { print $3 }' "/proc/$1/cgroup")
	if [[ -n "$path" ]]; then
		cat "/sys/fs/cgroup/freezer$path/freezer.state"
		return
	fi
	path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup")
	local f=/sys/fs/cgroup$path/cgroup.freeze
	[[ -f /sys/fs/cgroup/cgroup.controllers ]] || f=/sys/fs/cgroup/unified$path/cgroup.freeze
	[[ "$(cat "$f")" == 1 ]] && echo FROZEN || echo THAWED
}

# ns_inode PID|self TYPE: prints "type:[inode]" of a namespace.
ns_of() {
	readlink "/proc/$1/ns/$2"
}

# assert_box_error [-N] MESSAGE: after `run --separate-stderr box ...`:
# exit status N (default 1), nothing on stdout, and exactly one line on
# stderr, "box: ...", containing MESSAGE.
# shellcheck disable=SC2154 # status/output/stderr/stderr_lines come from bats `run`
assert_box_error() {
	local want=1
	if [[ "$1" =~ ^-[0-9]+$ ]]; then
		want="${1#-}"
		shift
	fi
	local msg="$1"
	if [[ "$status" -ne "$want" ]]; then
		fail "$(printf 'expected exit status %s, got %s\nstdout: %s\nstderr: %s' "$want" "$status" "$output" "${stderr-}")"
	fi
	if [[ -z "${stderr+set}" ]]; then
		fail "assert_box_error needs: run --separate-stderr ..."
	fi
	if [[ ${#stderr_lines[@]} -ne 1 ]]; then
		fail "$(printf 'expected exactly one line on stderr, got %s:\n%s' "${#stderr_lines[@]}" "$stderr")"
	fi
	if [[ "${stderr_lines[0]}" != "box: "* ]]; then
		fail "stderr does not start with 'box: ': $stderr"
	fi
	if [[ "$stderr" != *"$msg"* ]]; then
		fail "$(printf 'stderr does not contain the expected message\nexpected: %s\nactual  : %s' "$msg" "$stderr")"
	fi
	if [[ -n "$output" ]]; then
		fail "expected nothing on stdout, got: $output"
	fi
}

# ---------------------------------------------------------------------------
# cgroups (issue 5: cgroups.bats, pause.bats, ps.bats, update.bats,
# events.bats). Extends `requires` with cgroup prerequisites, delegating
# every other name to the definition above.
# ---------------------------------------------------------------------------

# cgroup2_mount: the cgroup v2 hierarchy: /sys/fs/cgroup on a pure v2 host,
# /sys/fs/cgroup/unified on a hybrid one. Prints nothing and fails without one.
cgroup2_mount() {
	local m
	for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		if [[ "$(stat -f -c %T "$m" 2>/dev/null)" == cgroup2* ]]; then
			echo "$m"
			return 0
		fi
	done
	return 1
}

# cgroup_mounts: one line per mounted hierarchy, "MOUNTPOINT KEY", where KEY
# is the hierarchy's field in /proc/PID/cgroup ("cpu,cpuacct", "memory",
# "name=systemd", ...) or "v2" for the cgroup v2 one.
cgroup_mounts() {
	awk '
		FNR == NR { if ($1 !~ /^#/) known[$1] = 1; next }
		{
			i = index($0, " - "); split(substr($0, i + 3), t, " ")
			if (t[1] == "cgroup2") { print $5, "v2"; next }
			if (t[1] != "cgroup") next
			n = split(t[3], o, ","); key = ""
			for (j = 1; j <= n; j++)
				if (o[j] in known || o[j] ~ /^name=/) key = key (key == "" ? "" : ",") o[j]
			if (key != "") print $5, key
		}' /proc/cgroups /proc/self/mountinfo | sort -u
}

# cgroup_of PID KEY: PID's cgroup path in the hierarchy KEY (as printed by
# cgroup_mounts; "v2" for the cgroup v2 hierarchy).
cgroup_of() {
	local pid="$1" key="$2"
	[[ "$key" == v2 ]] && key=""
	awk -F: -v k="$key" '$1 != "" && $2 == k { sub(/^[^:]*:[^:]*:/, ""); print; exit }' "/proc/$pid/cgroup"
}

# cgroup_v1_mount CONTROLLER: mount point of the v1 hierarchy that has
# CONTROLLER (e.g. memory, freezer, name=systemd); fails when none has.
cgroup_v1_mount() {
	cgroup_mounts | awk -v c="$1" '$2 != "v2" { n = split($2, k, ","); for (i = 1; i <= n; i++) if (k[i] == c) { print $1; found = 1; exit } } END { exit !found }'
}

# cgroup_v2_has CONTROLLER: the cgroup v2 hierarchy has CONTROLLER enabled at its root.
cgroup_v2_has() {
	local m
	m="$(cgroup2_mount)" || return 1
	grep -qw -- "$1" "$m/cgroup.controllers" 2>/dev/null
}

# Extra prerequisites (the missing one is named in the skip reason):
#   cgroup2                a cgroup v2 hierarchy (pure v2, or the unified
#                          one of a hybrid host)
#   cgroup_v2_controllers  the v2 hierarchy has the cpu, cpuset, memory and
#                          pids controllers (a hybrid host's usually has none)
#   cgroup_controller=NAME NAME is usable in v1 or v2
eval "_requires_before_cgroups() $(declare -f requires | tail -n +2)"
requires() {
	local f c m
	for f in "$@"; do
		case "$f" in
		cgroup2)
			cgroup2_mount >/dev/null || skip "requires cgroup2 (no cgroup2 hierarchy is mounted)"
			;;
		cgroup_v2_controllers)
			m="$(cgroup2_mount)" || skip "requires cgroup_v2_controllers (no cgroup2 hierarchy is mounted)"
			for c in cpu cpuset memory pids; do
				cgroup_v2_has "$c" ||
					skip "requires cgroup_v2_controllers (no $c controller in $m/cgroup.controllers)"
			done
			;;
		cgroup_controller=*)
			c="${f#*=}"
			if ! cgroup_v1_mount "$c" >/dev/null && ! cgroup_v2_has "$c"; then
				skip "requires $f (no $c controller in cgroup v1 or v2)"
			fi
			;;
		*)
			_requires_before_cgroups "$f"
			;;
		esac
	done
	return 0
}

# The limit files that linux.resources and update write, v1 and v2.
LIMIT_FILES=(cpu.shares cpu.cfs_quota_us cpu.cfs_period_us cpu.rt_runtime_us cpu.rt_period_us
	memory.limit_in_bytes memory.soft_limit_in_bytes memory.memsw.limit_in_bytes memory.oom_control
	memory.swappiness pids.max cpuset.cpus cpuset.mems blkio.weight blkio.bfq.weight blkio.leaf_weight
	cpu.weight cpu.max memory.max memory.low memory.swap.max io.weight io.bfq.weight)

# limit_values CGROUP: "HIERARCHY/FILE VALUE" for each of LIMIT_FILES under the
# cgroup path CGROUP (e.g. /box/$CID) in every hierarchy, one a line.
limit_values() {
	local mp _ f
	while read -r mp _; do
		for f in "${LIMIT_FILES[@]}"; do
			[[ -r "$mp$1/$f" ]] || continue
			printf '%s %s\n' "${mp##*/}/$f" "$(tr '\n' ' ' <"$mp$1/$f")"
		done
	done < <(cgroup_mounts)
}

# ---------------------------------------------------------------------------
# box-checker (issue 3): verifies a spec from inside the container.
# Usage:
#   setup_checker                  # after setup_bundle; the checker becomes the process
#   update_config '...'            # the constraints under test
#   run_checker                    # fails the test with the checker's complaints
# ---------------------------------------------------------------------------

# The checker binary: $BOX_CHECKER, or the one next to $BOX_BIN.
BOX_CHECKER="${BOX_CHECKER:-$(dirname "$BOX_BIN")/box-checker}"

require_checker() {
	if [[ ! -x "$BOX_CHECKER" ]]; then
		fail "box-checker not found at $BOX_CHECKER: run make (or set BOX_CHECKER)"
	fi
}

# setup_checker: copies the checker into the bundle's rootfs, makes it the
# container's process and gives it the host's namespace inodes
# (BOX_HOST_NS_<TYPE>=inode) to tell new namespaces from shared ones.
setup_checker() {
	require_checker
	cp "$BOX_CHECKER" "$BUNDLE/rootfs/box-checker"
	local type link env=()
	for type in pid network mount ipc uts user cgroup time; do
		case "$type" in
		network) link=net ;;
		mount) link=mnt ;;
		*) link="$type" ;;
		esac
		[[ -e "/proc/self/ns/$link" ]] || continue
		env+=("BOX_HOST_NS_${type^^}=$(stat -L -c %i "/proc/self/ns/$link")")
	done
	local json
	json="$(jq -cn '$ARGS.positional' --args -- "${env[@]}")"
	update_config ".process.args = [\"/box-checker\"] | .process.env += $json"
}

# run_checker: `box run`s the bundle with its config.json copied in as
# /spec.json; fails the test, printing what the checker saw, unless the run
# exits 0 with nothing on stderr.
# shellcheck disable=SC2154 # status/output/stderr come from bats `run`
run_checker() {
	cp "$BUNDLE/config.json" "$BUNDLE/rootfs/spec.json"
	# readable by whichever user the spec runs the checker as
	chmod 0644 "$BUNDLE/rootfs/spec.json"
	run --separate-stderr box run --bundle "$BUNDLE" "$CID"
	if [[ "$status" -ne 0 || -n "$stderr" ]]; then
		fail "$(printf 'box-checker failed (exit status %s):\n%s\nstdout: %s' "$status" "$stderr" "$output")"
	fi
}

# box_bg OUTFILE ARGS...: starts `box ARGS...` in the background (for
# streaming commands such as `events`), its stdout and stderr going straight
# to OUTFILE; BOX_BG_PID is its pid. It is killed after BOX_CMD_TIMEOUT
# seconds like any box call.
box_bg() {
	local out="$1"
	shift
	record_ids "$@"
	timeout -k 5 "$BOX_CMD_TIMEOUT" "$BOX_BIN" --root "$BOX_ROOT" "$@" >"$out" 2>&1 3>&- </dev/null &
	# shellcheck disable=SC2034 # for the caller
	BOX_BG_PID=$!
}

# ---------------------------------------------------------------------------
# Robustness (issue 8: load.bats, faults.bats, bad-input.bats)
# ---------------------------------------------------------------------------

# mount_table [MOUNTINFO]: the test's own mounts (own_mounts) in a mountinfo
# file (default: ours, now), "MOUNTPOINT FSTYPE SOURCE" a line, sorted (mount
# ids left out: only what is mounted where matters).
mount_table() {
	own_mounts "${1:-/proc/self/mountinfo}" | cut -d' ' -f2- | sort
}

# assert_mount_table_unchanged MOUNTINFO: the test's own mounts are what they
# were in MOUNTINFO (a copy of /proc/self/mountinfo taken earlier), mount for
# mount: a stricter check than new_mounts, as a mount of the test's that is
# gone counts too. Both sides are filtered the same way, now.
assert_mount_table_unchanged() {
	local diff
	diff="$(diff <(mount_table "$1") <(mount_table) | grep '^[<>]')" || true
	[[ -z "$diff" ]] || fail "$(printf 'the mount table changed (< gone, > new):\n%s' "$diff")"
}

# fd_list PID: PID's open file descriptors, one "FD -> TARGET" a line. For
# PID = the calling shell, redirect to a file (a `$(...)` pipe would be one of
# them); the pipeline runs in a subshell so that its pipe is not.
fd_list() {
	(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%f -> %l\n' 2>/dev/null | sort -n)
}

# box_pids_for_root [ROOT]: pids of box processes whose command line names
# --root ROOT (default $BOX_ROOT), i.e. box invocations of this test still
# running (including containers' inits that have not exec'd yet).
box_pids_for_root() {
	local root="${1:-$BOX_ROOT}"
	# the pattern comes from a file: grep's own command line must not match
	grep -lzxF -f <(printf '%s\n' "$root") /proc/[0-9]*/cmdline 2>/dev/null |
		awk -F/ -v self="$$" -v me="$BASHPID" '$3 != self && $3 != me { print $3 }' | sort -un
}

# start_oom_container: starts the container with a memory limit of 32 MiB and
# no swap. Its init waits for /go, then runs a process that allocates past the
# limit and records its exit status in /rc. dd's single 64 MiB read faults the
# whole buffer in at once, so the OOM killer acts in one step instead of after
# a slow reclaim crawl (and without swap it cannot page its way out).
start_oom_container() {
	update_config '.linux.resources.memory = { limit: 33554432, swap: 33554432 }'
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'while [ ! -e /go ]; do usleep 20000; done
dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo $? > /rc
sleep 1000'
	start_container
}

# ---------------------------------------------------------------------------
# runc as the reference (issue 12): the same config run with runc in the test
# itself, where runc is installed. Root only: rootless runc needs a setup of
# its own.
# ---------------------------------------------------------------------------

# runc_available: runc is installed and we are root.
runc_available() {
	command -v runc >/dev/null && ! is_rootless
}

# runc_ref ARGS...: runc with a state dir of this test.
runc_ref() {
	# timeout runs runc in a background process group: with a terminal on
	# stdin (make test at a terminal), runc exec's setns process stops on it
	# (SIGTTOU/SIGTTIN) and is killed by the timeout. No test types into it.
	if [[ -t 0 ]]; then
		timeout -k 5 "$BOX_CMD_TIMEOUT" runc --root "$BATS_TEST_TMPDIR/runc-state" "$@" </dev/null
	else
		timeout -k 5 "$BOX_CMD_TIMEOUT" runc --root "$BATS_TEST_TMPDIR/runc-state" "$@"
	fi
}

# runc_bg ARGS...: runc_ref for create and run -d, whose container keeps the
# stdio it was given: not bats' pipes (a `run` would wait for the container).
# Fails the test with runc's error.
runc_bg() {
	runc_ref "$@" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/runc.err" ||
		fail "runc $* failed: $(cat "$BATS_TEST_TMPDIR/runc.err")"
}

# runc_bundle [CGROUPS_PATH]: prints a bundle for runc with $BUNDLE's config
# and a copy of its rootfs (both as they are now), in cgroup CGROUPS_PATH
# (default /boxtest-runc-$CID), so that it can run beside the box container
# (and its processes are not taken for the box container's).
runc_bundle() {
	local dir="$BATS_TEST_TMPDIR/runc-bundle" cg="${1:-/boxtest-runc-$CID}"
	mkdir -p "$dir"
	[[ -d "$dir/rootfs" ]] || cp -a "$BUNDLE/rootfs" "$dir/rootfs" || fail "runc_bundle: cannot copy the rootfs"
	jq --arg cg "$cg" '.root.path = "rootfs" | .linux.cgroupsPath = $cg' \
		"$BUNDLE/config.json" >"$dir/config.json" || fail "runc_bundle: jq failed"
	echo "$dir"
}

# runc_cleanup: deletes what runc_ref made (called by box_teardown).
runc_cleanup() {
	[[ -d "$BATS_TEST_TMPDIR/runc-state" ]] || return 0
	local id
	for id in $(runc_ref list -q 2>/dev/null); do
		runc_ref delete --force "$id" >/dev/null 2>&1 || true
	done
}

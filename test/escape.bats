#!/usr/bin/env bats
# Known ways out of runc-style runtimes: each attempt fails and the host is
# unchanged afterwards.

load helpers

setup() {
	box_setup
	setup_bundle
	REAL_BOX_BIN="$BOX_BIN"
}

teardown() {
	# a test may have pointed box at a copy of the binary
	BOX_BIN="$REAL_BOX_BIN"
	kill_host_sleeper
	box_teardown
}

# ---------------------------------------------------------------------------
# Paths in the rootfs that point out of it
# ---------------------------------------------------------------------------

# The number of ../ that surely climbs from the rootfs to the host's /.
ups() {
	local n
	n="$(tr -cd / <<<"$BUNDLE/rootfs" | wc -c)"
	printf '../%.0s' $(seq 1 $((n + 2)))
}

@test "escape: a bind-mount destination through a symlink to / or ../.. lands inside the rootfs" {
	local src="$BATS_TEST_TMPDIR/src" tmp="$BATS_TEST_TMPDIR"
	mkdir -p "$src"
	echo from-src >"$src/marker"
	echo from-src >"$tmp/srcfile"
	ln -s / "$BUNDLE/rootfs/abs"
	ln -s "$(ups)" "$BUNDLE/rootfs/rel"
	update_config ".mounts += [
		{destination: \"/abs$tmp/landing-abs\", type: \"bind\", source: \"$src\", options: [\"rbind\"]},
		{destination: \"/rel$tmp/landing-rel\", type: \"bind\", source: \"$src\", options: [\"rbind\"]},
		{destination: \"/rel$tmp/landing-file\", type: \"bind\", source: \"$tmp/srcfile\", options: [\"bind\"]}]"
	set_args sh -c "cat $tmp/landing-abs/marker $tmp/landing-rel/marker $tmp/landing-file"
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "$(printf 'from-src\nfrom-src\nfrom-src')"
	# created inside the rootfs, not on the host
	assert_dir_exists "$BUNDLE/rootfs$tmp/landing-abs"
	assert_dir_exists "$BUNDLE/rootfs$tmp/landing-rel"
	assert_file_exists "$BUNDLE/rootfs$tmp/landing-file"
	assert_not_exists "$tmp/landing-abs"
	assert_not_exists "$tmp/landing-rel"
	assert_not_exists "$tmp/landing-file"
	assert_nothing_left
}

@test "escape: a bind-mount destination that is a symlink to a host directory lands inside the rootfs" {
	local src="$BATS_TEST_TMPDIR/src" host="$BATS_TEST_TMPDIR/hostdir"
	mkdir -p "$src" "$host"
	echo from-src >"$src/marker"
	echo keep >"$host/keep"
	ln -s "$host" "$BUNDLE/rootfs/etc/evil-abs"
	ln -s "$(ups)${host#/}" "$BUNDLE/rootfs/etc/evil-rel"
	update_config ".mounts += [
		{destination: \"/etc/evil-abs\", type: \"bind\", source: \"$src\", options: [\"rbind\"]},
		{destination: \"/etc/evil-rel/sub\", type: \"bind\", source: \"$src\", options: [\"rbind\"]}]"
	set_args sh -c 'cat /etc/evil-abs/marker /etc/evil-rel/sub/marker'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "$(printf 'from-src\nfrom-src')"
	assert_equal "$(ls -A "$host")" keep
	assert_dir_exists "$BUNDLE/rootfs$host"
	assert_nothing_left
}

@test "escape: the cwd is resolved inside the rootfs" {
	local name="cwd-escape-$CID"
	ln -s / "$BUNDLE/rootfs/abs"
	ln -s "$(ups)" "$BUNDLE/rootfs/rel"
	local cwd
	for cwd in /abs/tmp /rel/tmp; do
		update_config ".process.cwd = \"$cwd\""
		set_args sh -c "touch $name && pwd"
		run box run --bundle "$BUNDLE" "$CID"
		assert_success
		assert_file_exists "$BUNDLE/rootfs/tmp/$name"
		assert_not_exists "/tmp/$name"
		rm -f "$BUNDLE/rootfs/tmp/$name"
	done
	assert_nothing_left
}

@test "escape: a masked path replaced by a symlink to a host file does not reach it" {
	local secret="$BATS_TEST_TMPDIR/host-secret" hostdir="$BATS_TEST_TMPDIR/host-dir"
	echo "host secret" >"$secret"
	mkdir -p "$hostdir"
	echo "host file" >"$hostdir/file"
	local before
	before="$(stat -c '%i %s %Y' "$secret" "$hostdir" "$hostdir/file")"
	ln -s "$secret" "$BUNDLE/rootfs/etc/secret-abs"
	ln -s "$(ups)${secret#/}" "$BUNDLE/rootfs/etc/secret-rel"
	ln -s "$hostdir" "$BUNDLE/rootfs/etc/dir-abs"
	update_config '.linux.maskedPaths += ["/etc/secret-abs", "/etc/secret-rel", "/etc/dir-abs"]
		| .linux.readonlyPaths += ["/etc/dir-abs"]'
	set_args sh -c 'cat /etc/secret-abs /etc/secret-rel /etc/dir-abs/file
		echo pwned > /etc/secret-abs; echo pwned > /etc/secret-rel; echo pwned > /etc/dir-abs/file
		true'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	refute_output --partial "host secret"
	refute_output --partial "host file"
	assert_equal "$(cat "$secret")" "host secret"
	assert_equal "$(cat "$hostdir/file")" "host file"
	assert_equal "$(stat -c '%i %s %Y' "$secret" "$hostdir" "$hostdir/file")" "$before"
	assert_nothing_left
}

@test "escape: masked and read-only paths that are symlinks protect their targets, inside the rootfs" {
	local r="$BUNDLE/rootfs"
	mkdir -p "$r/data/dir" "$r/data/ro-dir"
	echo "masked secret" >"$r/data/file"
	echo "masked inner" >"$r/data/dir/inner"
	echo orig >"$r/data/ro-file"
	ln -s /data/file "$r/mask-file"
	ln -s ../data/dir "$r/mask-dir"
	ln -s data/ro-file "$r/ro-file"
	ln -s /data/ro-dir "$r/ro-dir"
	# symlinks out of the rootfs name a host file and a host directory; the
	# same paths exist inside the rootfs, and that is what must be protected
	local secret="$BATS_TEST_TMPDIR/host-secret" hostdir="$BATS_TEST_TMPDIR/host-dir" before
	echo "host secret" >"$secret"
	mkdir -p "$hostdir" "$r$hostdir"
	echo "host file" >"$hostdir/file"
	echo "inside secret" >"$r$secret"
	echo "inside file" >"$r$hostdir/file"
	ln -s "$(ups)${secret#/}" "$r/etc/secret-rel"
	ln -s "$hostdir" "$r/etc/dir-abs"
	before="$(stat -c '%i %s %Y' "$secret" "$hostdir" "$hostdir/file")"
	update_config '.linux.maskedPaths += ["/mask-file", "/mask-dir", "/etc/secret-rel"]
		| .linux.readonlyPaths += ["/ro-file", "/ro-dir", "/etc/dir-abs"]'
	set_args sh -c 'cat /data/file /etc/secret-rel; ls /data/dir
		echo pwned >>/data/ro-file && echo wrote-ro-file
		touch /data/ro-dir/new && echo wrote-ro-dir
		echo pwned >>/etc/dir-abs/file && echo wrote-dir-abs
		cat /etc/dir-abs/file; true'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	refute_output --partial secret
	refute_output --partial inner
	refute_output --partial wrote-
	refute_output --partial "host file"
	assert_output --partial "inside file"
	assert_equal "$(cat "$r/data/ro-file")" orig
	assert_file_not_exists "$r/data/ro-dir/new"
	assert_equal "$(cat "$secret")" "host secret"
	assert_equal "$(cat "$hostdir/file")" "host file"
	assert_equal "$(stat -c '%i %s %Y' "$secret" "$hostdir" "$hostdir/file")" "$before"
	assert_nothing_left
}

# runc refuses these too ("must be mounted on ordinary directory"): through
# the symlink, the container's proc or sysfs would land somewhere else.
@test "escape: a rootfs whose /proc or /sys is a symlink is refused, and nothing is mounted where it points" {
	local r="$BUNDLE/rootfs" hostdir="$BATS_TEST_TMPDIR/host-dir" dest
	mkdir "$hostdir"
	# sysfs itself, also in the rootless pass (whose spec binds the host's /sys)
	update_config '.mounts |= map(if .destination == "/sys" then {destination: "/sys", type: "sysfs",
		source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]} else . end)'
	for dest in proc sys; do
		rm -rf "${r:?}/$dest"
		ln -s "$hostdir" "$r/$dest"
		run --separate-stderr box create --bundle "$BUNDLE" "$CID"
		local fs=proc
		[[ "$dest" == proc ]] || fs=sysfs
		assert_box_error "filesystem \"$fs\" must be mounted on an ordinary directory: \"/$dest\" in the rootfs is a symlink"
		assert_nothing_left
		assert_equal "$(find "$hostdir" -mindepth 1)" ""
		assert_file_not_exists "$r$hostdir"
		rm "$r/$dest"
		mkdir "$r/$dest"
	done
}

# ---------------------------------------------------------------------------
# Kernel interfaces
# ---------------------------------------------------------------------------

@test "escape: /proc/sys and /sys cannot be written in a default spec" {
	local panic
	panic="$(cat /proc/sys/kernel/panic)"
	local cg_probe="box-escape-$CID"
	# Opening for writing without writing anything: harmless even if it worked.
	set_args sh -c "for f in /proc/sys/kernel/panic /proc/sys/vm/drop_caches /proc/sys/kernel/core_pattern \
			/proc/sysrq-trigger /sys/kernel/uevent_helper /sys/kernel/mm/transparent_hugepage/enabled; do
			[ -e \$f ] || continue
			if printf '' >> \$f; then echo \"opened \$f\"; else echo \"refused \$f\"; fi
		done
		touch /sys/box-escape || echo 'refused sysfs create'
		for d in /sys/fs/cgroup /sys/fs/cgroup/*; do
			mkdir \$d/$cg_probe 2>/dev/null && echo \"created \$d/$cg_probe\"
		done
		true"
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	refute_output --partial opened
	refute_output --partial created
	assert_line "refused /proc/sys/kernel/panic"
	assert_line "refused sysfs create"
	if ! is_rootless; then
		assert_output --partial "Read-only file system"
	fi
	assert_equal "$(cat /proc/sys/kernel/panic)" "$panic"
	local d
	for d in /sys/fs/cgroup /sys/fs/cgroup/*; do
		assert_not_exists "$d/$cg_probe"
	done
}

# ---------------------------------------------------------------------------
# The runtime binary (CVE-2019-5736)
# ---------------------------------------------------------------------------

# use_box_copy: runs this test's box commands from a copy of the binary, so
# a successful attack damages only the copy. Prints nothing.
use_box_copy() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cp "$REAL_BOX_BIN" "$BATS_TEST_TMPDIR/bin/box"
	BOX_BIN="$BATS_TEST_TMPDIR/bin/box"
	BOX_SUM="$(sha256sum <"$BOX_BIN")"
}

assert_box_copy_intact() {
	[[ "$(sha256sum <"$BOX_BIN")" == "$BOX_SUM" ]] || fail "the host's runtime binary was modified from inside the container"
}

# The attacker's side: hold the target's exe open (read-only is enough), and
# once the runtime has gone, reopen it for writing through /proc/self/fd.
# Appends to /tmp/attack.log: "opened" or "refused", then "written" if the
# binary could be modified, and "done".
# shellcheck disable=SC2016 # expanded by the container's shell
ATTACK_HOLD='
	if command exec 3<"$target"; then echo opened >> /tmp/attack.log; else echo refused >> /tmp/attack.log; echo done >> /tmp/attack.log; exit 0; fi
'
# shellcheck disable=SC2016 # expanded by the container's shell
ATTACK_WRITE='
	i=0
	while [ $i -lt 100 ]; do
		i=$((i + 1))
		if printf "#pwned" >> /proc/self/fd/3; then echo written >> /tmp/attack.log; break; fi
		sleep 0.05
	done 2>/dev/null
	echo done >> /tmp/attack.log
'

attack_log_has() {
	grep -qx "$1" "$BUNDLE/rootfs/tmp/attack.log" 2>/dev/null
}

@test "escape: /proc/1/exe of a created container cannot be used against the runtime binary" {
	requires root
	use_box_copy
	set_args sleep 1000
	create_container
	# While the container is created, its pid 1 is the runtime waiting for start.
	# shellcheck disable=SC2016 # expanded by the container's shell
	box exec -d "$CID" sh -c 'target=/proc/1/exe
		'"$ATTACK_HOLD"'
		# wait until pid 1 is no longer the runtime
		while [ "$(readlink /proc/1/exe)" != /bin/busybox ]; do sleep 0.02; done
		'"$ATTACK_WRITE"
	retry 5 attack_log_has opened || retry 1 attack_log_has refused || fail "the attacker did not get going"
	box start "$CID"
	retry 30 attack_log_has "done" || fail "the attacker did not finish: $(cat "$BUNDLE/rootfs/tmp/attack.log")"
	assert_box_copy_intact
	run attack_log_has written
	assert_failure
}

# libraries_for BINARY ROOTFS: copies the binary's shared libraries into
# ROOTFS, so that it can run there (the busybox rootfs has no libc).
libraries_for() {
	local lib
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		mkdir -p "$2$(dirname "$lib")"
		cp -L "$lib" "$2$lib"
	done
}

@test "escape: exec of /proc/self/exe cannot be used against the runtime binary" {
	requires root
	command -v ldd >/dev/null || skip "needs ldd"
	use_box_copy
	# With a libc in the rootfs, the runtime binary could run inside the container.
	libraries_for "$BOX_BIN" "$BUNDLE/rootfs"
	mkfifo "$BUNDLE/rootfs/tmp/fifo"
	# Waits for a process whose command line says --log, and attacks its exe.
	# (A script file, so that the attacker's own command line does not say --log.)
	# shellcheck disable=SC2016 # expanded by the container's shell
	printf '%s\n' 'n=0
		while [ $n -lt 200 ]; do
			n=$((n + 1))
			for d in /proc/[0-9]*; do
				grep -q -- --log "$d/cmdline" 2>/dev/null || continue
				target=$d/exe
				'"$ATTACK_HOLD"'
				cat /tmp/fifo >/dev/null
				'"$ATTACK_WRITE"'
				exec sleep 1000
			done
			sleep 0.02
		done
		echo "gave up" >> /tmp/attack.log; echo done >> /tmp/attack.log; exec sleep 1000' >"$BUNDLE/rootfs/attack.sh"
	set_args sh /attack.sh
	start_container
	# The process box exec starts is the runtime itself; it blocks opening the fifo for its log.
	run timeout 15 "$BOX_BIN" --root "$BOX_ROOT" exec "$CID" /proc/self/exe --root /tmp --log /tmp/fifo list
	retry 30 attack_log_has "done" || fail "the attacker did not finish: $(cat "$BUNDLE/rootfs/tmp/attack.log" 2>&1)"
	assert_box_copy_intact
	run attack_log_has written
	assert_failure
}

# ---------------------------------------------------------------------------
# File descriptors and pids
# ---------------------------------------------------------------------------

# extra_fds OUTPUT: from `ls -l .../fd` output, the fds above 2 that
# still point somewhere (the directory ls itself opened is gone by the time
# ls reads its link, or points to /proc/N/fd).
extra_fds() {
	awk '{
		fd = $NF; target = ""
		for (i = 2; i < NF; i++) if ($i == "->") { fd = $(i - 1); target = $(i + 1) }
	}
	fd ~ /^[0-9]+$/ && fd > 2 && target != "" && target !~ /^\/proc\/[0-9]+\/fd$/ { print }' <<<"$1"
}

run_with_extra_fds() {
	"$@" 7<"$BUNDLE/config.json" 8>"$BATS_TEST_TMPDIR/leak" 9<"$BATS_TEST_TMPDIR"
}

@test "escape: the container process sees only fds 0, 1 and 2" {
	set_args ls -l /proc/self/fd
	run run_with_extra_fds box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --regexp ' 0 -> '
	assert_line --regexp ' 1 -> '
	assert_line --regexp ' 2 -> '
	[[ -z "$(extra_fds "$output")" ]] || fail "$(printf 'fds the container should not have:\n%s\nall:\n%s' "$(extra_fds "$output")" "$output")"
}

@test "escape: a process started with exec sees only fds 0, 1 and 2, and so does init" {
	set_args sleep 1000
	# extra fds at create time too: init must not keep them
	run_with_extra_fds start_container
	run run_with_extra_fds box exec "$CID" ls -l /proc/self/fd
	assert_success
	[[ -z "$(extra_fds "$output")" ]] || fail "$(printf 'fds exec should not pass:\n%s\nall:\n%s' "$(extra_fds "$output")" "$output")"
	run box exec "$CID" ls -l /proc/1/fd
	assert_success
	[[ -z "$(extra_fds "$output")" ]] || fail "$(printf 'fds init should not have:\n%s\nall:\n%s' "$(extra_fds "$output")" "$output")"
}

@test "escape: --preserve-fds passes exactly the fds asked for" {
	set_args ls -l /proc/self/fd
	run box run --preserve-fds 1 --bundle "$BUNDLE" "$CID" 3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json"
	assert_success
	assert_line --regexp " 3 -> .*/config.json$"
	refute_line --regexp " 4 -> "
}

HOST_SLEEPER=""
kill_host_sleeper() {
	if [[ -n "$HOST_SLEEPER" ]]; then
		kill "$HOST_SLEEPER" 2>/dev/null || true
		wait "$HOST_SLEEPER" 2>/dev/null || true
	fi
	HOST_SLEEPER=""
}

@test "escape: a container process cannot see host pids" {
	sleep 1000 &
	HOST_SLEEPER=$!
	# the glob runs in the shell itself, pid 1: nothing else may be listed
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'for p in /proc/[0-9]*; do echo "${p#/proc/}"; done
		kill -0 '"$HOST_SLEEPER"' 2>/dev/null && echo "host pid visible"; true'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output 1
}

@test "escape: a process started with exec cannot see host pids either" {
	sleep 1000 &
	HOST_SLEEPER=$!
	set_args sleep 1000
	start_container
	# shellcheck disable=SC2016 # expanded by the container's shell
	run box exec "$CID" sh -c 'for p in /proc/[0-9]*; do echo "${p#/proc/}"; done
		kill -0 '"$HOST_SLEEPER"' 2>/dev/null && echo "host pid visible"; true'
	assert_success
	refute_line "host pid visible"
	refute_line "$HOST_SLEEPER"
	refute_line "$$"
	# init and the exec'd shell
	assert_equal "${#lines[@]}" 2
}

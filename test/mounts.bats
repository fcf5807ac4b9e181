#!/usr/bin/env bats
# Mounts, the default /dev, masked and read-only paths.
# shellcheck disable=SC2016 # container-side code is single-quoted on purpose

load helpers

setup() {
	box_setup
	setup_bundle
	HOSTDIR="$BATS_TEST_TMPDIR/hostdir"
	mkdir -p "$HOSTDIR"
	echo orig >"$HOSTDIR/file"
}

teardown() {
	box_teardown
}

# add_mount JSON-OBJECT
add_mount() {
	update_config ".mounts += [$1]"
}

@test "read-only bind mount: writes inside fail and the host file is untouched" {
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"ro\"]}"
	set_args sh -c 'if echo new > /data/file; then echo WROTE; else echo DENIED; fi
if touch /data/created; then echo CREATED; else echo DENIED; fi
cat /data/file'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 DENIED
	assert_line --index 1 DENIED
	assert_line --index 2 orig
	assert_equal "$(cat "$HOSTDIR/file")" orig
	assert_file_not_exists "$HOSTDIR/created"
}

@test "read-only bind mount shows ro in the container's mount table" {
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"ro\"]}"
	set_args awk '$2 == "/data" { print $4 }' /proc/mounts
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output --regexp '^ro(,|$)'
}

@test "read-write bind mount: a write inside is visible on the host" {
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"rw\"]}"
	set_args sh -c 'cat /data/file; echo from-container > /data/new'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output orig
	assert_file_exists "$HOSTDIR/new"
	assert_equal "$(cat "$HOSTDIR/new")" from-container
}

@test "bind mount of a single file" {
	echo "file content" >"$BATS_TEST_TMPDIR/single"
	add_mount "{\"destination\": \"/etc/single\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/single\", \"options\": [\"bind\", \"ro\"]}"
	set_args cat /etc/single
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "file content"
}

@test "tmpfs mount is in /proc/mounts with its options" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "mode=750", "size=1m"]}'
	set_args awk '$2 == "/scratch" { print $1, $3, $4 }' /proc/mounts
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output --regexp '^tmpfs tmpfs '
	local opts
	opts="$(awk '{print $3}' <<<"$output")"
	local o
	for o in nosuid nodev noexec size=1024k mode=750; do
		[[ ",$opts," == *",$o,"* ]] || fail "option $o missing from /scratch mount options: $opts"
	done
}

@test "tmpfs mount is empty and writable, and nothing reaches the rootfs" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	set_args sh -c 'ls -A /scratch | wc -l; echo x > /scratch/f && cat /scratch/f'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 --regexp '^ *0$'
	assert_line --index 1 x
	assert_file_not_exists "$BUNDLE/rootfs/scratch/f"
}

@test "/proc and /dev are mounted" {
	set_args awk '$2 == "/proc" || $2 == "/dev" || $2 == "/dev/pts" || $2 == "/dev/shm" { print $2, $3 }' /proc/mounts
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line "/proc proc"
	assert_line "/dev tmpfs"
	assert_line "/dev/pts devpts"
	assert_line "/dev/shm tmpfs"
}

@test "/proc shows the container's own processes" {
	set_args sh -c 'ls /proc | grep -c "^[0-9]"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	# sh, ls and grep at most: not the host's processes
	((output <= 4)) || fail "container /proc shows $output processes"
}

@test "default devices are character devices with the right major:minor" {
	# busybox stat prints major/minor in hex
	set_args sh -c 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line "null character special file 1:3"
	assert_line "zero character special file 1:5"
	assert_line "full character special file 1:7"
	assert_line "random character special file 1:8"
	assert_line "urandom character special file 1:9"
	assert_line "tty character special file 5:0"
}

@test "default devices work: /dev/null swallows, /dev/zero gives zeros" {
	set_args sh -c 'echo gone > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1; head -c 16 /dev/urandom | wc -c'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 null-ok
	assert_line --index 1 --regexp '^ *00 00 00 00 *$'
	assert_line --index 2 --regexp '^ *16$'
}

@test "/dev/fd, /dev/stdin, /dev/stdout, /dev/stderr symlinks" {
	set_args sh -c 'for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line "fd -> /proc/self/fd"
	assert_line "stdin -> /proc/self/fd/0"
	assert_line "stdout -> /proc/self/fd/1"
	assert_line "stderr -> /proc/self/fd/2"
}

@test "/dev/ptmx points into the devpts instance" {
	set_args readlink /dev/ptmx
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output --regexp '^(/dev/)?pts/ptmx$'
}

# A destination through a symlink in the rootfs must resolve inside the
# rootfs, never on the host.
@test "bind mount destination through an absolute symlink to / stays in the rootfs" {
	ln -s / "$BUNDLE/rootfs/escape"
	echo marker >"$HOSTDIR/marker"
	local name="boxescape-$CID"
	add_mount "{\"destination\": \"/escape/$name\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"ro\"]}"
	set_args cat "/$name/marker"
	run box run --bundle "$BUNDLE" "$CID"
	local host_dir_created=no
	if [[ -e "/$name" ]]; then
		host_dir_created=yes
		rmdir "/$name" 2>/dev/null || true
	fi
	assert_equal "host /$name created: $host_dir_created" "host /$name created: no"
	assert_success
	assert_output marker
	assert_dir_exists "$BUNDLE/rootfs/$name"
}

@test "bind mount destination through a relative ../.. symlink stays in the rootfs" {
	mkdir -p "$BUNDLE/rootfs/a"
	ln -s ../../../../../../../../.. "$BUNDLE/rootfs/a/up"
	echo marker >"$HOSTDIR/marker"
	local name="boxescape2-$CID"
	add_mount "{\"destination\": \"/a/up/$name\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\", \"ro\"]}"
	set_args cat "/$name/marker"
	run box run --bundle "$BUNDLE" "$CID"
	local host_dir_created=no
	if [[ -e "/$name" ]]; then
		host_dir_created=yes
		rmdir "/$name" 2>/dev/null || true
	fi
	assert_equal "host /$name created: $host_dir_created" "host /$name created: no"
	assert_success
	assert_output marker
	assert_dir_exists "$BUNDLE/rootfs/$name"
}

@test "mount destinations that do not exist are created inside the rootfs" {
	add_mount "{\"destination\": \"/new/deep/dir\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\"]}"
	set_args cat /new/deep/dir/file
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output orig
	assert_dir_exists "$BUNDLE/rootfs/new/deep/dir"
}

@test "root.readonly makes / read-only inside" {
	update_config '.root.readonly = true'
	set_args sh -c 'if touch /newfile; then echo WROTE; else echo DENIED; fi; awk "\$2 == \"/\" { print \$4 }" /proc/mounts'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 DENIED
	assert_line --index 1 --regexp '^ro(,|$)'
	assert_file_not_exists "$BUNDLE/rootfs/newfile"
}

@test "maskedPaths: a masked file reads empty, a masked dir is empty" {
	update_config '.linux.maskedPaths = ["/proc/version", "/sys/kernel"]'
	set_args sh -c 'wc -c < /proc/version; ls -A /sys/kernel | wc -l'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --index 0 --regexp '^ *0$'
	assert_line --index 1 --regexp '^ *0$'
}

@test "maskedPaths: paths that do not exist are ignored" {
	update_config '.linux.maskedPaths = ["/proc/no-such-file", "/sys/no-such-dir"]'
	set_args echo ok
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output ok
}

@test "readonlyPaths: /proc/sys is mounted read-only" {
	update_config '.linux.readonlyPaths = ["/proc/sys"]'
	set_args awk '$2 == "/proc/sys" { print $4 }' /proc/mounts
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output --regexp '^ro(,|$)'
}

@test "container mounts do not appear on the host" {
	add_mount "{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$HOSTDIR\", \"options\": [\"rbind\"]}"
	start_container
	run mounts_under "$BUNDLE"
	assert_output ""
	run grep -c " $BUNDLE/rootfs" /proc/self/mountinfo
	assert_output 0
}

@test "rbind,rro: the submounts of a recursive bind are read-only too" {
	requires root # the test mounts a tmpfs on the host
	local src="$BATS_TEST_TMPDIR/rro-src"
	mkdir -p "$src/sub" "$BUNDLE/rootfs/mnt/rro"
	mount -t tmpfs -o size=1m tmpfs "$src/sub" || fail "cannot mount a tmpfs at $src/sub"
	add_mount "{\"destination\": \"/mnt/rro\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"rbind\", \"rro\", \"rnosuid\"]}"
	set_args sh -c 'touch /mnt/rro/top && echo wrote-top
		touch /mnt/rro/sub/inner && echo wrote-sub
		grep " /mnt/rro" /proc/self/mountinfo; true'
	run box run --bundle "$BUNDLE" "$CID"
	umount "$src/sub"
	assert_success
	refute_output --partial wrote-
	assert_line --regexp ' /mnt/rro ro,nosuid'
	assert_line --regexp ' /mnt/rro/sub ro,nosuid'
	assert_file_not_exists "$src/top"
	assert_nothing_left
}

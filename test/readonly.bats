#!/usr/bin/env bats
# root.readonly and linux.readonlyPaths: writes fail with EROFS.

load helpers

setup() {
	box_setup
	setup_bundle
	setup_checker
	mkdir -p "$BUNDLE/rootfs/srv/ro" "$BUNDLE/rootfs/srv/rw"
	echo original >"$BUNDLE/rootfs/srv/ro/file"
	echo original >"$BUNDLE/rootfs/etc/motd"
}

teardown() {
	box_teardown
}

@test "readonly: a read-only root holds" {
	update_config '.root.readonly = true'
	run_checker
}

@test "readonly: a writable root holds" {
	update_config '.root.readonly = false'
	run_checker
}

@test "readonly: a read-only root rejects writes, its writable mounts do not" {
	update_config '.root.readonly = true'
	set_args sh -c 'touch /new || echo "root refused"
		echo changed > /etc/motd || echo "motd refused"
		touch /dev/shm/new && echo "shm written"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --partial "Read-only file system"
	assert_line "root refused"
	assert_line "motd refused"
	assert_line "shm written"
	assert_not_exists "$BUNDLE/rootfs/new"
	assert_equal "$(cat "$BUNDLE/rootfs/etc/motd")" original
}

@test "readonly: read-only paths, a directory and a file, hold" {
	update_config '.linux.readonlyPaths += ["/srv/ro", "/etc/motd"]'
	run_checker
}

@test "readonly: read-only paths reject writes, the rest of the root does not" {
	update_config '.linux.readonlyPaths += ["/srv/ro", "/etc/motd"]'
	set_args sh -c 'touch /srv/ro/new || echo "dir refused"
		echo changed > /srv/ro/file || echo "dir file refused"
		echo changed > /etc/motd || echo "file refused"
		touch /srv/rw/new && echo "rw written"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --partial "Read-only file system"
	assert_line "dir refused"
	assert_line "dir file refused"
	assert_line "file refused"
	assert_line "rw written"
	assert_not_exists "$BUNDLE/rootfs/srv/ro/new"
	assert_equal "$(cat "$BUNDLE/rootfs/srv/ro/file")" original
	assert_equal "$(cat "$BUNDLE/rootfs/etc/motd")" original
	assert_file_exists "$BUNDLE/rootfs/srv/rw/new"
}

@test "readonly: a read-only path that does not exist is skipped and not created" {
	update_config '.linux.readonlyPaths += ["/no/such/dir"]'
	run_checker
	assert_not_exists "$BUNDLE/rootfs/no"
}

@test "readonly: /proc/sys and /proc/sysrq-trigger of the default spec are read-only" {
	# Opening for writing without writing: harmless even if it were allowed.
	set_args sh -c 'printf "" >> /proc/sys/kernel/hostname || echo "hostname refused"
		printf "" >> /proc/sysrq-trigger || echo "sysrq refused"
		touch /proc/sys/new || echo "create refused"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line "hostname refused"
	assert_line "sysrq refused"
	assert_line "create refused"
	if ! is_rootless; then
		# A rootless container's root does not own these files: EACCES comes first.
		assert_line --partial "Read-only file system"
	fi
}

@test "readonly: a process started with exec cannot write either" {
	update_config '.root.readonly = true | .linux.readonlyPaths += ["/srv/ro"]'
	set_args sleep 1000
	start_container
	run box exec "$CID" touch /new
	assert_failure
	assert_output --partial "Read-only file system"
	run box exec "$CID" touch /dev/shm/ok
	assert_success
	assert_not_exists "$BUNDLE/rootfs/new"
}

@test "readonly: the container cannot remount its root read-write" {
	update_config '.root.readonly = true | .linux.readonlyPaths += ["/srv/ro"]'
	set_args sh -c 'mount -o remount,rw / ; mount -o remount,rw /srv/ro; touch /new /srv/ro/new'
	run box run --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_not_exists "$BUNDLE/rootfs/new"
	assert_not_exists "$BUNDLE/rootfs/srv/ro/new"
}

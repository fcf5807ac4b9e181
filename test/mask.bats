#!/usr/bin/env bats
# linux.maskedPaths: files hidden behind /dev/null, directories behind an
# empty read-only tmpfs.

load helpers

setup() {
	box_setup
	setup_bundle
	setup_checker
	echo "top secret" >"$BUNDLE/rootfs/etc/secret"
	mkdir -p "$BUNDLE/rootfs/srv/secret/sub"
	echo a >"$BUNDLE/rootfs/srv/secret/a"
	echo b >"$BUNDLE/rootfs/srv/secret/sub/b"
}

teardown() {
	box_teardown
}

@test "mask: the default masked paths hold" {
	run_checker
}

@test "mask: a masked file and a masked directory" {
	update_config '.linux.maskedPaths += ["/etc/secret", "/srv/secret"]'
	run_checker
	update_config '.root.readonly = true'
	run_checker
}

@test "mask: a masked file reads as empty and is /dev/null" {
	update_config '.linux.maskedPaths += ["/etc/secret"]'
	set_args sh -c 'cat /etc/secret; stat -c "%F %t:%T" /etc/secret'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "character special file 1:3"
}

@test "mask: writing to a masked file does not reach it" {
	update_config '.linux.maskedPaths += ["/etc/secret"]'
	set_args sh -c 'echo overwritten > /etc/secret'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_equal "$(cat "$BUNDLE/rootfs/etc/secret")" "top secret"
}

@test "mask: a masked directory is empty and read-only" {
	update_config '.linux.maskedPaths += ["/srv/secret"]'
	set_args sh -c 'ls -A /srv/secret; touch /srv/secret/new || echo "touch failed"'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_line --partial "Read-only file system"
	assert_line "touch failed"
	refute_line a
	refute_line sub
	assert_file_exists "$BUNDLE/rootfs/srv/secret/a"
	assert_file_exists "$BUNDLE/rootfs/srv/secret/sub/b"
	assert_not_exists "$BUNDLE/rootfs/srv/secret/new"
}

@test "mask: a masked path that does not exist is skipped and not created" {
	update_config '.linux.maskedPaths += ["/no/such/file", "/srv/missing"]'
	run_checker
	assert_not_exists "$BUNDLE/rootfs/no"
	assert_not_exists "$BUNDLE/rootfs/srv/missing"
}

@test "mask: a process started with exec sees the masks too" {
	update_config '.linux.maskedPaths += ["/etc/secret", "/srv/secret"]'
	set_args sleep 1000
	start_container
	run box exec "$CID" sh -c 'cat /etc/secret; ls -A /srv/secret'
	assert_success
	assert_output ""
}

@test "mask: the container cannot unmount a mask" {
	update_config '.linux.maskedPaths += ["/etc/secret", "/srv/secret"]'
	set_args sh -c 'umount /etc/secret; umount /srv/secret; umount -l /proc/keys; cat /etc/secret; ls -A /srv/secret'
	run box run --bundle "$BUNDLE" "$CID"
	refute_output --partial "top secret"
	refute_line a
}

@test "mask: masked /proc files read as empty" {
	# The defaults name /proc/keys and /proc/timer_list among others; check the ones this kernel has.
	# shellcheck disable=SC2016 # expanded by the container's shell
	set_args sh -c 'for f in /proc/keys /proc/timer_list /proc/kcore /proc/sched_debug; do
			[ -e "$f" ] && echo "$f $(wc -c < "$f")"
		done; true'
	run box run --bundle "$BUNDLE" "$CID"
	assert_success
	local line
	for line in "${lines[@]}"; do
		[[ "$line" == *" 0" ]] || fail "not empty: $line"
	done
}

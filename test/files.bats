#!/usr/bin/env bats
# Files box writes or removes outside a container (issue 11): the --pid-file
# and spec's config.json are written through temporary files that a planted
# symlink cannot redirect; --root must be the caller's own and not writable by
# others; an entry of --root that is a symlink is refused, and nothing behind
# it is touched; delete removes a state directory whatever else is in it.

load helpers

setup() {
	box_setup
	setup_bundle
}

teardown() {
	# the container of the default --root test, should it fail half-way
	if [[ -d "${BATS_TEST_TMPDIR:-}/xdg/box" ]]; then
		chmod 0700 "$BATS_TEST_TMPDIR/xdg/box"
		XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg" "$BOX_BIN" delete --force "$CID" >/dev/null 2>&1 || true
	fi
	box_teardown
}

# plant_symlinks DIR NAME TARGET: symlinks to TARGET at the temporary names a
# writer of DIR/NAME might use (box's old NAME.tmp, runc's .NAME).
plant_symlinks() {
	ln -s "$3" "$1/$2.tmp"
	ln -s "$3" "$1/.$2"
	ln -s "$3" "$1/.$2.tmp"
}

# assert_regular_file_with PATH CONTENT: PATH is a regular file (not a
# symlink) holding CONTENT.
assert_regular_file_with() {
	[[ -f "$1" && ! -L "$1" ]] || fail "$1 is not a regular file: $(ls -l "$1" 2>&1)"
	assert_equal "$(cat "$1")" "$2"
}

# --- --pid-file and spec ----------------------------------------------------

@test "files: create --pid-file never follows a symlink planted at a temporary name" {
	local victim="$BATS_TEST_TMPDIR/victim" pidfile="$BATS_TEST_TMPDIR/init.pid"
	echo precious >"$victim"
	plant_symlinks "$BATS_TEST_TMPDIR" init.pid "$victim"
	box create --bundle "$BUNDLE" --pid-file "$pidfile" "$CID"
	assert_regular_file_with "$victim" precious
	assert_regular_file_with "$pidfile" "$(container_pid "$CID")"
	# the planted links are not box's to remove
	[[ -L "$pidfile.tmp" ]] || fail "$pidfile.tmp was removed"
}

@test "files: exec --pid-file never follows a symlink planted at a temporary name" {
	local victim="$BATS_TEST_TMPDIR/victim" pidfile="$BATS_TEST_TMPDIR/exec.pid"
	echo precious >"$victim"
	plant_symlinks "$BATS_TEST_TMPDIR" exec.pid "$victim"
	start_container
	box exec --detach --pid-file "$pidfile" "$CID" sleep 1000
	assert_regular_file_with "$victim" precious
	local pid
	pid="$(cat "$pidfile")"
	pid_alive "$pid" || fail "the pid file names $pid, which is not running"
}

@test "files: spec never follows a symlink planted at a temporary name next to config.json" {
	local dir="$BATS_TEST_TMPDIR/new-bundle" victim="$BATS_TEST_TMPDIR/victim"
	mkdir "$dir"
	echo precious >"$victim"
	plant_symlinks "$dir" config.json "$victim"
	run --separate-stderr "$BOX_BIN" spec --bundle "$dir"
	assert_success
	assert_regular_file_with "$victim" precious
	[[ -f "$dir/config.json" && ! -L "$dir/config.json" ]] || fail "config.json is not a regular file"
	run jq -r .ociVersion "$dir/config.json"
	assert_success
	# a dangling symlink at config.json itself counts as an existing file
	rm "$dir/config.json"
	ln -s "$BATS_TEST_TMPDIR/no-such-file" "$dir/config.json"
	run --separate-stderr "$BOX_BIN" spec --bundle "$dir"
	assert_box_error "config.json already exists in \"$dir\""
	assert_file_not_exists "$BATS_TEST_TMPDIR/no-such-file"
}

# --- entries of --root --------------------------------------------------------

@test "files: a symlink --root/ID is refused by state, list, kill and delete; nothing behind it is touched" {
	local elsewhere="$BATS_TEST_TMPDIR/elsewhere" f
	mkdir "$elsewhere"
	for f in init state.json exec.fifo state.json.tmp init.tmp other; do
		echo keep >"$elsewhere/$f"
	done
	start_container
	ln -s "$elsewhere" "$BOX_ROOT/link"

	run --separate-stderr box state link
	assert_box_error "container \"link\": \"$BOX_ROOT/link\" is a symbolic link, not a state directory"
	run --separate-stderr box list
	assert_success
	assert_line --regexp "^$CID +[0-9]+ +running "
	[[ "$stderr" == *'"link"'*'symbolic link'* ]] || fail "list gives no warning about link: $stderr"
	run --separate-stderr box kill link KILL
	assert_box_error 'container "link": '
	run --separate-stderr box delete link
	assert_box_error 'container "link": '
	run --separate-stderr box delete --force link
	assert_box_error 'container "link": '

	assert_equal "$(cd "$elsewhere" && echo *)" "exec.fifo init init.tmp other state.json state.json.tmp"
	for f in "$elsewhere"/*; do
		assert_equal "$(cat "$f")" keep
	done
	rm "$BOX_ROOT/link"
	assert_equal "$(state_field "$CID" status)" running
	box delete --force "$CID"
	assert_nothing_left
}

@test "files: delete --force removes a state directory with stray files, directories and symlinks in it" {
	local victim="$BATS_TEST_TMPDIR/victim" dir="$BOX_ROOT/$CID"
	mkdir "$victim"
	echo keep >"$victim/state.json"
	start_container
	echo stray >"$dir/stray-file"
	mkdir -p "$dir/stray-dir/a/b"
	echo stray >"$dir/stray-dir/a/b/file"
	ln -s "$victim" "$dir/link-to-dir"
	ln -s "$victim/state.json" "$dir/link-to-file"
	run --separate-stderr box delete --force "$CID"
	assert_success
	assert_dir_not_exists "$dir"
	assert_equal "$(cat "$victim/state.json")" keep
	assert_nothing_left
}

@test "files: delete of a stopped container removes stray files in its state directory" {
	set_args true
	create_container
	box start "$CID"
	wait_for_status "$CID" stopped
	echo stray >"$BOX_ROOT/$CID/stray-file"
	run --separate-stderr box delete "$CID"
	assert_success
	assert_dir_not_exists "$BOX_ROOT/$CID"
	assert_nothing_left
}

# --- --root itself --------------------------------------------------------------

# assert_root_refused ROOT MESSAGE: list, state and create with --root ROOT
# fail with one line containing MESSAGE, and nothing is created in ROOT.
assert_root_refused() {
	local root="$1" msg="$2" before
	before="$(ls -A "$root")"
	BOX_ROOT="$root" run --separate-stderr box list
	assert_box_error "$msg"
	BOX_ROOT="$root" run --separate-stderr box state "$CID"
	assert_box_error "$msg"
	BOX_ROOT="$root" run --separate-stderr box create --bundle "$BUNDLE" "$CID"
	assert_box_error "$msg"
	assert_equal "$(ls -A "$root")" "$before"
	assert_nothing_left
}

@test "files: a --root that group or others can write is refused, saying what to set" {
	local root="$BATS_TEST_TMPDIR/open-root"
	mkdir "$root"
	chmod 0777 "$root"
	assert_root_refused "$root" "--root \"$root\" is writable by group or others (mode 0777)"
	assert_regex "$stderr" 'set (XDG_RUNTIME_DIR or )?--root to a directory of your own$'
	chmod 0770 "$root"
	assert_root_refused "$root" "--root \"$root\" is writable by group or others (mode 0770)"
	# the caller's own 0700 or 0755 directory is fine
	chmod 0755 "$root"
	BOX_ROOT="$root" run --separate-stderr box list --quiet
	assert_success
	assert_output ""
}

@test "files: a --root owned by another user is refused" {
	local root
	if is_rootless; then
		# /tmp is the other user's (root's), and everyone can write it: the attack itself
		root=/tmp
		BOX_ROOT="$root" run --separate-stderr box list
		assert_box_error "--root \"$root\" is owned by uid 0, not by uid $(id -u)"
		assert_regex "$stderr" 'set XDG_RUNTIME_DIR or --root to a directory of your own$'
		BOX_ROOT="$root" run --separate-stderr box create --bundle "$BUNDLE" "$CID"
		assert_box_error "--root \"$root\" is owned by uid 0"
		assert_dir_not_exists "/tmp/$CID"
	else
		root="$BATS_TEST_TMPDIR/their-root"
		mkdir -m 0700 "$root"
		chown 65534:65534 "$root"
		assert_root_refused "$root" "--root \"$root\" is owned by uid 65534, not by uid 0"
	fi
	assert_nothing_left
}

@test "files: a --root that is a symlink in a directory others can write is refused" {
	local sticky="$BATS_TEST_TMPDIR/sticky" real="$BATS_TEST_TMPDIR/real-root"
	mkdir -m 0700 "$real"
	mkdir "$sticky"
	chmod 1777 "$sticky"
	ln -s "$real" "$sticky/root"
	assert_root_refused "$sticky/root" "--root \"$sticky/root\" is a symbolic link in \"$sticky\", which others can write"
	# through a symlink in a directory of one's own it is fine
	ln -s "$real" "$BATS_TEST_TMPDIR/my-link"
	BOX_ROOT="$BATS_TEST_TMPDIR/my-link" run --separate-stderr box list --quiet
	assert_success
}

@test "files: rootless default --root is \$XDG_RUNTIME_DIR/box, made 0700, refused when others can write it" {
	requires rootless
	local xdg="$BATS_TEST_TMPDIR/xdg"
	mkdir -m 0700 "$xdg"
	# (output to a file: the container's init would hold a pipe of bats' run open)
	XDG_RUNTIME_DIR="$xdg" "$BOX_BIN" create --bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 ||
		fail "create with the default --root failed: $(cat "$BATS_TEST_TMPDIR/create.out")"
	assert_equal "$(stat -c %a "$xdg/box")" 700
	XDG_RUNTIME_DIR="$xdg" run --separate-stderr "$BOX_BIN" delete --force "$CID"
	assert_success
	chmod 0777 "$xdg/box"
	XDG_RUNTIME_DIR="$xdg" run --separate-stderr "$BOX_BIN" list
	assert_box_error "--root \"$xdg/box\" is writable by group or others (mode 0777)"
	assert_regex "$stderr" 'set XDG_RUNTIME_DIR or --root to a directory of your own$'
	assert_nothing_left
}

#!/usr/bin/env bats
# make install: the stripped binary, box(8) generated from --help, and the bash
# completion, under DESTDIR and PREFIX as packagers call it.

load helpers

setup() {
	box_setup
	BUILD="$(dirname "$BOX_BIN")"
	[[ -f "$BUILD/box.8" ]] || fail "no box.8 beside $BOX_BIN: run make (it generates the man page)"
	DEST="$BATS_TEST_TMPDIR/dest"
	run make -C "$REPO" --no-print-directory install BUILD_DIR="$BUILD" DESTDIR="$DEST" PREFIX=/usr
	assert_success
	INSTALLED="$DEST/usr/sbin/box"
}

teardown() {
	box_teardown
}

@test "make install DESTDIR PREFIX=/usr: a stripped box that runs, box(8) and the completion" {
	assert_file_executable "$INSTALLED"
	# the systemd cgroup driver's D-Bus helper, beside box where box looks for it
	assert_file_executable "$DEST/usr/sbin/box-systemd"
	assert_file_exists "$DEST/usr/share/man/man8/box.8"
	assert_file_exists "$DEST/usr/share/bash-completion/completions/box"
	# nothing else, nowhere else
	run find "$DEST" -type f
	assert_equal "$(sort <<<"$output")" "$(printf '%s\n' "$DEST/usr/sbin/box" "$DEST/usr/sbin/box-systemd" \
		"$DEST/usr/share/bash-completion/completions/box" "$DEST/usr/share/man/man8/box.8" | sort)"
	# stripped: no symbol table (the build's binary has one)
	run readelf -S "$INSTALLED"
	assert_success
	refute_output --partial .symtab
	run readelf -S "$BOX_BIN"
	assert_output --partial .symtab
	run "$INSTALLED" --version
	assert_success
	assert_equal "$output" "$("$BOX_BIN" --version)"
}

@test "make install without a build names what is missing" {
	run make -C "$REPO" --no-print-directory install BUILD_DIR="$BATS_TEST_TMPDIR/nobuild" DESTDIR="$DEST.2"
	assert_failure
	assert_output --partial "$BATS_TEST_TMPDIR/nobuild/box is missing: run make first"
	assert_not_exists "$DEST.2"
}

@test "box(8) renders, and is --help and help COMMAND for every command" {
	local page="$DEST/usr/share/man/man8/box.8" text cmd
	text="$(MANWIDTH=200 man -l "$page" 2>&1)" || fail "man -l failed: $text"
	# groff's warnings would mean a broken page
	run groff -man -Tutf8 -ww -z "$page"
	assert_success
	assert_output ""
	[[ "$text" == *"box - a small, fast OCI container runtime"* ]] || fail "no NAME line in: $text"
	# every command's usage and flags, as `box help CMD` prints them
	for cmd in $("$INSTALLED" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'); do
		[[ "$cmd" != help ]] || continue
		local usage
		usage="$("$INSTALLED" help "$cmd" | grep '^Usage: ')"
		[[ "$text" == *"$usage"* ]] || fail "box(8) lacks '$usage'"
		while IFS= read -r flag; do
			[[ "$text" == *"$flag"* ]] || fail "box(8) lacks $cmd's flag $flag"
		done < <("$INSTALLED" help "$cmd" | grep -oE -- '--[a-z0-9-]+')
	done
	# the page is exactly what the generator makes from the installed binary: no drift
	run diff <("$REPO/runtime/tools/box-man.sh" "$INSTALLED") "$page"
	assert_success
}

# complete WORD...: the completions of the last WORD after the others, from the
# installed completion file, in a fresh bash.
complete_words() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _box; printf "%s\n" "${COMPREPLY[@]}"' \
		complete "$DEST/usr/share/bash-completion/completions/box" "$@"
}

@test "the bash completion completes commands, flags, flag values and container ids" {
	# shellcheck disable=SC2016 # expanded by the inner bash
	run bash -c 'source "$1"; complete -p box' complete "$DEST/usr/share/bash-completion/completions/box"
	assert_success
	assert_output "complete -F _box box"

	run complete_words "$INSTALLED" ""
	assert_success
	local cmd
	for cmd in create start state kill delete run exec list pause resume ps update events spec features help; do
		assert_line "$cmd"
	done
	run complete_words "$INSTALLED" st
	assert_output "$(printf 'start\nstate')"
	run complete_words "$INSTALLED" --log-
	assert_output "--log-format"
	run complete_words "$INSTALLED" --log-format ""
	assert_output "$(printf 'text\njson')"
	run complete_words "$INSTALLED" exec --pid
	assert_output "--pid-file"
	run complete_words "$INSTALLED" list --format ""
	assert_output "$(printf 'table\njson')"
	run complete_words "$INSTALLED" help upd
	assert_output update

	# ids of the containers under the --root given on the line
	setup_bundle
	create_container
	run complete_words "$INSTALLED" --root "$BOX_ROOT" state ""
	assert_output "$CID"
	run complete_words "$INSTALLED" "--root=$BOX_ROOT" delete --force ""
	assert_output "$CID"
	run complete_words "$INSTALLED" --root "$BOX_ROOT" kill "$CID" K
	assert_output KILL
	# a new container's id is not completed from the existing ones
	run complete_words "$INSTALLED" --root "$BOX_ROOT" create ""
	assert_output ""
}

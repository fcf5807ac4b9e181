#!/usr/bin/env bats
# The command line itself: --help on every command, help COMMAND, unknown
# commands, --version (as runc 1.1 prints its own).

load helpers

setup() {
	box_setup
}

teardown() {
	box_teardown
}

# The commands `box --help` lists, one per line.
listed_commands() {
	"$BOX_BIN" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

@test "--help and -h list every command and the global options, exit 0" {
	local flag
	for flag in --help -h; do
		run --separate-stderr box "$flag"
		assert_success
		assert_line --index 0 --partial "box - "
		assert_line "Usage: box [global options] COMMAND [options] [ID] ..."
		assert_line --regexp '^  --root arg '
		assert_line --regexp '^  --log-format arg'
	done
	run listed_commands
	assert_success
	# runc's commands that box has, and help itself
	local cmd
	for cmd in create start state kill delete run exec list pause resume ps update events spec features help; do
		assert_line "$cmd"
	done
}

@test "no command: the help on stdout and exit 0, as runc" {
	run --separate-stderr box
	assert_success
	assert_line "Usage: box [global options] COMMAND [options] [ID] ..."
	assert_equal "$output" "$("$BOX_BIN" --help)"
	# shellcheck disable=SC2154 # set by run --separate-stderr
	assert_equal "$stderr" ""
	requires runc
	run --separate-stderr runc
	assert_success
	assert_line --partial "USAGE:"
}

@test "help COMMAND, COMMAND --help and COMMAND -h print the same usage for every command" {
	local cmd commands
	commands="$(listed_commands)"
	[[ -n "$commands" ]] || fail "box --help lists no commands"
	for cmd in $commands; do
		run --separate-stderr box help "$cmd"
		assert_success
		[[ -z "$stderr" ]] || fail "box help $cmd wrote to stderr: $stderr"
		local via_help="$output"
		if [[ "$cmd" == help ]]; then
			assert_line "Usage: box [global options] COMMAND [options] [ID] ..."
			continue
		fi
		assert_line --index 0 --regexp "^box $cmd - [a-z]"
		assert_line --regexp "^Usage: box $cmd( |$)"
		assert_line --regexp '^  -h \[ --help \] '
		run --separate-stderr box "$cmd" --help
		assert_success
		assert_equal "$output" "$via_help"
		run --separate-stderr box "$cmd" -h
		assert_success
		assert_equal "$output" "$via_help"
	done
	# help touches no state: no root directory is made, no container needed
	run --separate-stderr "$BOX_BIN" --root "$BATS_TEST_TMPDIR/no-root" exec --help
	assert_success
	assert_not_exists "$BATS_TEST_TMPDIR/no-root"
}

@test "an unknown command, or help of one, exits non-zero naming it" {
	run --separate-stderr box frobnicate
	assert_box_error -2 'unknown command "frobnicate"'
	run --separate-stderr box help frobnicate
	assert_box_error -2 'unknown command "frobnicate"'
	run --separate-stderr box help state extra
	assert_box_error -2 'unexpected argument "extra"'
}

@test "--version: box version, commit, spec and libseccomp lines, as runc prints its own" {
	local flag
	for flag in --version -v; do
		run --separate-stderr box "$flag"
		assert_success
		assert_equal "${#lines[@]}" 4
		assert_line --index 0 --regexp '^box version [0-9]+\.[0-9]+\.[0-9]+$'
		assert_line --index 1 --regexp '^commit: ([0-9a-f]{40}(-dirty)?|unknown)$'
		assert_line --index 2 --regexp '^spec: 1\.[0-9]+\.[0-9]+$'
		assert_line --index 3 --regexp '^libseccomp: [0-9]+\.[0-9]+\.[0-9]+$'
	done
	# the spec version is the one state and features report
	local spec features_max
	spec="$(sed -n 's/^spec: //p' <<<"$output")"
	features_max="$(box features | jq -r .ociVersionMax)"
	assert_equal "$spec" "$features_max"
	# the commit is one of this repository's (when git can read it as this user)
	local commit
	commit="$(sed -n 's/^commit: //p' <<<"$output")"
	commit="${commit%-dirty}"
	if [[ "$commit" != unknown ]] && git -C "$REPO" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		git -C "$REPO" cat-file -e "$commit^{commit}" || fail "commit $commit is not in $REPO"
	fi
}

@test "--version has runc's line keys (runc has a go line, box does not) and the same libseccomp" {
	requires runc
	local box_version runc_version
	box_version="$(box --version)"
	runc_version="$(runc --version)"
	# the first word of each line after the first, minus runc's go line
	assert_equal "$(sed 1d <<<"$box_version" | cut -d' ' -f1)" \
		"$(sed 1d <<<"$runc_version" | grep -v '^go:' | cut -d' ' -f1)"
	assert_equal "$(sed -n 1p <<<"$box_version" | cut -d' ' -f2)" version
	assert_equal "$(grep '^libseccomp:' <<<"$box_version")" "$(grep '^libseccomp:' <<<"$runc_version")"
}

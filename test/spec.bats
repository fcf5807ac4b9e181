#!/usr/bin/env bats
# box spec

load helpers

setup() {
	box_setup
	DIR="$BATS_TEST_TMPDIR/specdir"
	mkdir -p "$DIR"
}

teardown() {
	box_teardown
}

@test "spec writes config.json in the current directory" {
	cd "$DIR"
	run box spec
	assert_success
	assert_file_exists "$DIR/config.json"
	run jq -r '.ociVersion' "$DIR/config.json"
	assert_output --regexp '^1\.[0-9]+\.[0-9]+'
	run jq -c '.process.args' "$DIR/config.json"
	assert_output '["sh"]'
	run jq -r '.root.path' "$DIR/config.json"
	assert_output rootfs
}

@test "spec --bundle writes config.json into that directory" {
	run box spec --bundle "$DIR"
	assert_success
	assert_file_exists "$DIR/config.json"
	run jq -e '.process.args == ["sh"] and .root.path == "rootfs"' "$DIR/config.json"
	assert_success
}

@test "spec -b short option" {
	run box spec -b "$DIR"
	assert_success
	assert_file_exists "$DIR/config.json"
}

@test "spec refuses to overwrite an existing config.json" {
	echo '{"mine": true}' >"$DIR/config.json"
	run --separate-stderr box spec --bundle "$DIR"
	assert_box_error "config.json already exists"
	run cat "$DIR/config.json"
	assert_output '{"mine": true}'
}

@test "spec's config has the namespaces and mounts a container needs" {
	run box spec --bundle "$DIR"
	assert_success
	run jq -r '[.linux.namespaces[].type] | sort | join(",")' "$DIR/config.json"
	assert_output --partial pid
	assert_output --partial mount
	run jq -r '[.mounts[].destination] | join(" ")' "$DIR/config.json"
	assert_output --partial /proc
	assert_output --partial /dev
}

@test "spec --rootless adds a user namespace with uid and gid mappings" {
	run box spec --rootless --bundle "$DIR"
	assert_success
	run jq -e '[.linux.namespaces[].type] | index("user") != null' "$DIR/config.json"
	assert_success
	run jq -e '(.linux.uidMappings | length) > 0 and (.linux.gidMappings | length) > 0' "$DIR/config.json"
	assert_success
}

@test "spec's config runs as is in a bundle with a rootfs" {
	cp -a "$ROOTFS" "$DIR/rootfs"
	local rootless=()
	! is_rootless || rootless=(--rootless)
	run box spec "${rootless[@]}" --bundle "$DIR"
	assert_success
	update_config '.process.terminal = false | .process.args = ["sh", "-c", "echo works"]' "$DIR"
	run box run --bundle "$DIR" "$CID"
	assert_success
	assert_output works
}

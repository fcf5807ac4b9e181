#!/usr/bin/env bash
# (Re)generate the seed corpora of the fuzz targets in runtime/fuzz/seeds/ from
# the spec box writes (`box spec`, `box spec --rootless`) and variants of it that
# exercise every part of the parsers (hooks, resources, devices, seccomp, ...).
# The seeds are committed; run this after the config format grows.
#
# Usage: hack/fuzz-seeds.sh
# Environment:
#   BOX_BIN   box binary used for `box spec` (default: <repo>/build/box)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOX_BIN=${BOX_BIN:-$REPO/build/box}
SEEDS=$REPO/runtime/fuzz/seeds

die() { echo "fuzz-seeds: $*" >&2; exit 1; }
[[ -x "$BOX_BIN" ]] || die "no box binary at $BOX_BIN (run make build, or set BOX_BIN)"
command -v jq >/dev/null || die "jq is not installed"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/default" "$tmp/rootless"
"$BOX_BIN" spec --bundle "$tmp/default"
"$BOX_BIN" spec --rootless --bundle "$tmp/rootless"
default=$tmp/default/config.json
rootless=$tmp/rootless/config.json

rm -rf "$SEEDS"
mkdir -p "$SEEDS/config" "$SEEDS/process" "$SEEDS/state"

# config NAME JQ_FILTER: a variant of the default spec.
config() {
  jq -S "$2" "$default" >"$SEEDS/config/$1.json"
}

cp "$default" "$SEEDS/config/default.json"
cp "$rootless" "$SEEDS/config/rootless.json"
config minimal '{ociVersion, root: {path: "rootfs"}}'
config readonly-root '.root.readonly = true | .hostname = "box" | .domainname = "example.org"'
config hooks '.hooks = {
  prestart: [{path: "/bin/true"}],
  createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "cat >/dev/null"], env: ["A=1"], timeout: 5}],
  createContainer: [{path: "/bin/true"}],
  startContainer: [{path: "/bin/true", args: ["true"]}],
  poststart: [{path: "/bin/true", timeout: 1}],
  poststop: [{path: "/bin/true"}]}'
config resources '.linux.resources = {
  devices: [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 3, access: "rw"},
            {allow: true, type: "b", major: 8, access: "r"}],
  memory: {limit: 67108864, reservation: 33554432, swap: 134217728, swappiness: 10, disableOOMKiller: false},
  cpu: {shares: 512, quota: 50000, period: 100000, cpus: "0-1", mems: "0"},
  pids: {limit: 64},
  unified: {"io.weight": "100", "memory.high": "max"}}
  | .linux.cgroupsPath = "/box/fuzz"'
config devices '.linux.devices = [
  {path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0},
  {path: "/dev/loop9", type: "b", major: 7, minor: 9},
  {path: "/dev/myfifo", type: "p"}]'
config idmaps '.linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
config namespaces '.linux.namespaces = [{type: "pid"}, {type: "network", path: "/proc/1/ns/net"},
  {type: "ipc"}, {type: "uts"}, {type: "mount"}, {type: "cgroup"}, {type: "time"}]'
config mounts '.mounts += [
  {destination: "/data", type: "bind", source: "/tmp", options: ["rbind", "ro", "nosuid", "rslave"]},
  {destination: "/run", type: "tmpfs", source: "tmpfs", options: ["mode=755", "size=1m", "noexec"]}]
  | .linux.rootfsPropagation = "rprivate"
  | .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "65536"}'
config seccomp '.linux.seccomp = {
  defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
  syscalls: [
    {names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1},
    {names: ["kill"], action: "SCMP_ACT_ERRNO",
     args: [{index: 1, value: 9, op: "SCMP_CMP_EQ"}, {index: 0, value: 1, valueTwo: 0, op: "SCMP_CMP_GT"}]},
    {names: ["personality"], action: "SCMP_ACT_KILL",
     args: [{index: 0, value: 4294967295, valueTwo: 8, op: "SCMP_CMP_MASKED_EQ"}]}]}'
config process-full '.process += {
  terminal: true, consoleSize: {height: 24, width: 80},
  user: {uid: 1000, gid: 1000, umask: 18, additionalGids: [5, 10]},
  env: ["PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="],
  cwd: "/tmp", noNewPrivileges: true, oomScoreAdj: -500,
  apparmorProfile: "", selinuxLabel: "",
  rlimits: [{type: "RLIMIT_NOFILE", soft: 1024, hard: 4096}, {type: "RLIMIT_NPROC", soft: 100, hard: 100},
            {type: "RLIMIT_CORE", soft: 0, hard: 9999999999}],
  capabilities: {bounding: ["CAP_CHOWN", "CAP_KILL"], effective: ["CAP_KILL"], inheritable: [],
                 permitted: ["CAP_CHOWN", "CAP_KILL"], ambient: ["CAP_KILL"]}}'
config annotations '.annotations = {"org.example.key": "value", "empty": ""}
  | .linux.maskedPaths += ["/proc/scsi"] | .linux.readonlyPaths = []'

# Process objects: those of the config seeds that differ, plus exec-style ones.
for name in default rootless process-full; do
  jq -S '.process' "$SEEDS/config/$name.json" >"$SEEDS/process/$name.json"
done
# jq keeps numbers as doubles: put the largest rlimit (RLIM_INFINITY) in by hand.
sed -i 's/9999999999/18446744073709551615/' "$SEEDS/config/process-full.json" "$SEEDS/process/process-full.json"
jq -n '{args: ["sh", "-c", "echo hi"], env: ["PATH=/bin"], cwd: "/"}' >"$SEEDS/process/exec.json"
jq -n '{args: ["id"], user: {uid: 1000, gid: 1000}}' >"$SEEDS/process/exec-user.json"

# State files as StateStore::save writes them. The fuzz target reads them as
# container "fuzz", so the id must be that.
state() {
  jq -S -n --slurpfile config "$2" '{
    id: "fuzz", phase: "created", pid: 4242, pidStartTime: 123456, creatorPid: 4241,
    creatorStartTime: 123450, bundle: "/run/bundles/fuzz", rootfs: "/run/bundles/fuzz/rootfs",
    created: "2024-01-02T03:04:05.123456789Z", owner: 0,
    annotations: {"org.example": "x"}, cgroupDirs: ["/sys/fs/cgroup/box/fuzz"],
    config: $config[0]}' | jq -S "$3" >"$SEEDS/state/$1.json"
}
state created "$default" .
state running-rootless "$rootless" '.owner = 1000 | .cgroupDirs = [] | .annotations = {}'
state creating "$SEEDS/config/hooks.json" '.phase = "creating" | .pid = 0 | .pidStartTime = 0'
state minimal "$SEEDS/config/minimal.json" 'del(.rootfs, .created, .annotations, .cgroupDirs, .config)'

# JSON nested one level past box's limit (1000), in a field box does not know:
# refused before parsing (deeper nesting overflowed the stack when the document
# was copied or written out).
deep=$(printf '%1001s' '' | tr ' ' '[')$(printf '%1001s' '' | tr ' ' ']')
nested() {
  jq -S '.x = "NESTED"' "$1" | sed "s/\"NESTED\"/$deep/" >"$2"
}
nested "$SEEDS/config/minimal.json" "$SEEDS/config/nested-1001.json"
nested "$SEEDS/process/default.json" "$SEEDS/process/nested-1001.json"
nested "$SEEDS/state/created.json" "$SEEDS/state/nested-1001.json"

echo "fuzz-seeds: wrote $(find "$SEEDS" -type f | wc -l) seeds under $SEEDS"

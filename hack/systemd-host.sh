#!/usr/bin/env bash
# A real systemd to test box's systemd cgroup driver against, booted by box.
#
# This machine's PID 1 is not systemd, so the systemd tests bring their own:
# a Debian rootfs with systemd (made once with debootstrap, then cached) booted
# as /sbin/init in a container that box itself runs, with its own pid, mount,
# ipc, uts, network and cgroup namespaces and a writable cgroup mount of the
# host's layout. Booting it is itself a test of box (podman's
# --systemd=always use case).
#
# Usage: hack/systemd-host.sh up|exec CMD...|status|down|rootfs
#   rootfs   only make the cached rootfs (debootstrap, a few minutes, once)
#   up       boot it and wait until `systemctl is-system-running` says running
#   exec     run CMD inside (as root, in all its namespaces), stdio passed through
#   status   print box's state of the container (exit 1 when it is not running)
#   pid      print the pid of its systemd (PID 1 inside) as this host sees it
#   down     SIGRTMIN+3 (systemd's halt), wait for a clean halt, remove the container
# Environment:
#   BOX_BIN               the box that boots systemd (default: build/box)
#   ROOTFS                the suite's rootfs, bound read-only at /opt/box/rootfs
#   SYSTEMD_HOST_CACHE    where the debootstrapped rootfs is kept
#                         (default: /var/cache/box/systemd-host)
#   SYSTEMD_HOST_DIR      the running host's files: overlay, bundle, box --root
#                         (its cgroup is /box/$(basename SYSTEMD_HOST_DIR), so
#                         hosts with different dirs do not share one)
#                         (default: /var/tmp/box-systemd-host)
#   SYSTEMD_HOST_MIRROR   Debian mirror for debootstrap (default: the first
#                         deb.debian.org-style URI in apt's sources, else
#                         http://deb.debian.org/debian)
#   SYSTEMD_HOST_PACKAGES extra packages for the rootfs (comma separated)
# The binaries under test are bound in read-only: BOX_BIN at /usr/local/bin/box
# with its D-Bus helper box-systemd beside it (the systemd cgroup driver), and
# everything else in BOX_BIN's directory at /opt/box/bin.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOX_BIN=${BOX_BIN:-$REPO/build/box}
ROOTFS=${ROOTFS:-$REPO/rootfs/rootfs}
CACHE=${SYSTEMD_HOST_CACHE:-/var/cache/box/systemd-host}
DIR=${SYSTEMD_HOST_DIR:-/var/tmp/box-systemd-host}
ID=systemd-host
CGROUP="box/$(basename "$DIR")"
SUITE=bookworm
# What the tests run inside: systemd and D-Bus, the engines that drive box
# there, and runc as their baseline.
PACKAGES="systemd,systemd-sysv,dbus,dbus-user-session,procps,jq,runc,podman,containernetworking-plugins,containerd${SYSTEMD_HOST_PACKAGES:+,$SYSTEMD_HOST_PACKAGES}"
BOOT_TIMEOUT=${SYSTEMD_HOST_BOOT_TIMEOUT:-120}

log() { echo "systemd-host: $*" >&2; }
die() {
  log "$*"
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ "$BOX_BIN" == /* ]] || BOX_BIN=$PWD/$BOX_BIN
[[ "$ROOTFS" == /* ]] || ROOTFS=$PWD/$ROOTFS

box() { "$BOX_BIN" --root "$DIR/state" "$@"; }

mirror() {
  if [[ -n "${SYSTEMD_HOST_MIRROR:-}" ]]; then
    echo "$SYSTEMD_HOST_MIRROR"
    return
  fi
  local uri
  uri=$(grep -hsE '^(URIs:|deb) ' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
    grep -oE 'https?://[^ ]*/debian/?$' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# The rootfs is made once (under a lock: parallel callers wait for the first)
# and recorded with the package list it was made for.
make_rootfs() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  if [[ -x "$CACHE/rootfs/sbin/init" && "$(cat "$CACHE/PACKAGES" 2>/dev/null)" == "$PACKAGES" ]]; then
    return 0
  fi
  command -v debootstrap >/dev/null || {
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  local tmp="$CACHE/rootfs.new" m
  m=$(mirror)
  rm -rf "$tmp"
  log "debootstrap $SUITE from $m (a few minutes, once; cached in $CACHE)"
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp" "$m" >"$CACHE/debootstrap.log" 2>&1; then
    tail -n 20 "$CACHE/debootstrap.log" >&2
    die "debootstrap failed (log: $CACHE/debootstrap.log)"
  fi
  # A container has no consoles to log in on and no hardware to wait for.
  chroot "$tmp" systemctl mask console-getty.service getty@tty1.service \
    systemd-udevd.service systemd-udev-trigger.service systemd-networkd-wait-online.service >/dev/null 2>&1 || true
  # Engines inside store their images on a directory bound from outside the
  # overlay (overlayfs cannot be an overlay's upper layer).
  mkdir -p "$tmp/var/lib/containers" "$tmp/var/lib/containerd" "$tmp/opt/box/bin" "$tmp/opt/box/rootfs"
  : >"$tmp/etc/machine-id"
  rm -rf "$CACHE/rootfs"
  mv "$tmp" "$CACHE/rootfs"
  echo "$PACKAGES" >"$CACHE/PACKAGES"
  log "rootfs ready: $CACHE/rootfs"
}

# The capabilities the host can grant (its bounding set): root here lacks
# CAP_SYS_RESOURCE, and asking for it would fail.
CAP_NAMES=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID
  SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW
  IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT
  SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
  AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM
  BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)
host_caps() {
  local bnd i
  bnd=$((16#$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
  for i in "${!CAP_NAMES[@]}"; do
    if (((bnd >> i) & 1)); then echo "CAP_${CAP_NAMES[$i]}"; fi
  done
}

# No masked paths: the kernel lets a user namespace mount a new proc only
# where a proc is fully visible, and rootless containers inside mount theirs
# (test/systemd/rootless.bats; runc's the same).
write_config() {
  local bundle=$1 caps
  caps=$(host_caps | jq -R . | jq -s .)
  rm -f "$bundle/config.json"
  "$BOX_BIN" spec --bundle "$bundle"
  jq --argjson caps "$caps" --arg box "$BOX_BIN" --arg bindir "$(dirname "$BOX_BIN")" \
    --arg rootfs "$ROOTFS" --arg data "$DIR/data" --arg cgroup "/$CGROUP" '
    .process.args = ["/sbin/init"]
    | .process.terminal = false
    | .process.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=box"]
    | .process.noNewPrivileges = false
    | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
    | .process.rlimits = []
    | .root = {path: "rootfs", readonly: false}
    | .hostname = "systemd-host"
    | .linux.cgroupsPath = $cgroup
    | .linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "ipc"}, {type: "uts"},
                           {type: "network"}, {type: "cgroup"}]
    | .linux.maskedPaths = []
    | .linux.readonlyPaths = []
    | .linux.resources = {devices: [{allow: true, access: "rwm"}]}
    | .mounts = [
        {destination: "/proc", type: "proc", source: "proc"},
        {destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]},
        {destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]},
        {destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "rw"]},
        {destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]},
        {destination: "/run/lock", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec", "size=5m"]},
        {destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]},
        {destination: "/var/lib/containers", type: "bind", source: ($data + "/containers"), options: ["rbind", "rw"]},
        {destination: "/var/lib/containerd", type: "bind", source: ($data + "/containerd"), options: ["rbind", "rw"]},
        {destination: "/usr/local/bin/box", type: "bind", source: $box, options: ["bind", "ro"]},
        {destination: "/usr/local/bin/box-systemd", type: "bind", source: ($bindir + "/box-systemd"), options: ["bind", "ro"]},
        {destination: "/opt/box/bin", type: "bind", source: $bindir, options: ["rbind", "ro"]},
        {destination: "/opt/box/rootfs", type: "bind", source: $rootfs, options: ["rbind", "ro"]}
      ]' "$bundle/config.json" >"$bundle/config.json.new"
  mv "$bundle/config.json.new" "$bundle/config.json"
}

status_of() { box state "$ID" 2>/dev/null | jq -r .status 2>/dev/null || echo absent; }

# The overlay keeps the cached rootfs pristine: every boot starts from it.
mount_overlay() {
  local merged="$DIR/bundle/rootfs"
  mkdir -p "$DIR/upper" "$DIR/work" "$merged" "$DIR/data/containers" "$DIR/data/containerd" "$DIR/state"
  if ! mountpoint -q "$merged"; then
    mount -t overlay overlay -o "lowerdir=$CACHE/rootfs,upperdir=$DIR/upper,workdir=$DIR/work" "$merged"
  fi
}

unmount_overlay() {
  local merged="$DIR/bundle/rootfs"
  if mountpoint -q "$merged"; then umount "$merged"; fi
  rm -rf "$DIR/upper" "$DIR/work"
}

# A box that does not yet remove the cgroups systemd made inside the host's
# own (test/systemd's last test says whether it does) leaves them behind on
# down, and a new host could not join them: they are empty and ours, remove
# them deepest first.
remove_stale_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/"$CGROUP" /sys/fs/cgroup/"$CGROUP"; do
    [[ ! -d "$d" ]] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

host_exec() {
  box exec --env TERM="${TERM:-dumb}" "$ID" "$@"
}

up() {
  [[ -x "$BOX_BIN" ]] || die "no box binary at $BOX_BIN (run make)"
  [[ -x "$(dirname "$BOX_BIN")/box-systemd" ]] || die "no box-systemd beside $BOX_BIN (run make)"
  [[ -x "$ROOTFS/bin/sh" ]] || die "no rootfs at $ROOTFS (run make rootfs)"
  local st
  st=$(status_of)
  case "$st" in
    running) log "already running" && return 0 ;;
    absent) ;;
    *) die "a container $ID is $st under $DIR/state: run $0 down first" ;;
  esac
  make_rootfs
  remove_stale_cgroups
  mount_overlay
  write_config "$DIR/bundle"
  log "booting systemd with $BOX_BIN"
  if ! box run --detach --bundle "$DIR/bundle" "$ID" </dev/null >"$DIR/console.log" 2>&1; then
    cat "$DIR/console.log" >&2
    unmount_overlay
    die "box run failed"
  fi
  local deadline=$((SECONDS + BOOT_TIMEOUT)) state=""
  while ((SECONDS < deadline)); do
    state=$(host_exec systemctl is-system-running 2>/dev/null || true)
    case "$state" in
      running) break ;;
      degraded)
        log "degraded: $(host_exec systemctl --failed --no-legend --plain 2>/dev/null | awk '{print $1}' | xargs)"
        break
        ;;
    esac
    [[ "$(status_of)" == running ]] || {
      cat "$DIR/console.log" >&2
      die "systemd exited while booting"
    }
    sleep 0.2
  done
  [[ "$state" == running || "$state" == degraded ]] || {
    tail -n 30 "$DIR/console.log" >&2
    die "systemd did not finish booting in ${BOOT_TIMEOUT}s (is-system-running: ${state:-nothing})"
  }
  log "up: systemctl is-system-running says $state"
}

down() {
  local st deadline=$((SECONDS + 60)) rc=0
  st=$(status_of)
  if [[ "$st" == running ]]; then
    # SIGRTMIN+3: systemd's "halt", the way container managers stop it.
    box kill "$ID" RTMIN+3
    while [[ "$(status_of)" == running ]] && ((SECONDS < deadline)); do sleep 0.2; done
    if [[ "$(status_of)" == running ]]; then
      log "systemd did not halt within 60s; killing it"
      rc=1
    fi
  fi
  if [[ "$st" != absent ]]; then box delete --force "$ID"; fi
  unmount_overlay
  [[ $rc -eq 0 ]] && log "down"
  return "$rc"
}

cmd=${1:-}
[[ $# -eq 0 ]] || shift
case "$cmd" in
  rootfs) make_rootfs ;;
  up) up ;;
  exec) host_exec "$@" ;;
  status)
    st=$(status_of)
    echo "$st"
    [[ "$st" == running ]]
    ;;
  down) down ;;
  pid) box state "$ID" | jq -r .pid ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Produce the root filesystem used by the tests and `make run`:
#   $ROOTFS_DIR/rootfs/         extracted root filesystem (owned by root)
#   $ROOTFS_DIR/rootfs.tar.gz   the tarball it was extracted from
#   $ROOTFS_DIR/SOURCE          one line: kind, version/origin and sha256 of rootfs.tar.gz
#   $ROOTFS_DIR/REQUEST         what it was made for ("default", or "tarball sha256=..."
#                               of ROOTFS_TARBALL): a later run with another
#                               ROOTFS_TARBALL rebuilds; one without keeps it
#
# Sources, in order:
#   a) ROOTFS_TARBALL=path       use that tarball (gzip, xz, bzip2, zstd or plain tar).
#                                If its name is the pinned Alpine minirootfs, its sha256
#                                must match rootfs/PIN.
#   b) the pinned Alpine minirootfs (rootfs/PIN), downloaded with curl and verified.
#                                Skipped when ROOTFS_OFFLINE=1.
#   c) offline: a busybox rootfs built from the host's static busybox (Debian's
#      busybox-static, /bin/busybox; override with BUSYBOX=path). The tarball is
#      byte-for-byte reproducible for a given busybox binary.
#
# Environment:
#   ROOTFS_DIR      output directory (default: <repo>/rootfs)
#   ROOTFS_PIN      pin file (default: <repo>/rootfs/PIN)
#   ROOTFS_TARBALL  use this tarball instead of downloading/building
#   ROOTFS_OFFLINE  1 = do not try to download
#   FORCE           1 = rebuild even if the rootfs already exists
#   BUSYBOX         static busybox binary for the offline build (default /bin/busybox)
set -euo pipefail
umask 022

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${ROOTFS_DIR:-$REPO/rootfs}
PIN_FILE=${ROOTFS_PIN:-$REPO/rootfs/PIN}
FORCE=${FORCE:-0}
ROOTFS_OFFLINE=${ROOTFS_OFFLINE:-0}
ROOTFS_TARBALL=${ROOTFS_TARBALL:-}

log() { echo "fetch-rootfs: $*" >&2; }
die() { echo "fetch-rootfs: error: $*" >&2; exit 1; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Serialise concurrent runs on the same output directory.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUT/.lock"
  flock 9
fi

# What is asked for: a ROOTFS_TARBALL is known by its checksum, so that a rootfs
# made from anything else (the busybox build, another tarball) is replaced
# rather than reused for it. Without one, whatever rootfs is present is kept.
REQUEST=default
if [[ -n "$ROOTFS_TARBALL" ]]; then
  [[ -f "$ROOTFS_TARBALL" ]] || die "ROOTFS_TARBALL=$ROOTFS_TARBALL does not exist"
  REQUEST="tarball sha256=$(sha256sum "$ROOTFS_TARBALL" | awk '{print $1}')"
fi

if [[ "$FORCE" != 1 && -d "$OUT/rootfs" && -s "$OUT/SOURCE" ]] &&
    [[ "$REQUEST" == default || "$(cat "$OUT/REQUEST" 2>/dev/null)" == "$REQUEST" ]]; then
  echo "rootfs: $(head -n1 "$OUT/SOURCE") (already present in $OUT; FORCE=1 rebuilds)"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || log "warning: not running as root; $OUT/rootfs will not be owned by root"

WORK=$(mktemp -d "$OUT/.work.XXXXXX")
cleanup() { rm -rf --one-file-system "$WORK"; }
trap cleanup EXIT

sha256_of() { sha256sum "$1" | awk '{print $1}'; }

# pin_get KEY: value of KEY= in the pin file (empty if absent).
pin_get() {
  [[ -r "$PIN_FILE" ]] || return 0
  awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$PIN_FILE"
}

host_arch() {
  case "$(uname -m)" in
    x86_64|amd64) echo x86_64 ;;
    aarch64|arm64) echo aarch64 ;;
    *) uname -m ;;
  esac
}

ALPINE_VERSION=$(pin_get version)
ARCH=$(host_arch)

# The final product of every source: $WORK/rootfs.tar.gz, plus DESC (kind and
# version) and NOTE (provenance) for the SOURCE line.
TARBALL="$WORK/rootfs.tar.gz"
DESC=""
NOTE=""

# Copy/convert an arbitrary tarball to gzip at $TARBALL.
import_tarball() {
  local src=$1 magic
  magic=$(head -c 6 "$src" | od -An -tx1 | tr -d ' \n')
  case "$magic" in
    1f8b*)          cp "$src" "$TARBALL" ;;
    fd377a585a00)   xz -dc "$src" | gzip -n >"$TARBALL" ;;
    425a68*)        bzip2 -dc "$src" | gzip -n >"$TARBALL" ;;
    28b52ffd*)      zstd -dc "$src" | gzip -n >"$TARBALL" ;;
    *)              gzip -n -c "$src" >"$TARBALL" ;;
  esac
  tar -tzf "$TARBALL" >/dev/null || die "$src is not a valid tar archive"
}

from_local_tarball() {
  local src=$ROOTFS_TARBALL name a url want got
  [[ -f "$src" ]] || die "ROOTFS_TARBALL=$src does not exist"
  name=$(basename "$src")
  for a in x86_64 aarch64; do
    url=$(pin_get "${a}_url")
    [[ -n "$url" && "$name" == "$(basename "$url")" ]] || continue
    want=$(pin_get "${a}_sha256")
    got=$(sha256_of "$src")
    if [[ "$got" != "$want" ]]; then
      die "SHA256 MISMATCH for $src: expected $want (rootfs/PIN), got $got"
    fi
    cp "$src" "$TARBALL"
    DESC="alpine-minirootfs $ALPINE_VERSION"
    NOTE="(verified; from ROOTFS_TARBALL, $a)"
    return 0
  done
  import_tarball "$src"
  DESC="tarball $(cd "$(dirname "$src")" && pwd)/$name"
}

# Returns 1 (without failing the script) if the download is not possible;
# dies on a checksum mismatch.
try_download_alpine() {
  local url want got
  if [[ "$ROOTFS_OFFLINE" == 1 ]]; then
    log "ROOTFS_OFFLINE=1: not downloading"
    return 1
  fi
  url=$(pin_get "${ARCH}_url")
  want=$(pin_get "${ARCH}_sha256")
  if [[ -z "$url" || -z "$want" ]]; then
    log "no pinned Alpine minirootfs for architecture $ARCH in $PIN_FILE"
    return 1
  fi
  if ! command -v curl >/dev/null 2>&1; then
    log "curl not installed: cannot download"
    return 1
  fi
  log "downloading $url"
  if ! curl --fail --location --silent --show-error \
      --connect-timeout 5 --max-time 60 -o "$WORK/download" "$url"; then
    log "download failed (offline?)"
    rm -f "$WORK/download"
    return 1
  fi
  got=$(sha256_of "$WORK/download")
  if [[ "$got" != "$want" ]]; then
    die "SHA256 MISMATCH for $url: expected $want (rootfs/PIN), got $got"
  fi
  mv "$WORK/download" "$TARBALL"
  DESC="alpine-minirootfs $ALPINE_VERSION"
  NOTE="(verified)"
}

build_busybox() {
  local bb=${BUSYBOX:-} ldd_out help version tree applet dir target prefix i depth
  if [[ -z "$bb" ]]; then
    for bb in /bin/busybox /usr/bin/busybox "$(command -v busybox || true)"; do
      [[ -n "$bb" && -x "$bb" ]] && break
    done
  fi
  [[ -n "$bb" && -x "$bb" ]] ||
    die "no busybox binary found; install busybox-static (hack/install-deps.sh) or set ROOTFS_TARBALL"
  if command -v ldd >/dev/null 2>&1; then
    ldd_out=$(ldd "$bb" 2>&1 || true)
    if [[ "$ldd_out" != *"not a dynamic executable"* && "$ldd_out" != *"statically linked"* ]]; then
      die "$bb is dynamically linked; install busybox-static"
    fi
  fi
  help=$("$bb" --help 2>&1 || true)
  help=${help%%$'\n'*}
  version=$(sed -n 's/^BusyBox v\([^ ]*\).*/\1/p' <<<"$help")
  [[ -n "$version" ]] || version=unknown
  log "building busybox $version rootfs from $bb"

  tree="$WORK/tree"
  install -d -m 0755 "$tree"
  for dir in bin sbin usr usr/bin usr/sbin etc dev proc sys root run var home; do
    install -d -m 0755 "$tree/$dir"
  done
  install -d -m 1777 "$tree/tmp" "$tree/var/tmp"
  install -m 0755 "$bb" "$tree/bin/busybox"

  while IFS= read -r applet; do
    # Skip the binary itself and top-level entries such as "linuxrc".
    [[ -n "$applet" && "$applet" == */* && "$applet" != bin/busybox ]] || continue
    dir=${applet%/*}
    [[ -d "$tree/$dir" ]] || install -d -m 0755 "$tree/$dir"
    [[ -e "$tree/$applet" || -L "$tree/$applet" ]] && continue
    if [[ "$dir" == bin ]]; then
      target=busybox
    else
      depth=$(tr -cd / <<<"$applet" | wc -c)
      prefix=""
      for ((i = 0; i < depth; i++)); do prefix+="../"; done
      target="${prefix}bin/busybox"
    fi
    ln -s "$target" "$tree/$applet"
  done < <("$bb" --list-full)
  [[ -L "$tree/bin/sh" ]] || ln -s busybox "$tree/bin/sh"

  cat >"$tree/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
box:x:1000:1000:box:/home/box:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$tree/etc/group" <<'EOF'
root:x:0:
users:x:100:
box:x:1000:
nogroup:x:65534:
EOF
  echo box >"$tree/etc/hostname"
  cat >"$tree/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
  cat >"$tree/etc/os-release" <<EOF
NAME="box-busybox"
ID=box-busybox
VERSION_ID=$version
PRETTY_NAME="box-busybox $version (BusyBox rootfs for box tests)"
EOF
  chmod 0644 "$tree/etc/passwd" "$tree/etc/group" "$tree/etc/hostname" \
    "$tree/etc/hosts" "$tree/etc/os-release"

  # Reproducible archive: fixed order, mtimes, owners; no gzip name/timestamp.
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    --no-acls --no-xattrs --no-selinux \
    -C "$tree" -cf - . | gzip -n -9 >"$TARBALL"
  DESC="busybox $version (offline build from Debian busybox-static)"
}

if [[ -n "$ROOTFS_TARBALL" ]]; then
  from_local_tarball
elif ! try_download_alpine; then
  build_busybox
fi

SHA=$(sha256_of "$TARBALL")

# Extract into a fresh directory, then swap it in.
install -d -m 0755 "$WORK/rootfs"
tar --numeric-owner -xpzf "$TARBALL" -C "$WORK/rootfs"
[[ -e "$WORK/rootfs/bin/sh" || -L "$WORK/rootfs/bin/sh" ]] || die "the rootfs has no /bin/sh"

rm -f "$OUT/SOURCE" "$OUT/REQUEST"
rm -rf --one-file-system "$OUT/rootfs"
mv "$WORK/rootfs" "$OUT/rootfs"
mv "$TARBALL" "$OUT/rootfs.tar.gz"
chmod 0644 "$OUT/rootfs.tar.gz"

LINE="$DESC sha256=$SHA${NOTE:+ $NOTE}"
echo "$LINE" >"$OUT/SOURCE"
echo "$REQUEST" >"$OUT/REQUEST"
echo "rootfs: $LINE"

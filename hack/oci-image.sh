#!/usr/bin/env bash
# Build a single-layer OCI image archive (an OCI image layout in a tar) from a
# root filesystem directory, without any registry or image tool:
#
#   hack/oci-image.sh ROOTFS_DIR OUT.tar [NAME] [CMD...]
#
# NAME defaults to localhost/boxtest:latest; CMD (the image's default command)
# to "sh". The archive loads with `ctr images import OUT.tar` (the image is
# named by the io.containerd.image.name annotation) and with
# `podman load -i OUT.tar` / `skopeo copy oci-archive:OUT.tar ...`.
# Needs: tar, sha256sum, jq.
set -euo pipefail

usage() { echo "usage: $0 ROOTFS_DIR OUT.tar [NAME] [CMD...]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
rootfs=$1 out=$2
name=${3:-localhost/boxtest:latest}
shift $(($# >= 3 ? 3 : 2))
[[ $# -gt 0 ]] || set -- sh
[[ -d "$rootfs" ]] || { echo "$0: $rootfs is not a directory" >&2; exit 1; }

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  armv7l) arch=arm ;;
  *) arch=$(uname -m) ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

# put FILE: moves FILE into blobs/ and prints "DIGEST SIZE".
put() {
  local d s
  d=$(sha256sum "$1" | cut -d' ' -f1)
  s=$(stat -c %s "$1")
  mv "$1" "$work/blobs/sha256/$d"
  echo "$d $s"
}

# Layer: an uncompressed tar of the rootfs, entries sorted, owner 0:0, mtime 0
# (reproducible for the same rootfs).
tar -C "$rootfs" --sort=name --numeric-owner --owner=0 --group=0 \
  --mtime=@0 -cf "$work/layer.tar" .
read -r layer_digest layer_size < <(put "$work/layer.tar")

cmd_json=$(jq -cn '$ARGS.positional' --args -- "$@")
jq -cn --arg arch "$arch" --arg diff "sha256:$layer_digest" --argjson cmd "$cmd_json" '{
  architecture: $arch, os: "linux",
  config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
           Cmd: $cmd, WorkingDir: "/"},
  rootfs: {type: "layers", diff_ids: [$diff]},
  history: [{created_by: "hack/oci-image.sh"}]
}' >"$work/config.json"
read -r config_digest config_size < <(put "$work/config.json")

jq -cn --arg c "sha256:$config_digest" --argjson cs "$config_size" \
  --arg l "sha256:$layer_digest" --argjson ls "$layer_size" '{
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
}' >"$work/manifest.json"
read -r manifest_digest manifest_size < <(put "$work/manifest.json")

tag=${name##*:}
[[ "$tag" != "$name" && "$tag" != */* ]] || tag=latest
jq -cn --arg m "sha256:$manifest_digest" --argjson ms "$manifest_size" \
  --arg name "$name" --arg tag "$tag" --arg arch "$arch" '{
  schemaVersion: 2,
  manifests: [{
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: $m, size: $ms,
    platform: {architecture: $arch, os: "linux"},
    annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": $tag}
  }]
}' >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"

tar -C "$work" --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 \
  -cf "$out" oci-layout index.json blobs
echo "$name sha256:$manifest_digest"

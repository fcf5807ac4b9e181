#!/usr/bin/env bash
# Install (from Debian/Ubuntu packages) everything needed to build box and run
# its test suites. Only packages that are not installed yet are installed, and
# `apt-get update` runs once, only when something is missing.
#
# Usage: hack/install-deps.sh [--check]
#   --check   only report missing packages; exit 1 if any are missing.
#
# Works on Debian 12 and Ubuntu 22.04/24.04. Packages that the distribution
# does not provide (e.g. a bats helper library on an older release) are
# reported with a warning and skipped.
set -euo pipefail

PACKAGES=(
  build-essential g++ make cmake pkg-config
  libboost-program-options-dev libseccomp-dev nlohmann-json3-dev libsystemd-dev
  libgtest-dev googletest
  bats bats-support bats-assert bats-file
  jq busybox-static uidmap
  curl ca-certificates xz-utils gzip tar
  iproute2 procps util-linux
)

# Packages whose absence only degrades the test suite; missing candidates for
# these are warnings. Anything else without a candidate is an error.
OPTIONAL=(bats-support bats-assert bats-file googletest)

usage() {
  echo "usage: $0 [--check]" >&2
  exit 2
}

check_only=0
case "${1:-}" in
  "") ;;
  --check) check_only=1 ;;
  -h|--help) echo "usage: $0 [--check]"; exit 0 ;;
  *) usage ;;
esac
[[ $# -le 1 ]] || usage

log() { echo "install-deps: $*" >&2; }

if ! command -v dpkg-query >/dev/null 2>&1; then
  log "dpkg-query not found: this script supports Debian/Ubuntu only"
  exit 1
fi

is_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
  [[ "$status" == installed ]]
}

is_optional() {
  local p
  for p in "${OPTIONAL[@]}"; do
    [[ "$p" == "$1" ]] && return 0
  done
  return 1
}

# True if apt knows an installable version of the package.
has_candidate() {
  local cand
  cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
  [[ -n "$cand" && "$cand" != "(none)" ]]
}

# True if apt has any package lists at all (fresh container images have none,
# in which case "no candidate" means nothing).
have_apt_lists() {
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

# Drop packages the distribution does not have (only meaningful when apt
# already has package lists).
filter_unavailable() {
  local p keep=()
  unavailable=()
  for p in "${missing[@]}"; do
    if has_candidate "$p"; then
      keep+=("$p")
    else
      unavailable+=("$p")
    fi
  done
  missing=("${keep[@]+"${keep[@]}"}")
}

warn_unavailable() {
  local p fatal=0
  for p in "${unavailable[@]+"${unavailable[@]}"}"; do
    if is_optional "$p"; then
      log "warning: package '$p' is not available on this distribution; skipping it"
    else
      log "error: required package '$p' is not available on this distribution"
      fatal=1
    fi
  done
  return "$fatal"
}

unavailable=()
if [[ ${#missing[@]} -gt 0 ]] && have_apt_lists; then
  filter_unavailable
fi

if [[ $check_only -eq 1 ]]; then
  rc=0
  warn_unavailable || rc=1
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "missing packages: ${missing[*]}"
    rc=1
  fi
  [[ $rc -eq 0 ]] || exit 1
  echo "all dependencies are installed"
  exit 0
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  warn_unavailable || true
  log "all dependencies are installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "missing packages: ${missing[*]}" >&2
  echo "run as root: sudo $0" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log "missing: ${missing[*]}"
log "running apt-get update"
apt-get update -q

# With fresh lists, re-check availability of everything still missing.
filter_unavailable
warn_unavailable || exit 1

if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing: ${missing[*]}"
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"
fi

still=()
for p in "${missing[@]+"${missing[@]}"}"; do
  is_installed "$p" || still+=("$p")
done
if [[ ${#still[@]} -gt 0 ]]; then
  log "error: still missing after install: ${still[*]}"
  exit 1
fi
log "done"

#!/usr/bin/env bash
# Prepare (and check) the unprivileged user that runs the rootless test pass.
#
# Usage: hack/rootless-user.sh [--check] [PATH...]
#   Creates user $BOX_TEST_USER (default: boxtest) if missing, gives it the
#   subordinate ID ranges boxtest:200000:65536 in /etc/subuid and /etc/subgid,
#   then checks that:
#     - newuidmap/newgidmap are installed,
#     - the user can create user namespaces (`unshare -U true`, `unshare -Ur true`),
#     - every PATH given is readable by the user (directories: also searchable;
#       executable files: also executable).
#   --check   make no changes, only check.
# Must run as root. Exit status 0 if the rootless pass can run; otherwise 1 and
# the reasons on stderr.
set -euo pipefail

USER_NAME=${BOX_TEST_USER:-boxtest}
SUB_START=200000
SUB_COUNT=65536

log() { echo "rootless-user: $*" >&2; }

check_only=0
if [[ "${1:-}" == --check ]]; then
  check_only=1
  shift
elif [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root"
  exit 1
fi

problems=()

# ensure_subids FILE: make FILE contain exactly one entry for the user, with
# the fixed range.
ensure_subids() {
  local file=$1 uid want tmp
  uid=$(id -u "$USER_NAME")
  want="$USER_NAME:$SUB_START:$SUB_COUNT"
  [[ -e "$file" ]] || install -m 0644 /dev/null "$file"
  if grep -qxF "$want" "$file" &&
    [[ $(awk -F: -v u="$USER_NAME" -v i="$uid" '$1 == u || $1 == i' "$file" | wc -l) -eq 1 ]]; then
    return 0
  fi
  tmp=$(mktemp "$file.XXXXXX")
  awk -F: -v u="$USER_NAME" -v i="$uid" '$1 != u && $1 != i' "$file" >"$tmp"
  echo "$want" >>"$tmp"
  chmod 0644 "$tmp"
  mv "$tmp" "$file"
  log "set $want in $file"
}

# warn_overlap FILE: other users whose ranges overlap ours (harmless for
# tests, but worth knowing).
warn_overlap() {
  local file=$1 uid
  uid=$(id -u "$USER_NAME")
  awk -F: -v u="$USER_NAME" -v i="$uid" -v s="$SUB_START" -v c="$SUB_COUNT" \
    'NF >= 3 && $1 != u && $1 != i && $2 < s + c && s < $2 + $3 { print $0 }' "$file" 2>/dev/null |
    while IFS= read -r line; do
      log "warning: $file: range of '$line' overlaps $SUB_START:$SUB_COUNT"
    done
}

has_range() {
  local file=$1
  [[ -r "$file" ]] && grep -qxF "$USER_NAME:$SUB_START:$SUB_COUNT" "$file"
}

as_user() { runuser -u "$USER_NAME" -- "$@"; }

if ! id -u "$USER_NAME" >/dev/null 2>&1; then
  if [[ $check_only -eq 1 ]]; then
    log "user '$USER_NAME' does not exist (run hack/rootless-user.sh without --check)"
    exit 1
  fi
  useradd --create-home --shell /bin/bash --user-group "$USER_NAME"
  log "created user $USER_NAME (uid $(id -u "$USER_NAME"))"
fi

if [[ $check_only -eq 0 ]]; then
  ensure_subids /etc/subuid
  ensure_subids /etc/subgid
fi
for f in /etc/subuid /etc/subgid; do
  has_range "$f" || problems+=("$f has no entry $USER_NAME:$SUB_START:$SUB_COUNT")
  warn_overlap "$f"
done

for tool in newuidmap newgidmap; do
  path=$(command -v "$tool" || true)
  if [[ -z "$path" ]]; then
    problems+=("$tool not found (install the uidmap package)")
  elif [[ ! -u "$path" ]] && command -v getcap >/dev/null 2>&1 &&
    [[ -z "$(getcap "$path" 2>/dev/null)" ]]; then
    problems+=("$path is neither setuid nor has file capabilities")
  fi
done

if ! command -v unshare >/dev/null 2>&1 || ! command -v runuser >/dev/null 2>&1; then
  problems+=("unshare/runuser not found (install util-linux)")
elif ! err=$(cd / && as_user unshare -U true 2>&1); then
  problems+=("unprivileged user namespaces do not work for $USER_NAME: ${err:-unshare -U failed}")
elif ! err=$(cd / && as_user unshare -Ur true 2>&1); then
  problems+=("$USER_NAME cannot map itself to root in a user namespace (AppArmor/sysctl restriction?): ${err:-unshare -Ur failed}")
fi

for p in "$@"; do
  if [[ -d "$p" ]]; then
    # shellcheck disable=SC2016 # $1 is expanded by the inner sh
    (cd / && as_user sh -c 'test -r "$1" && test -x "$1"' sh "$p") || problems+=("directory $p is not readable/searchable by $USER_NAME")
  elif [[ -f "$p" && -x "$p" ]]; then
    (cd / && as_user test -x "$p") || problems+=("$p is not executable by $USER_NAME")
  elif [[ -e "$p" ]]; then
    (cd / && as_user test -r "$p") || problems+=("$p is not readable by $USER_NAME")
  else
    problems+=("$p does not exist")
  fi
done

if [[ ${#problems[@]} -gt 0 ]]; then
  for p in "${problems[@]}"; do log "$p"; done
  exit 1
fi
log "user $USER_NAME (uid $(id -u "$USER_NAME")) is ready for the rootless pass"

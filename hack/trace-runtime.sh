#!/usr/bin/env bash
# A logging wrapper to put between an engine and the OCI runtime: records each
# call's argv, what its stdin/stdout/stderr are, the bundle's config.json and
# the --process file, and the exit status, then behaves exactly like the
# runtime (same argv, stdio, exit status).
#
# Give the engine a symlink to this script named like the runtime (podman
# passes --log-format json only to runtimes whose basename it knows):
#   mkdir -p /tmp/trace && ln -sf "$PWD/hack/trace-runtime.sh" /tmp/trace/box
#   TRACE_RUNTIME=$PWD/build/box podman --runtime /tmp/trace/box run ...
#   ctr run --runc-binary /tmp/trace/box ...     (the shim passes the env on)
#   less /tmp/trace/calls.log
# Environment:
#   TRACE_RUNTIME  the real runtime (default: build/box next to this script)
#   TRACE_LOG      log file (default: calls.log beside the symlink)
# The engine's daemon (containerd, conmon) must see these variables; without
# them the defaults apply.
self=$(readlink -f "${BASH_SOURCE[0]}")
repo=$(cd "$(dirname "$self")/.." && pwd)
real=${TRACE_RUNTIME:-$repo/build/box}
log=${TRACE_LOG:-$(dirname "$0")/calls.log}
id="$$.${EPOCHREALTIME/./}"

fd_kind() {
  local t
  t=$(readlink "/proc/self/fd/$1" 2>/dev/null) || { echo closed; return; }
  case "$t" in
    /dev/pts/* | /dev/tty*) echo "tty:$t" ;;
    pipe:* | socket:*) echo "$t" ;;
    /dev/null) echo null ;;
    *) echo "file:$t" ;;
  esac
}

{
  printf '%s %s argv:' "$(date +%T.%N)" "$id"
  printf ' %q' "$@"
  printf '\n%s %s stdio: in=%s out=%s err=%s\n' "$(date +%T.%N)" "$id" \
    "$(fd_kind 0)" "$(fd_kind 1)" "$(fd_kind 2)"
} >>"$log"

prev=""
for a in "$@"; do
  case "$prev" in
    --bundle | -b) cp "$a/config.json" "$log.$id.config.json" 2>/dev/null ;;
    --process | -p) cp "$a" "$log.$id.process.json" 2>/dev/null ;;
  esac
  case "$a" in
    --bundle=* | -b=*) cp "${a#*=}/config.json" "$log.$id.config.json" 2>/dev/null ;;
    --process=*) cp "${a#*=}" "$log.$id.process.json" 2>/dev/null ;;
  esac
  prev=$a
done

"$real" "$@"
rc=$?
printf '%s %s exit=%d\n' "$(date +%T.%N)" "$id" "$rc" >>"$log"
exit "$rc"

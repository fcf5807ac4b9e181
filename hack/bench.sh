#!/usr/bin/env bash
# Benchmark box against runc and crun on the same bundle, in the same run
# (`make bench`). Prints a table and writes, under $BENCH_OUT (build/bench):
#   results.json  every sample, p50/p95/p99, ratios, peak RSS, sizes, targets
#   results.md    markdown table with machine and versions, for the README
#   bench.png     gnuplot chart: p50 per operation and runtime, whiskers to p95
#
# Operations (see hack/bench.py, which does the timing): `run` of /bin/true;
# create+start+delete --force; `exec` of /bin/true into a running container;
# BENCH_PARALLEL containers started at once with `run -d`; and the kernel floor
# (no runtime: `unshare ... chroot ROOTFS /bin/true` for run, `nsenter --all` into
# box's exec target for exec). Runtimes and floor alternate
# run by run; each has its own --root under a temp dir; one copy of the rootfs.
#
# crun 1.8.1 refuses this host's hybrid cgroups, so crun runs with
# --cgroup-manager=disabled inside a private mount namespace (held by an
# `unshare --mount` process) where cgroup2 is mounted at /sys/fs/cgroup; the
# driver's child joins it with setns() before exec'ing crun. box and runc run in
# the host mount namespace with their default cgroup handling.
#
# Targets from issues 7 and 16 are printed as PASS/MISS; a MISS does not fail the script.
# Needs root. Installs gnuplot-nox and GNU time with apt-get when missing.
#
# Environment:
#   BUILD_DIR              CMake build directory (default: <repo>/build)
#   BOX_BIN                box binary (default: $BUILD_DIR/box)
#   ROOTFS_DIR / ROOTFS    rootfs (default: <repo>/rootfs/rootfs)
#   BENCH_OUT              output directory (default: $BUILD_DIR/bench)
#   BENCH_N                timed runs per operation and runtime (default: 100)
#   BENCH_WARMUP           discarded warm-up runs per operation (default: 3)
#   BENCH_PARALLEL         containers per parallel round (default: 20)
#   BENCH_PARALLEL_ROUNDS  timed parallel rounds per runtime (default: 10)
#   BENCH_RSS_N            untimed runs per operation for peak RSS (default: 3)
#   BENCH_TIMEOUT          seconds before one invocation counts as hung (default: 60)
#   BENCH_SCALE_COUNTS     containers present in the scale section (default: "0 100 1000";
#                          e.g. "0 10 50" for a quick run; empty: no scale section)
#   BENCH_SCALE_N          rounds per count in the scale section (default: 20)
#   BENCH_SCALE_PARALLEL   containers started at once in the scale section (default: "1 10 50")
#   BENCH_SCALE_SAMPLES    latencies per parallel level (default: 100; rounds = this / P, >= 3)
#   BENCH_ENGINES          1: the engine table, `docker run --rm` and `podman run --rm` with box
#                          and runc (hack/bench_engines.py; default 1; 0: none)
#   BENCH_ENGINE_N         timed runs per engine and runtime (default: 30)
#   RUNC, CRUN             runtime binaries (default: from PATH; empty or "none" = skip)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
BOX_BIN=${BOX_BIN:-$BUILD_DIR/box}
ROOTFS_DIR=${ROOTFS_DIR:-$REPO/rootfs}
ROOTFS=${ROOTFS:-$ROOTFS_DIR/rootfs}
BENCH_OUT=${BENCH_OUT:-$BUILD_DIR/bench}
BENCH_N=${BENCH_N:-100}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_PARALLEL=${BENCH_PARALLEL:-20}
BENCH_PARALLEL_ROUNDS=${BENCH_PARALLEL_ROUNDS:-10}
BENCH_RSS_N=${BENCH_RSS_N:-3}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-60}
BENCH_SCALE_COUNTS=${BENCH_SCALE_COUNTS-0 100 1000}
BENCH_SCALE_N=${BENCH_SCALE_N:-20}
BENCH_SCALE_PARALLEL=${BENCH_SCALE_PARALLEL:-1 10 50}
BENCH_SCALE_SAMPLES=${BENCH_SCALE_SAMPLES:-100}
BENCH_ENGINES=${BENCH_ENGINES:-1}
BENCH_ENGINE_N=${BENCH_ENGINE_N:-30}
RUNC=${RUNC-$(command -v runc || true)}
CRUN=${CRUN-$(command -v crun || true)}
TIME_BIN=/usr/bin/time

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*"; }

for v in BENCH_N BENCH_WARMUP BENCH_PARALLEL BENCH_PARALLEL_ROUNDS BENCH_RSS_N BENCH_TIMEOUT \
  BENCH_SCALE_N BENCH_SCALE_SAMPLES BENCH_ENGINE_N; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer, got '${!v}'"
done
for v in BENCH_SCALE_COUNTS BENCH_SCALE_PARALLEL; do
  [[ ${!v} =~ ^[0-9\ ]*$ ]] || die "$v must be numbers separated by spaces, got '${!v}'"
done
for p in $BENCH_SCALE_PARALLEL; do
  [[ $p -ge 1 ]] || die "BENCH_SCALE_PARALLEL: each level must be at least 1, got '$p'"
done
[[ $BENCH_ENGINES == [01] ]] || die "BENCH_ENGINES must be 0 or 1, got '$BENCH_ENGINES'"
[[ $BENCH_N -ge 1 && $BENCH_PARALLEL -ge 1 ]] || die "BENCH_N and BENCH_PARALLEL must be at least 1"
[[ $(id -u) -eq 0 ]] || die "must run as root (runc and crun are benchmarked rootful)"
[[ -x $BOX_BIN ]] || die "box binary $BOX_BIN not found (run make)"
[[ -d $ROOTFS/bin ]] || die "rootfs $ROOTFS not found (run make rootfs)"
command -v python3 >/dev/null || die "python3 is required"

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
}
if ! command -v gnuplot >/dev/null; then
  note "installing gnuplot-nox"
  apt_install gnuplot-nox || note "could not install gnuplot-nox; no chart"
fi
if [[ ! -x $TIME_BIN ]]; then
  note "installing GNU time (for peak RSS)"
  apt_install time || note "could not install GNU time; peak RSS not measured"
fi

SKIP_ARGS=()
# resolve VAR NAME VALUE: set VAR to VALUE's absolute path, or to "" and record
# why runtime NAME is skipped.
resolve() {
  local path=""
  if [[ -z $3 || $3 == none ]]; then
    SKIP_ARGS+=(--skip "$2=not installed")
  elif ! path=$(command -v "$3"); then
    SKIP_ARGS+=(--skip "$2=$3 not found")
    path=""
  fi
  printf -v "$1" '%s' "$path"
}
resolve RUNC_PATH runc "$RUNC"
resolve CRUN_PATH crun "$CRUN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/box-bench.XXXXXX")
HOLDER=""
# Containers left behind when the driver died: delete them before removing
# the rootfs they run from (the driver normally does this itself).
leftovers() {
  local name root ids id
  local -a cmd
  for name in box runc crun; do
    root="$WORK/root-$name"
    [[ -d $root ]] || continue
    case $name in
      box) cmd=("$BOX_BIN") ;;
      runc) cmd=("$RUNC_PATH") ;;
      crun)
        if [[ -z $HOLDER ]] || ! kill -0 "$HOLDER" 2>/dev/null; then continue; fi
        cmd=(nsenter "--mount=/proc/$HOLDER/ns/mnt" -- "$CRUN_PATH" --cgroup-manager=disabled) ;;
    esac
    ids=$("${cmd[@]}" --root "$root" list -q 2>/dev/null) || continue
    for id in $ids; do
      "${cmd[@]}" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
}
cleanup() {
  leftovers
  if [[ -n $HOLDER ]]; then
    kill "$HOLDER" 2>/dev/null || true
    wait "$HOLDER" 2>/dev/null || true
  fi
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

T0=$SECONDS
mkdir -p "$BENCH_OUT"
rm -f "$BENCH_OUT"/results.json "$BENCH_OUT"/results.md "$BENCH_OUT"/bench.png \
  "$BENCH_OUT"/scale.gp "$BENCH_OUT"/scale.png
cp -a "$ROOTFS" "$WORK/rootfs"
mkdir "$WORK/spec"
"$BOX_BIN" spec --bundle "$WORK/spec"

CRUN_ARGS=()
if [[ -n $CRUN_PATH ]]; then
  # The holder: a private mount namespace with cgroup2 at /sys/fs/cgroup.
  unshare --mount --propagation private \
    sh -c 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec sleep infinity' &
  HOLDER=$!
  ready=0
  for _ in $(seq 100); do
    if awk '$5 == "/sys/fs/cgroup" && / - cgroup2 / { found = 1 } END { exit !found }' \
        "/proc/$HOLDER/mountinfo" 2>/dev/null; then
      ready=1
      break
    fi
    kill -0 "$HOLDER" 2>/dev/null || break
    sleep 0.05
  done
  if [[ $ready -eq 1 ]]; then
    CRUN_ARGS=(--crun "$CRUN_PATH" --crun-mntns "/proc/$HOLDER/ns/mnt")
  else
    SKIP_ARGS+=(--skip "crun=could not prepare a mount namespace with cgroup2 at /sys/fs/cgroup")
  fi
fi

RUNC_ARGS=()
[[ -z $RUNC_PATH ]] || RUNC_ARGS=(--runc "$RUNC_PATH")
ENGINE_ARGS=()
[[ $BENCH_ENGINES -eq 0 ]] || ENGINE_ARGS=(--engines --engine-n "$BENCH_ENGINE_N")
BOX_COMMIT=$(git -C "$REPO" describe --always --dirty 2>/dev/null || true)

python3 "$REPO/hack/bench.py" \
  --out "$BENCH_OUT" --work "$WORK" --rootfs "$WORK/rootfs" \
  --spec "$WORK/spec/config.json" --box "$(cd "$(dirname "$BOX_BIN")" && pwd)/$(basename "$BOX_BIN")" \
  --box-commit "$BOX_COMMIT" \
  "${RUNC_ARGS[@]}" "${CRUN_ARGS[@]}" "${SKIP_ARGS[@]}" "${ENGINE_ARGS[@]}" \
  --n "$BENCH_N" --warmup "$BENCH_WARMUP" --parallel "$BENCH_PARALLEL" \
  --parallel-rounds "$BENCH_PARALLEL_ROUNDS" --rss-n "$BENCH_RSS_N" \
  --timeout "$BENCH_TIMEOUT" --time-bin "$TIME_BIN" --floor \
  --scale-counts "$BENCH_SCALE_COUNTS" --scale-n "$BENCH_SCALE_N" \
  --scale-parallel "$BENCH_SCALE_PARALLEL" --scale-samples "$BENCH_SCALE_SAMPLES"

if command -v gnuplot >/dev/null; then
  if (cd "$BENCH_OUT" && gnuplot bench.gp); then
    note "chart: $BENCH_OUT/bench.png"
  else
    note "gnuplot failed; no chart"
  fi
  if [[ -f $BENCH_OUT/scale.gp ]]; then
    if (cd "$BENCH_OUT" && gnuplot scale.gp); then
      note "chart: $BENCH_OUT/scale.png"
    else
      note "gnuplot failed; no scale chart"
    fi
  fi
else
  note "gnuplot not installed; no chart ($BENCH_OUT/bench.gp is ready for it)"
fi
note "results: $BENCH_OUT/results.json, $BENCH_OUT/results.md"
note "total time $((SECONDS - T0))s"

#!/usr/bin/env python3
"""Benchmark driver for hack/bench.sh: times box, runc and crun the same way.

Every runtime invocation is a fork of this driver followed by execve of the
runtime binary (stdin/stdout on /dev/null, stderr appended to a per-runtime log).
Wall time is time.perf_counter_ns() from just before the fork to the return of
os.wait4(). For crun the forked child first joins a prepared mount namespace
(setns via ctypes, cgroup2 mounted at /sys/fs/cgroup) and then execs crun, so
crun pays no extra fork or exec compared with the others.

Peak RSS: ru_maxrss of a process that forked from this driver includes the
driver's own resident set (the kernel records the old mm's high-water mark at
execve), about 10 MiB for python3, which would hide the runtimes' real numbers.
So RSS comes from separate, untimed runs in which the child execs GNU time
(/usr/bin/time -f %M), which forks the runtime from a ~1 MiB process and reports
the runtime's ru_maxrss from wait4 (RUSAGE_BOTH: the runtime process and the
children it reaped, e.g. its container init before that init execs).

Operations (ids are unique per run; nothing is reused):
  run      `run --bundle B ID` of /bin/true
  csd      `create --bundle B ID`, `start ID`, `delete --force ID`, timed together
  exec     `exec ID /bin/true` into a container started once with `run -d`
  parallel P x `run -d --bundle B ID` forked at once; wall time until all returned;
           then `delete --force` of all P (not timed)
Runtimes alternate run by run (box, runc, crun, box, ...); warm-up runs are
discarded. Every invocation must exit 0; a runtime that fails an operation is
reported as FAILED for it (with its stderr), never with a time.

Usage: see hack/bench.sh, which prepares the rootfs copy, the spec and the crun
mount namespace, then calls this script and gnuplot.
"""

import argparse
import ctypes
import datetime
import gc
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

import bench_scale

CLONE_NEWNS = 0x00020000

OPS = [
    ("run", "run"),
    ("csd", "create+start+delete"),
    ("exec", "exec"),
    ("parallel", "run -d x{P} parallel"),
]

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.setns.argtypes = [ctypes.c_int, ctypes.c_int]
LIBC.setns.restype = ctypes.c_int


class RuntimeFailed(Exception):
    pass


class StepTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise StepTimeout()


class Runtime:
    def __init__(self, name, path, gargs, setting, mntns=None):
        self.name = name
        self.path = path
        self.gargs = list(gargs)
        self.setting = setting
        self.mntns = mntns
        self.ns_fd = None
        self.log_path = None
        self.log_fd = None
        self.ok = True
        self.note = ""
        self.version = ""
        self.failed_ops = {}

    # The operations it takes part in, and whether its peak RSS is measured.
    ops = ("run", "csd", "exec", "parallel")
    measure_rss = True

    def argv(self, args):
        return [self.path] + self.gargs + list(args)


class Floor(Runtime):
    """The kernel's floor (issue 16): the same namespaces and program, no runtime at all.

    run:  unshare -m -u -i -n -p --cgroup -f chroot ROOTFS /bin/true
    exec: nsenter --all --target PID /bin/true, PID being box's exec target's init
    """
    ops = ("run", "exec")
    measure_rss = False

    def __init__(self, unshare, nsenter, rootfs):
        super().__init__("floor", unshare, [], "no runtime: `unshare -m -u -i -n -p --cgroup -f "
                         "chroot ROOTFS /bin/true` for run, `nsenter --all --target PID /bin/true` "
                         "into box's exec target for exec")
        self.nsenter = nsenter
        self.rootfs = rootfs

    def argv(self, args):
        if args[0] == "run":
            return [self.path, "-m", "-u", "-i", "-n", "-p", "--cgroup", "-f", "chroot",
                    self.rootfs, "/bin/true"]
        if args[0] == "exec":
            return [self.nsenter, "--all", "--target", args[1], "/bin/true"]
        raise ValueError("the floor has no %s" % args[0])


class Driver:
    def __init__(self, opts):
        self.opts = opts
        self.devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        self.env = dict(os.environ)
        self.seq = 0
        self.time_bin = opts.time_bin if opts.time_bin and os.access(opts.time_bin, os.X_OK) else None

    # -- process plumbing -------------------------------------------------
    def spawn(self, rt, args, rss_file=None):
        argv = rt.argv(args)
        if rss_file is not None:
            argv = [self.time_bin, "-q", "-f", "%M", "-o", rss_file] + argv
        pid = os.fork()
        if pid == 0:  # child: keep this path short, it is inside the timing
            try:
                os.dup2(self.devnull, 0)
                os.dup2(self.devnull, 1)
                os.dup2(rt.log_fd, 2)
                if rt.ns_fd is not None and LIBC.setns(rt.ns_fd, CLONE_NEWNS) != 0:
                    os.write(2, b"bench: setns(CLONE_NEWNS) failed: %s\n"
                             % os.strerror(ctypes.get_errno()).encode())
                    os._exit(126)
                os.execve(argv[0], argv, self.env)
            except BaseException as e:  # noqa: BLE001 - child must never return
                try:
                    os.write(2, ("bench: exec %s: %s\n" % (argv[0], e)).encode())
                finally:
                    os._exit(127)
        return pid

    def reap(self, pid):
        while True:
            try:
                _, status, ru = os.wait4(pid, 0)
                return os.waitstatus_to_exitcode(status), ru
            except ChildProcessError:
                return 255, None

    def log_tail(self, rt, nbytes=600):
        try:
            with open(rt.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - nbytes))
                return f.read().decode(errors="replace").strip().splitlines()[-3:]
        except OSError:
            return []

    def fail(self, rt, args, rc):
        tail = " | ".join(self.log_tail(rt))
        return RuntimeFailed("%s %s exited %s%s" % (rt.name, " ".join(args), rc,
                                                    (": " + tail) if tail else ""))

    def run_steps(self, rt, steps, timeout):
        """Run steps one after the other; return wall ns. Raise on non-zero exit."""
        signal.alarm(timeout)
        pid = None
        try:
            t0 = time.perf_counter_ns()
            for args in steps:
                pid = self.spawn(rt, args)
                rc, _ = self.reap(pid)
                pid = None
                if rc != 0:
                    raise self.fail(rt, args, rc)
            t1 = time.perf_counter_ns()
        except StepTimeout:
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                self.reap(pid)
            raise RuntimeFailed("%s: timed out after %ss" % (rt.name, timeout))
        finally:
            signal.alarm(0)
        return t1 - t0

    def run_parallel(self, rt, arglists, timeout):
        """Fork all at once; return (wall ns until all returned, [rc...])."""
        signal.alarm(timeout)
        pids = []
        try:
            t0 = time.perf_counter_ns()
            for args in arglists:
                pids.append(self.spawn(rt, args))
            rcs = []
            for pid in pids:
                rcs.append(self.reap(pid)[0])
            t1 = time.perf_counter_ns()
            pids = []
        except StepTimeout:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.reap(pid)
            raise RuntimeFailed("%s: parallel run timed out after %ss" % (rt.name, timeout))
        finally:
            signal.alarm(0)
        return t1 - t0, rcs

    def rss_steps(self, rt, steps):
        """Untimed: run steps through GNU time; return max ru_maxrss in KiB."""
        peak = 0
        for args in steps:
            out = os.path.join(self.opts.work, "rss.%d" % os.getpid())
            pid = self.spawn(rt, args, rss_file=out)
            rc, _ = self.reap(pid)
            if rc != 0:
                raise self.fail(rt, args, rc)
            with open(out) as f:
                lines = [ln for ln in f.read().split() if ln.isdigit()]
            if lines:
                peak = max(peak, int(lines[-1]))
        return peak

    def new_id(self, rt, op):
        self.seq += 1
        return "bench-%s-%s-%d" % (op, rt.name, self.seq)

    def quiet(self, rt, args):
        """Untimed helper run; returns rc."""
        pid = self.spawn(rt, args)
        return self.reap(pid)[0]

    def cleanup(self, rt):
        """delete --force everything the runtime lists under its --root."""
        if isinstance(rt, Floor):
            return
        try:
            cmd = rt.argv(["list", "-q"])
            if rt.mntns:
                cmd = ["nsenter", "--mount=" + rt.mntns, "--"] + cmd
            out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            return
        ids = [x.strip() for x in out.splitlines() if x.strip()]
        pids = [self.spawn(rt, ["delete", "--force", cid]) for cid in ids]
        for pid in pids:
            self.reap(pid)


def percentile(sorted_vals, p):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_vals:
        return None
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    k = (len(sorted_vals) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def first_line(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=20).stdout
        return out.strip().splitlines()[0] if out.strip() else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def stripped_size(path, work):
    strip = shutil.which("strip")
    if not strip:
        return None
    dst = os.path.join(work, "stripped.%s" % os.path.basename(path))
    try:
        subprocess.run([strip, "-o", dst, path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        size = os.path.getsize(dst)
        os.unlink(dst)
        return size
    except (OSError, subprocess.SubprocessError):
        return None


def write_bundle(spec, root_path, args, path):
    cfg = json.loads(json.dumps(spec))
    # crun 1.8.1 rejects ociVersion 1.2.0 ("unknown version specified"); every
    # runtime gets the same bundle, so use a version all three accept.
    cfg["ociVersion"] = "1.0.2-dev"
    cfg["root"]["path"] = root_path
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = args
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    return path


def machine_info():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    distro = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "nproc_usable": len(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "cpu": cpu,
        "distro": distro,
    }


def fmt(v, nd=1):
    return "-" if v is None else ("%.*f" % (nd, v))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True, help="temp dir (bundles, --root dirs, logs)")
    ap.add_argument("--rootfs", required=True, help="the rootfs copy every bundle uses")
    ap.add_argument("--spec", required=True, help="config.json from `box spec`")
    ap.add_argument("--box", required=True)
    ap.add_argument("--box-commit", default="")
    ap.add_argument("--runc", default="")
    ap.add_argument("--crun", default="")
    ap.add_argument("--crun-mntns", default="", help="/proc/PID/ns/mnt of the holder")
    ap.add_argument("--skip", action="append", default=[], help="NAME=reason")
    ap.add_argument("--floor", action="store_true",
                    help="also time the kernel's floor (unshare/nsenter, see Floor)")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--parallel", type=int, default=20)
    ap.add_argument("--parallel-rounds", type=int, default=10)
    ap.add_argument("--rss-n", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--time-bin", default="/usr/bin/time")
    ap.add_argument("--scale-counts", default="", help="containers present, e.g. '0 100 1000'; "
                    "empty: no scale section")
    ap.add_argument("--scale-n", type=int, default=20, help="rounds per count")
    ap.add_argument("--scale-parallel", default="1 10 50", help="containers started at once")
    ap.add_argument("--scale-samples", type=int, default=100,
                    help="latencies per parallel level (rounds = samples / P, at least 3)")
    opts = ap.parse_args()

    started = time.monotonic()
    loadavg_start = " ".join(open("/proc/loadavg").read().split()[:3])
    os.makedirs(opts.out, exist_ok=True)
    signal.signal(signal.SIGALRM, _on_alarm)
    # SIGTERM unwinds like Ctrl-C, so the finally below deletes the containers.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    drv = Driver(opts)
    if not drv.time_bin:
        print("bench: no GNU time at %s: peak RSS not measured" % opts.time_bin)
        opts.rss_n = 0
    P = opts.parallel
    op_label = {k: v.format(P=P) for k, v in OPS}

    with open(opts.spec) as f:
        spec = json.load(f)
    b_true = write_bundle(spec, opts.rootfs, ["/bin/true"], os.path.join(opts.work, "bundle-true"))
    b_sleep = write_bundle(spec, opts.rootfs, ["/bin/sleep", "3600"],
                           os.path.join(opts.work, "bundle-sleep"))
    b_check = write_bundle(spec, opts.rootfs, ["/bin/sh", "-c", "exit 7"],
                           os.path.join(opts.work, "bundle-check"))

    # -- runtimes -----------------------------------------------------------
    skipped = {}
    for s in opts.skip:
        name, _, why = s.partition("=")
        skipped[name] = why
    runtimes = []
    cand = [("box", opts.box, [], "host mount namespace; cgroupfs on the host's hybrid "
             "hierarchy (box's default)")]
    if opts.runc:
        cand.append(("runc", opts.runc, [], "host mount namespace; cgroupfs on the host's "
                     "hybrid hierarchy (runc's default)"))
    if opts.crun:
        cand.append(("crun", opts.crun, ["--cgroup-manager=disabled"],
                     "--cgroup-manager=disabled, in a private mount namespace with cgroup2 "
                     "at /sys/fs/cgroup (driver's child setns()es, then execs crun)"))
    all_rt = {}
    for name, path, gargs, setting in cand:
        rt = Runtime(name, path, gargs + ["--root", os.path.join(opts.work, "root-" + name)],
                     setting, mntns=(opts.crun_mntns if name == "crun" else None))
        rt.version = first_line([path, "--version"])
        rt.log_path = os.path.join(opts.work, "stderr-%s.log" % name)
        rt.log_fd = os.open(rt.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        all_rt[name] = rt
        if rt.mntns:
            try:
                rt.ns_fd = os.open(rt.mntns, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as e:
                rt.ok, rt.note = False, "cannot open mount namespace %s: %s" % (rt.mntns, e)
                continue
        # Preflight: the container must really run: `sh -c "exit 7"` must give 7.
        cid = drv.new_id(rt, "check")
        try:
            rc = None
            signal.alarm(opts.timeout)
            rc = drv.quiet(rt, ["run", "--bundle", b_check, cid])
        except StepTimeout:
            rc = "timeout"
        finally:
            signal.alarm(0)
        if rc != 7:
            rt.ok = False
            rt.note = "preflight `run` of `sh -c 'exit 7'` returned %s, not 7: %s" % (
                rc, " | ".join(drv.log_tail(rt)))
            drv.cleanup(rt)
            continue
        runtimes.append(rt)

    unshare, nsenter = shutil.which("unshare"), shutil.which("nsenter")
    if opts.floor and unshare and nsenter and "box" in [r.name for r in runtimes]:
        floor = Floor(unshare, nsenter, opts.rootfs)
        floor.version = first_line([unshare, "--version"])
        floor.log_path = os.path.join(opts.work, "stderr-floor.log")
        floor.log_fd = os.open(floor.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                               0o644)
        all_rt["floor"] = floor
        rc = drv.quiet(floor, ["run"])
        if rc == 0:
            runtimes.append(floor)
        else:
            floor.ok = False
            floor.note = "`unshare ... chroot ROOTFS /bin/true` returned %s: %s" % (
                rc, " | ".join(drv.log_tail(floor)))
    elif opts.floor:
        skipped["floor"] = "needs unshare and nsenter (util-linux) and box"

    for name, why in skipped.items():
        print("bench: %s skipped: %s" % (name, why))
    for rt in all_rt.values():
        if not rt.ok:
            print("bench: %s skipped: %s" % (rt.name, rt.note))
    print("bench: runtimes: %s; N=%d (+%d warm-up), parallel %d x %d rounds, RSS runs %d"
          % (", ".join(r.name for r in runtimes) or "none", opts.n, opts.warmup, P,
             opts.parallel_rounds, opts.rss_n))
    sys.stdout.flush()

    samples = {op: {rt.name: [] for rt in runtimes} for op, _ in OPS}
    rss = {op: {rt.name: 0 for rt in runtimes} for op, _ in OPS}

    def alive(rt, op):
        return rt.ok and op in rt.ops and op not in rt.failed_ops

    def alive_rss(rt, op):
        return alive(rt, op) and rt.measure_rss

    def record_fail(rt, op, err):
        rt.failed_ops[op] = str(err)
        print("bench: %s FAILED %s: %s" % (rt.name, op, err))
        drv.cleanup(rt)

    gc.collect()
    gc.disable()
    try:
        # (1) run, (2) create+start+delete
        for op in ("run", "csd"):
            for i in range(opts.warmup + opts.n):
                for rt in runtimes:
                    if not alive(rt, op):
                        continue
                    cid = drv.new_id(rt, op)
                    if op == "run":
                        steps = [["run", "--bundle", b_true, cid]]
                    else:
                        steps = [["create", "--bundle", b_true, cid], ["start", cid],
                                 ["delete", "--force", cid]]
                    try:
                        ns = drv.run_steps(rt, steps, opts.timeout)
                    except RuntimeFailed as e:
                        record_fail(rt, op, e)
                        continue
                    if i >= opts.warmup:
                        samples[op][rt.name].append(ns / 1e6)
            for i in range(opts.rss_n):
                for rt in runtimes:
                    if not alive_rss(rt, op):
                        continue
                    cid = drv.new_id(rt, op + "-rss")
                    if op == "run":
                        steps = [["run", "--bundle", b_true, cid]]
                    else:
                        steps = [["create", "--bundle", b_true, cid], ["start", cid],
                                 ["delete", "--force", cid]]
                    try:
                        rss[op][rt.name] = max(rss[op][rt.name], drv.rss_steps(rt, steps))
                    except RuntimeFailed as e:
                        record_fail(rt, op, e)

        # (3) exec into a running container
        targets = {}
        for rt in runtimes:
            if not rt.ok or isinstance(rt, Floor):
                continue
            cid = drv.new_id(rt, "exectarget")
            rc = drv.quiet(rt, ["run", "-d", "--bundle", b_sleep, cid])
            if rc != 0:
                record_fail(rt, "exec", drv.fail(rt, ["run", "-d", cid], rc))
            else:
                targets[rt.name] = cid
        # The floor enters box's target: the same container, with nsenter instead of a runtime.
        if "box" in targets and "floor" in all_rt:
            try:
                out = subprocess.run([opts.box, "--root", os.path.join(opts.work, "root-box"),
                                      "state", targets["box"]], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, timeout=60).stdout
                targets["floor"] = str(json.loads(out)["pid"])
            except (OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
                record_fail(all_rt["floor"], "exec", RuntimeFailed("no pid of box's exec target: %s" % e))
        for i in range(opts.warmup + opts.n):
            for rt in runtimes:
                if not alive(rt, "exec") or rt.name not in targets:
                    continue
                try:
                    ns = drv.run_steps(rt, [["exec", targets[rt.name], "/bin/true"]], opts.timeout)
                except RuntimeFailed as e:
                    record_fail(rt, "exec", e)
                    continue
                if i >= opts.warmup:
                    samples["exec"][rt.name].append(ns / 1e6)
        for i in range(opts.rss_n):
            for rt in runtimes:
                if not alive_rss(rt, "exec"):
                    continue
                try:
                    rss["exec"][rt.name] = max(rss["exec"][rt.name], drv.rss_steps(
                        rt, [["exec", targets[rt.name], "/bin/true"]]))
                except RuntimeFailed as e:
                    record_fail(rt, "exec", e)
        for rt in runtimes:
            if rt.name in targets and not isinstance(rt, Floor):
                drv.quiet(rt, ["delete", "--force", targets[rt.name]])

        # (4) P containers started in parallel with run -d; cleanup untimed
        pwarm = 1 if opts.warmup > 0 else 0
        for r in range(pwarm + opts.parallel_rounds):
            for rt in runtimes:
                if not alive(rt, "parallel"):
                    continue
                ids = [drv.new_id(rt, "par") for _ in range(P)]
                try:
                    ns, rcs = drv.run_parallel(
                        rt, [["run", "-d", "--bundle", b_sleep, cid] for cid in ids],
                        opts.timeout)
                    bad = [rc for rc in rcs if rc != 0]
                    if bad:
                        raise drv.fail(rt, ["run", "-d", "(%d of %d failed)" % (len(bad), P)],
                                       bad[0])
                except RuntimeFailed as e:
                    record_fail(rt, "parallel", e)
                    continue
                finally:
                    pids = [drv.spawn(rt, ["delete", "--force", cid]) for cid in ids]
                    for pid in pids:
                        drv.reap(pid)
                if r >= pwarm:
                    samples["parallel"][rt.name].append(ns / 1e6)
        for i in range(opts.rss_n):
            for rt in runtimes:
                if not alive(rt, "parallel"):
                    continue
                cid = drv.new_id(rt, "par-rss")
                try:
                    rss["parallel"][rt.name] = max(rss["parallel"][rt.name], drv.rss_steps(
                        rt, [["run", "-d", "--bundle", b_sleep, cid]]))
                except RuntimeFailed as e:
                    record_fail(rt, "parallel", e)
                finally:
                    drv.quiet(rt, ["delete", "--force", cid])
        # (5) scale: box only (bench_scale.py)
        scale = None
        box_rt = all_rt.get("box")
        if opts.scale_counts.split() and box_rt and box_rt.ok:
            print("bench: scale section: containers present %s, parallel %s"
                  % (opts.scale_counts, opts.scale_parallel))
            sys.stdout.flush()
            try:
                scale = {"n": opts.scale_n}
                scale["present"] = bench_scale.measure_present(
                    drv, box_rt, b_sleep, [int(c) for c in opts.scale_counts.split()],
                    opts.scale_n, opts.warmup, opts.timeout, percentile)
                scale["parallel"] = bench_scale.measure_parallel(
                    drv, box_rt, b_sleep, [int(p) for p in opts.scale_parallel.split()],
                    opts.scale_samples, opts.timeout, percentile)
            except RuntimeFailed as e:
                print("bench: box FAILED scale: %s" % e)
                scale = {"error": str(e)}
    finally:
        gc.enable()
        for rt in all_rt.values():
            drv.cleanup(rt)

    # -- statistics -----------------------------------------------------------
    results = {}
    for op, _ in OPS:
        results[op] = {}
        for rt in runtimes:
            if op not in rt.ops:
                continue
            vals = sorted(samples[op][rt.name])
            entry = {"n": len(vals)}
            if op in rt.failed_ops:
                entry.update({"status": "failed", "error": rt.failed_ops[op]})
            elif not vals:
                entry.update({"status": "no samples"})
            else:
                entry.update({
                    "status": "ok",
                    "p50_ms": percentile(vals, 50),
                    "p95_ms": percentile(vals, 95),
                    "p99_ms": percentile(vals, 99),
                    "mean_ms": sum(vals) / len(vals),
                    "min_ms": vals[0],
                    "max_ms": vals[-1],
                    "peak_rss_mib": (rss[op][rt.name] / 1024.0) if (drv.time_bin and rss[op][rt.name]) else None,
                    "samples_ms": [round(v, 3) for v in samples[op][rt.name]],
                })
            results[op][rt.name] = entry

    def p50(op, name):
        e = results[op].get(name)
        return e.get("p50_ms") if e and e.get("status") == "ok" else None

    def peak_rss(name):
        vals = [results[op][name].get("peak_rss_mib") for op, _ in OPS
                if name in results[op] and results[op][name].get("status") == "ok"]
        vals = [v for v in vals if v is not None]
        return max(vals) if vals else None

    # The floor of each operation: create+start+delete is held against the run floor.
    floor_of = {"run": "run", "csd": "run", "exec": "exec"}
    ratios = {}
    for op, _ in OPS:
        ratios[op] = {}
        for other in ("runc", "crun"):
            b, o = p50(op, "box"), p50(op, other)
            ratios[op]["box/" + other] = (b / o) if (b is not None and o) else None
        b, f = p50(op, "box"), (p50(floor_of[op], "floor") if op in floor_of else None)
        ratios[op]["box/floor"] = (b / f) if (b is not None and f) else None

    targets = []

    def target(name, value, limit, strict=False):
        if value is None or limit is None:
            status = "n/a"
        else:
            status = "PASS" if (value < limit if strict else value <= limit) else "MISS"
        targets.append({"target": name, "value": value, "limit": limit, "status": status})

    def times(limit, factor):
        return None if limit is None else factor * limit

    # issue 16: against the kernel's floor and crun, and a tight tail
    target("run p50 <= 1.5 x floor", p50("run", "box"), times(p50("run", "floor"), 1.5))
    target("exec p50 <= 1.5 x exec floor", p50("exec", "box"), times(p50("exec", "floor"), 1.5))
    target("%s p50 <= 2 x run floor" % op_label["csd"], p50("csd", "box"),
           times(p50("run", "floor"), 2))
    for op, _ in OPS:
        if p50(op, "crun") is not None:
            target("%s p50 <= 0.9 x crun" % op_label[op], p50(op, "box"), times(p50(op, "crun"), 0.9))
    for op, _ in OPS:
        e = results[op].get("box", {})
        if e.get("status") == "ok":
            target("box %s p99 <= 1.5 x p50" % op_label[op], e["p99_ms"], 1.5 * e["p50_ms"])
        else:
            target("box %s p99 <= 1.5 x p50" % op_label[op], None, None)
    target("peak RSS (MiB) < crun", peak_rss("box"), peak_rss("crun"), strict=True)
    # issue 7: against runc
    for op in ("run", "csd", "exec"):
        target("%s p50 <= 0.5 x runc" % op_label[op], p50(op, "box"), times(p50(op, "runc"), 0.5))

    binaries = {}
    for rt in all_rt.values():
        if isinstance(rt, Floor):
            continue
        try:
            size = os.path.getsize(rt.path)
        except OSError:
            size = None
        binaries[rt.name] = {"path": rt.path, "bytes": size,
                             "stripped_bytes": stripped_size(rt.path, opts.work)}

    mach = machine_info()
    mach["loadavg_start"] = loadavg_start
    mach["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    elapsed = time.monotonic() - started
    doc = {
        "schema": 1,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": mach,
        "config": {"n": opts.n, "warmup": opts.warmup, "parallel": P,
                   "parallel_rounds": opts.parallel_rounds, "parallel_warmup": pwarm,
                   "rss_runs": opts.rss_n, "ociVersion": "1.0.2-dev",
                   "timing": "fork+execve from the driver to wait4, time.perf_counter_ns",
                   "rss": ("ru_maxrss via %s -f %%M in separate untimed runs" % drv.time_bin)
                   if drv.time_bin else "unavailable (no GNU time)"},
        "runtimes": {
            rt.name: {"path": rt.path, "version": rt.version, "setting": rt.setting,
                      "global_args": rt.gargs[:-2] + ["--root", "<tmp>/root-" + rt.name],
                      "status": "ok" if rt.ok else "skipped", "note": rt.note,
                      "box_commit": opts.box_commit if rt.name == "box" else None,
                      "failed_ops": rt.failed_ops}
            for rt in all_rt.values()},
        "skipped": skipped,
        "ops": {k: op_label[k] for k, _ in OPS},
        "results": results,
        "ratios_p50": ratios,
        "peak_rss_mib": {rt.name: peak_rss(rt.name) for rt in runtimes},
        "binaries": binaries,
        "targets": targets,
        "scale": scale,
        "driver_elapsed_s": round(elapsed, 1),
    }
    with open(os.path.join(opts.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

    # -- text table -----------------------------------------------------------
    names = [rt.name for rt in runtimes]
    lines = []
    lines.append("%-24s %-5s %5s %9s %9s %9s %9s" % ("operation", "rt", "n", "p50 ms",
                                                      "p95 ms", "p99 ms", "RSS MiB"))
    for op, _ in OPS:
        for n in names:
            e = results[op].get(n)
            if e is None:
                continue
            if e["status"] == "ok":
                lines.append("%-24s %-5s %5d %9.2f %9.2f %9.2f %9s" % (
                    op_label[op], n, e["n"], e["p50_ms"], e["p95_ms"], e["p99_ms"],
                    fmt(e["peak_rss_mib"], 2)))
            else:
                lines.append("%-24s %-5s %5s  %s" % (op_label[op], n, "-",
                                                     e["status"].upper() + ": " + e.get("error", "")))
    lines.append("")
    lines.append("%-24s %11s %11s %11s" % ("p50 ratio", "box/runc", "box/crun", "box/floor"))
    for op, _ in OPS:
        lines.append("%-24s %11s %11s %11s" % (op_label[op], fmt(ratios[op]["box/runc"], 2),
                                               fmt(ratios[op]["box/crun"], 2),
                                               fmt(ratios[op]["box/floor"], 2)))
    lines.append("")
    lines.append("%-6s %12s %14s  %s" % ("binary", "size MiB", "stripped MiB", "path"))
    for n, b in binaries.items():
        lines.append("%-6s %12s %14s  %s" % (
            n, fmt(b["bytes"] / 1048576.0 if b["bytes"] else None, 2),
            fmt(b["stripped_bytes"] / 1048576.0 if b["stripped_bytes"] else None, 2), b["path"]))
    lines.append("")
    lines.append("settings:")
    for rt in all_rt.values():
        lines.append("  %-5s %s%s" % (rt.name, rt.setting,
                                      "" if rt.ok else "  [SKIPPED: %s]" % rt.note))
    for n, why in skipped.items():
        lines.append("  %-5s [SKIPPED: %s]" % (n, why))
    lines.append("")
    lines.append("targets:")
    for t in targets:
        lines.append("  %-4s %-44s value %s, limit %s" % (
            t["status"], t["target"], fmt(t["value"], 2), fmt(t["limit"], 2)))
    if scale and "error" not in scale:
        lines.append("")
        lines += bench_scale.text_tables(scale, fmt)
    elif scale:
        lines += ["", "scale: FAILED: " + scale["error"]]
    print("\n".join(lines))

    # -- markdown ---------------------------------------------------------------
    md = []
    md.append("| operation | runtime | p50 ms | p95 ms | p99 ms | peak RSS MiB |")
    md.append("|---|---|---:|---:|---:|---:|")
    for op, _ in OPS:
        for n in names:
            e = results[op].get(n)
            if e is None:
                continue
            if e["status"] == "ok":
                md.append("| %s | %s | %.2f | %.2f | %.2f | %s |" % (
                    op_label[op], n, e["p50_ms"], e["p95_ms"], e["p99_ms"],
                    fmt(e["peak_rss_mib"], 2)))
            else:
                md.append("| %s | %s | %s | | | |" % (op_label[op], n, e["status"]))
    ratio_md = ["| operation | box/runc p50 | box/crun p50 | box/floor p50 |",
                "|---|---:|---:|---:|"]
    for op, _ in OPS:
        ratio_md.append("| %s | %s | %s | %s |" % (op_label[op], fmt(ratios[op]["box/runc"], 2),
                                                   fmt(ratios[op]["box/crun"], 2),
                                                   fmt(ratios[op]["box/floor"], 2)))
    vers = []
    for rt in all_rt.values():
        v = rt.version
        if rt.name == "box" and opts.box_commit:
            v += " (commit %s)" % opts.box_commit
        vers.append("%s: `%s`" % (rt.name, v))
    with open(os.path.join(opts.out, "results.md"), "w") as f:
        f.write("### Benchmark (`make bench`, %s)\n\n" % doc["date"])
        f.write("Machine: %s CPUs (`nproc`), %s, kernel %s, %s; load average %s at start, "
                "%s at end.  \n" % (mach["nproc_usable"], mach["cpu"] or "unknown CPU",
                                    mach["kernel"], mach["distro"], mach["loadavg_start"],
                                    mach["loadavg_end"]))
        f.write("Versions: %s.  \n" % "; ".join(vers))
        f.write("Runs: %d per operation and runtime after %d warm-up runs, runtimes "
                "alternated run by run; %d rounds of %d parallel `run -d`; same bundle "
                "(busybox rootfs, `box spec` with terminal false, `/bin/true`; `/bin/sleep "
                "3600` for the exec target and the parallel `run -d` containers). Times are "
                "wall time from fork to wait4 in the driver (hack/bench.py); peak RSS is "
                "ru_maxrss of the runtime process (max over %d untimed runs per operation, "
                "via GNU time). The floor is the same namespaces and program with no runtime: "
                "`unshare -m -u -i -n -p --cgroup -f chroot ROOTFS /bin/true` for run (and "
                "create+start+delete), `nsenter --all --target PID /bin/true` into box's exec "
                "target for exec, alternated with the runtimes.\n\n" % (opts.n, opts.warmup, opts.parallel_rounds, P,
                                        opts.rss_n))
        f.write("\n".join(md) + "\n\n")
        f.write("\n".join(ratio_md) + "\n\n")
        f.write("| binary | size MiB | stripped MiB |\n|---|---:|---:|\n")
        for n, b in binaries.items():
            f.write("| %s | %s | %s |\n" % (
                n, fmt(b["bytes"] / 1048576.0 if b["bytes"] else None, 2),
                fmt(b["stripped_bytes"] / 1048576.0 if b["stripped_bytes"] else None, 2)))
        f.write("\nSettings:\n\n")
        for rt in all_rt.values():
            f.write("- %s: %s%s\n" % (rt.name, rt.setting,
                                      "" if rt.ok else " — skipped: %s" % rt.note))
        for n, why in skipped.items():
            f.write("- %s: skipped: %s\n" % (n, why))
        f.write("\nTargets:\n\n| target | value | limit | result |\n|---|---:|---:|---|\n")
        for t in targets:
            f.write("| %s | %s | %s | %s |\n" % (t["target"], fmt(t["value"], 2),
                                                 fmt(t["limit"], 2), t["status"]))
        f.write("\n![box vs runc vs crun vs the floor: p50 per operation, bars to p95](bench.png)\n")
        if scale and "error" not in scale:
            f.write("\n" + "\n".join(bench_scale.markdown(scale, fmt)))
    if scale and "error" not in scale:
        files = bench_scale.gnuplot(scale, "%s CPUs, kernel %s, %s" % (
            mach["nproc_usable"], mach["kernel"], doc["date"]))
        for name, text in zip(("scale.dat", "parallel.dat", "scale.gp"), files):
            with open(os.path.join(opts.out, name), "w") as f:
                f.write(text)

    # -- gnuplot data and script ----------------------------------------------------
    # Columns per runtime: p50, p50 (low), p95 (high) -> histogram errorbars.
    def dat(path, ops):
        with open(path, "w") as f:
            f.write("# op " + " ".join("%s_p50 %s_lo %s_p95" % (n, n, n) for n in names) + "\n")
            for op in ops:
                row = ['"%s"' % op_label[op]]
                for n in names:
                    e = results[op].get(n)
                    if e and e["status"] == "ok":
                        row += ["%.3f" % e["p50_ms"], "%.3f" % e["p50_ms"], "%.3f" % e["p95_ms"]]
                    else:
                        row += ["NaN", "NaN", "NaN"]
                f.write(" ".join(row) + "\n")

    dat(os.path.join(opts.out, "bench-single.dat"), ["run", "csd", "exec"])
    dat(os.path.join(opts.out, "bench-parallel.dat"), ["parallel"])
    colors = {"box": "#1b9e77", "runc": "#7570b3", "crun": "#d95f02", "floor": "#999999"}
    # gnuplot refuses a series without one valid point: plot only those with results.
    def plots(dat_file, ops):
        return ", ".join(
            "'%s' using %d:%d:%d:xtic(1) title '%s' lc rgb '%s'"
            % (dat_file, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, n, colors.get(n, "#666666"))
            for i, n in enumerate(names)
            if any(results[op].get(n, {}).get("status") == "ok" for op in ops))

    plots_single = plots("bench-single.dat", ["run", "csd", "exec"])
    plots_par = plots("bench-parallel.dat", ["parallel"])
    gp = """# generated by hack/bench.py; run from this directory: gnuplot bench.gp
set terminal pngcairo size 1100,520 font ",10"
set output 'bench.png'
set style data histogram
set style histogram errorbars gap 2 lw 1.2
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top left
set ylabel 'ms (bar: p50, whisker: p95)'
set multiplot layout 1,2 title 'box vs runc vs crun vs the kernel floor — %s CPUs, kernel %s, N=%d, %s'
set title 'single operations'
plot %s
set title '%d containers, run -d in parallel (%d rounds)'
plot %s
unset multiplot
""" % (mach["nproc_usable"], mach["kernel"], opts.n, doc["date"], plots_single or "NaN notitle",
       P, opts.parallel_rounds, plots_par or "NaN notitle")
    with open(os.path.join(opts.out, "bench.gp"), "w") as f:
        f.write(gp)
    print("\nbench: driver time %.1fs; wrote %s/results.json, results.md, bench.gp"
          % (elapsed, opts.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

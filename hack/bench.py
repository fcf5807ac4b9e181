#!/usr/bin/env python3
"""Benchmark driver for hack/bench.sh: times box, runc and crun the same way.

How one call is timed and how peak RSS is measured: bench_driver.py. The report
(statistics, targets, tables, chart): bench_report.py. The scale section:
bench_scale.py. The engine table (docker/podman run --rm with box and runc):
bench_engines.py.

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
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import bench_engines
import bench_scale
from bench_driver import (OPS, Driver, Floor, Runtime, RuntimeFailed, StepTimeout, first_line,
                          on_alarm, percentile, write_bundle)
from bench_report import Run, report


def parse_args():
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
    ap.add_argument("--engines", action="store_true",
                    help="also time docker/podman run --rm with box and runc (bench_engines.py)")
    ap.add_argument("--engine-n", type=int, default=30, help="runs per engine and runtime")
    return ap.parse_args()


def setup_runtimes(opts, drv, b_check):
    """The runtimes that pass the preflight, all of them by name, and the skipped ones."""
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
    return runtimes, all_rt, skipped


class Bench:
    """The measurement: runtimes alternate run by run; samples in ms, peak RSS in KiB."""

    def __init__(self, opts, drv, runtimes, all_rt, bundles):
        self.opts, self.drv, self.runtimes, self.all_rt = opts, drv, runtimes, all_rt
        self.b_true, self.b_sleep = bundles
        self.samples = {op: {rt.name: [] for rt in runtimes} for op, _ in OPS}
        self.rss = {op: {rt.name: 0 for rt in runtimes} for op, _ in OPS}
        self.pwarm = 1 if opts.warmup > 0 else 0
        self.scale = None

    def alive(self, rt, op):
        return rt.ok and op in rt.ops and op not in rt.failed_ops

    def alive_rss(self, rt, op):
        return self.alive(rt, op) and rt.measure_rss

    def record_fail(self, rt, op, err):
        rt.failed_ops[op] = str(err)
        print("bench: %s FAILED %s: %s" % (rt.name, op, err))
        self.drv.cleanup(rt)

    def locals(self):
        return (self.opts, self.drv, self.runtimes, self.samples, self.rss, self.alive,
                self.alive_rss, self.record_fail)

    def single(self):
        """(1) run, (2) create+start+delete"""
        opts, drv, runtimes, samples, rss, alive, alive_rss, record_fail = self.locals()
        b_true = self.b_true
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

    def exec(self):
        """(3) exec into a running container"""
        opts, drv, runtimes, samples, rss, alive, alive_rss, record_fail = self.locals()
        all_rt, b_sleep = self.all_rt, self.b_sleep
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

    def parallel(self):
        """(4) P containers started in parallel with run -d; cleanup untimed"""
        opts, drv, runtimes, samples, rss, alive, alive_rss, record_fail = self.locals()
        b_sleep, P, pwarm = self.b_sleep, opts.parallel, self.pwarm
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

    def scale_section(self):
        """(5) scale: box only (bench_scale.py)"""
        opts, drv, all_rt, b_sleep = self.opts, self.drv, self.all_rt, self.b_sleep
        box_rt = all_rt.get("box")
        if not (opts.scale_counts.split() and box_rt and box_rt.ok):
            return
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
        self.scale = scale

def main():
    opts = parse_args()
    started = time.monotonic()
    loadavg_start = " ".join(open("/proc/loadavg").read().split()[:3])
    os.makedirs(opts.out, exist_ok=True)
    signal.signal(signal.SIGALRM, on_alarm)
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

    runtimes, all_rt, skipped = setup_runtimes(opts, drv, b_check)
    for name, why in skipped.items():
        print("bench: %s skipped: %s" % (name, why))
    for rt in all_rt.values():
        if not rt.ok:
            print("bench: %s skipped: %s" % (rt.name, rt.note))
    print("bench: runtimes: %s; N=%d (+%d warm-up), parallel %d x %d rounds, RSS runs %d"
          % (", ".join(r.name for r in runtimes) or "none", opts.n, opts.warmup, P,
             opts.parallel_rounds, opts.rss_n))
    sys.stdout.flush()

    bench = Bench(opts, drv, runtimes, all_rt, (b_true, b_sleep))
    engines = None
    gc.collect()
    gc.disable()
    try:
        bench.single()
        bench.exec()
        bench.parallel()
        bench.scale_section()
    finally:
        gc.enable()
        for rt in all_rt.values():
            drv.cleanup(rt)
    if opts.engines:
        engines = bench_engines.measure(drv, opts, percentile)
    report(Run(opts=opts, drv=drv, runtimes=runtimes, all_rt=all_rt, skipped=skipped,
               samples=bench.samples, rss=bench.rss, scale=bench.scale, pwarm=bench.pwarm,
               P=P, op_label=op_label, started=started, loadavg_start=loadavg_start,
               engines=engines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

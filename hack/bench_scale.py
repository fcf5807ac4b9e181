"""The scale section of `make bench` (issue 16): box's cost as its work grows.

Two measurements, box only (what is asked is that nothing box does per call grows
with the number of other containers, beyond `list` itself):

  present   with C containers already running (`run -d` of /bin/sleep, made and
            removed untimed, 10 at a time), N rounds of: `create` of a new one,
            `start` (untimed), `state`, `exec /bin/true`, `delete --force`, and
            `list` of all of them; each step timed on its own.
  parallel  P `run -d` forked at once; each one's time from its fork to its
            wait4, and the throughput (P / time until the last returned); rounds
            enough for about `samples` latencies per P (at least 3).

Uses the driver of hack/bench.py (spawn, reap, run_steps) so every invocation is
timed the same way as in the main table.
"""

import math
import os
import signal
import time

STEPS = ["create", "state", "exec", "delete", "list"]
BATCH = 10  # containers made or removed at once, untimed


def _batch(drv, rt, arglists, fail):
    """Run arglists BATCH at a time, untimed; every one must exit 0."""
    for i in range(0, len(arglists), BATCH):
        pids = [(drv.spawn(rt, args), args) for args in arglists[i:i + BATCH]]
        for pid, args in pids:
            rc, _ = drv.reap(pid)
            if rc != 0:
                raise fail(rt, args, rc)


def _stats(vals, percentile):
    vals = sorted(vals)
    return {"n": len(vals), "p50_ms": percentile(vals, 50), "p95_ms": percentile(vals, 95),
            "p99_ms": percentile(vals, 99), "max_ms": vals[-1] if vals else None}


def measure_present(drv, rt, bundle, counts, n, warmup, timeout, percentile):
    """Latency of each step with C containers present, for each C in counts."""
    background = []
    out = {}
    try:
        for count in sorted(counts):
            more = [drv.new_id(rt, "bg") for _ in range(count - len(background))]
            background += more
            _batch(drv, rt, [["run", "-d", "--bundle", bundle, cid] for cid in more], drv.fail)
            samples = {s: [] for s in STEPS}
            for i in range(warmup + n):
                cid = drv.new_id(rt, "scale")
                t = {}
                t["create"] = drv.run_steps(rt, [["create", "--bundle", bundle, cid]], timeout)
                drv.run_steps(rt, [["start", cid]], timeout)
                t["state"] = drv.run_steps(rt, [["state", cid]], timeout)
                t["exec"] = drv.run_steps(rt, [["exec", cid, "/bin/true"]], timeout)
                t["delete"] = drv.run_steps(rt, [["delete", "--force", cid]], timeout)
                t["list"] = drv.run_steps(rt, [["list"]], timeout)
                if i >= warmup:
                    for s in STEPS:
                        samples[s].append(t[s] / 1e6)
            out[str(count)] = {s: _stats(samples[s], percentile) for s in STEPS}
    finally:
        _batch(drv, rt, [["delete", "--force", cid] for cid in background], drv.fail)
    return out


def _parallel_round(drv, rt, bundle, ids, timeout):
    """`run -d` of every id at once: ([latency ms of each], ms until the last returned)."""
    started, latencies = {}, []
    signal.alarm(timeout)
    try:
        t0 = time.perf_counter_ns()
        for cid in ids:
            t = time.perf_counter_ns()
            started[drv.spawn(rt, ["run", "-d", "--bundle", bundle, cid])] = t
        failed = None
        while started:
            pid, status, _ = os.wait4(-1, 0)
            if pid not in started:
                continue
            latencies.append((time.perf_counter_ns() - started.pop(pid)) / 1e6)
            rc = os.waitstatus_to_exitcode(status)
            if rc != 0 and failed is None:
                failed = rc
        wall = (time.perf_counter_ns() - t0) / 1e6
    finally:
        signal.alarm(0)
    if failed is not None:
        raise drv.fail(rt, ["run", "-d", "(one of %d in parallel)" % len(ids)], failed)
    return latencies, wall


def measure_parallel(drv, rt, bundle, levels, samples, timeout, percentile):
    """Throughput and latency of P containers started at once, for each P in levels."""
    out = {}
    for p in levels:
        rounds = max(3, math.ceil(samples / p))
        latencies, wall_total = [], 0.0
        for r in range(rounds + 1):  # the first round warms up
            ids = [drv.new_id(rt, "burst") for _ in range(p)]
            try:
                lat, wall = _parallel_round(drv, rt, bundle, ids, timeout)
            finally:
                _batch(drv, rt, [["delete", "--force", cid] for cid in ids], drv.fail)
            if r > 0:
                latencies += lat
                wall_total += wall
        entry = _stats(latencies, percentile)
        entry.update({"rounds": rounds, "throughput_per_s": 1000.0 * p * rounds / wall_total})
        out[str(p)] = entry
    return out


def text_tables(scale, fmt):
    lines = ["scale (box): p50 / p99 ms with C containers present"]
    lines.append("%-10s" % "C" + "".join("%17s" % s for s in STEPS))
    for count, steps in scale["present"].items():
        lines.append("%-10s" % count + "".join(
            "%17s" % ("%s / %s" % (fmt(steps[s]["p50_ms"], 2), fmt(steps[s]["p99_ms"], 2)))
            for s in STEPS))
    lines.append("")
    lines.append("%-10s %8s %16s %9s %9s" % ("parallel", "rounds", "containers/s", "p50 ms",
                                            "p99 ms"))
    for p, e in scale["parallel"].items():
        lines.append("%-10s %8d %16s %9s %9s" % (p, e["rounds"], fmt(e["throughput_per_s"], 1),
                                                 fmt(e["p50_ms"], 2), fmt(e["p99_ms"], 2)))
    return lines


def markdown(scale, fmt):
    md = ["#### Scale (box)", "",
          "Latency (p50 / p99 ms) of each command with C containers already running "
          "(%d rounds per C; `list` lists all of them):" % scale["n"], "",
          "| containers present | " + " | ".join("`%s`" % s for s in STEPS) + " |",
          "|---:|" + "---:|" * len(STEPS)]
    for count, steps in scale["present"].items():
        md.append("| %s | " % count + " | ".join(
            "%s / %s" % (fmt(steps[s]["p50_ms"], 2), fmt(steps[s]["p99_ms"], 2)) for s in STEPS)
            + " |")
    md += ["", "P containers started at once with `run -d` (latency of each from its fork to "
           "its exit; throughput P / time until the last returned):", "",
           "| P | rounds | containers/s | p50 ms | p99 ms |", "|---:|---:|---:|---:|---:|"]
    for p, e in scale["parallel"].items():
        md.append("| %s | %d | %s | %s | %s |" % (p, e["rounds"], fmt(e["throughput_per_s"], 1),
                                                  fmt(e["p50_ms"], 2), fmt(e["p99_ms"], 2)))
    md += ["", "![box: latency against containers present, and against parallelism](scale.png)", ""]
    return md


def gnuplot(scale, title):
    """scale.dat, parallel.dat and scale.gp (writes scale.png)."""
    counts = list(scale["present"].keys())
    dat = ["# C " + " ".join(STEPS)]
    for c in counts:
        dat.append(" ".join([c] + ["%.3f" % scale["present"][c][s]["p50_ms"] for s in STEPS]))
    par = ["# P throughput p50 p99"]
    for p, e in scale["parallel"].items():
        par.append("%s %.3f %.3f %.3f" % (p, e["throughput_per_s"], e["p50_ms"], e["p99_ms"]))
    plot_present = ", ".join("'scale.dat' using %d:xtic(1) with linespoints title '%s'"
                             % (2 + i, s) for i, s in enumerate(STEPS))
    gp = """# generated by hack/bench.py; run from this directory: gnuplot scale.gp
set terminal pngcairo size 1100,480 font ",10"
set output 'scale.png'
set grid ytics
set yrange [0:*]
set key top left
set multiplot layout 1,2 title 'box at scale — %s'
set title 'p50 ms with C containers present'
set xlabel 'containers present'
plot %s
set title 'P containers started at once (run -d)'
set xlabel 'P'
set ylabel 'ms'
set y2label 'containers/s'
set y2tics
set y2range [0:*]
plot 'parallel.dat' using 3:xtic(1) with linespoints title 'p50 ms', \\
     'parallel.dat' using 4:xtic(1) with linespoints title 'p99 ms', \\
     'parallel.dat' using 2:xtic(1) axes x1y2 with linespoints title 'containers/s'
unset multiplot
""" % (title, plot_present)
    return "\n".join(dat) + "\n", "\n".join(par) + "\n", gp

"""The report of `make bench` (hack/bench.py): statistics, ratios, targets, and
the text table, results.json, results.md and the gnuplot chart made from them.
"""

import datetime
import json
import os
import time

import bench_engines
import bench_scale
from bench_driver import OPS, Floor, fmt, machine_info, percentile, stripped_size


class Run:
    """What the measurement produced, handed to the report as one value."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def statistics(run):
    """p50/p95/p99 per operation and runtime (run.samples, run.rss)."""
    samples, rss, drv = run.samples, run.rss, run.drv
    results = {}
    for op, _ in OPS:
        results[op] = {}
        for rt in run.runtimes:
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
    return results


def p50_of(results, op, name):
    e = results[op].get(name)
    return e.get("p50_ms") if e and e.get("status") == "ok" else None


def peak_rss_of(results, name):
    vals = [results[op][name].get("peak_rss_mib") for op, _ in OPS
            if name in results[op] and results[op][name].get("status") == "ok"]
    vals = [v for v in vals if v is not None]
    return max(vals) if vals else None


def ratios_of(results):
    """box/runc, box/crun and box/floor of the p50s, per operation."""
    def p50(op, name):
        return p50_of(results, op, name)

    floor_of = {"run": "run", "csd": "run", "exec": "exec"}
    ratios = {}
    for op, _ in OPS:
        ratios[op] = {}
        for other in ("runc", "crun"):
            b, o = p50(op, "box"), p50(op, other)
            ratios[op]["box/" + other] = (b / o) if (b is not None and o) else None
        b, f = p50(op, "box"), (p50(floor_of[op], "floor") if op in floor_of else None)
        ratios[op]["box/floor"] = (b / f) if (b is not None and f) else None

    return ratios


def targets_of(results, op_label):
    """The targets of issues 16 and 7, each PASS, MISS or n/a."""
    def p50(op, name):
        return p50_of(results, op, name)

    def peak_rss(name):
        return peak_rss_of(results, name)

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

    return targets


def run_alone(results):
    """The runtimes' own `run` p50, shown beside the engine table."""
    return {n: p50_of(results, "run", n) for n in ("box", "runc")}


def binaries_of(all_rt, work):
    binaries = {}
    for rt in all_rt.values():
        if isinstance(rt, Floor):
            continue
        try:
            size = os.path.getsize(rt.path)
        except OSError:
            size = None
        binaries[rt.name] = {"path": rt.path, "bytes": size,
                             "stripped_bytes": stripped_size(rt.path, work)}
    return binaries


def document(run):
    """Everything results.json holds."""
    opts, P, op_label, all_rt, drv = run.opts, run.P, run.op_label, run.all_rt, run.drv
    pwarm, skipped, scale, runtimes = run.pwarm, run.skipped, run.scale, run.runtimes
    results = statistics(run)
    ratios = ratios_of(results)
    targets = targets_of(results, op_label)
    binaries = binaries_of(all_rt, opts.work)

    def peak_rss(name):
        return peak_rss_of(results, name)

    mach = machine_info()
    mach["loadavg_start"] = run.loadavg_start
    mach["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    elapsed = time.monotonic() - run.started
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
    if run.engines is not None:
        doc["engines"] = run.engines
    return doc


def text_table(run, doc):
    op_label, all_rt, skipped, scale = run.op_label, run.all_rt, run.skipped, run.scale
    names = [rt.name for rt in run.runtimes]
    results, ratios, targets, binaries = (doc["results"], doc["ratios_p50"], doc["targets"],
                                          doc["binaries"])
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
    if run.engines is not None:
        lines += [""] + bench_engines.text_table(run.engines, run_alone(results), fmt)
    return lines


def write_markdown(run, doc):
    opts, P, op_label, all_rt, skipped, scale = (run.opts, run.P, run.op_label, run.all_rt,
                                                 run.skipped, run.scale)
    names = [rt.name for rt in run.runtimes]
    results, ratios, targets, binaries, mach = (doc["results"], doc["ratios_p50"], doc["targets"],
                                                doc["binaries"], doc["machine"])
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
        if run.engines is not None:
            f.write("\n" + "\n".join(bench_engines.markdown(run.engines, run_alone(results),
                                                              fmt)))
    if scale and "error" not in scale:
        files = bench_scale.gnuplot(scale, "%s CPUs, kernel %s, %s" % (
            mach["nproc_usable"], mach["kernel"], doc["date"]))
        for name, text in zip(("scale.dat", "parallel.dat", "scale.gp"), files):
            with open(os.path.join(opts.out, name), "w") as f:
                f.write(text)


def write_gnuplot(run, doc):
    opts, P, op_label = run.opts, run.P, run.op_label
    names = [rt.name for rt in run.runtimes]
    results, mach = doc["results"], doc["machine"]

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


def report(run):
    """Print the table; write results.json, results.md and the gnuplot files."""
    doc = document(run)
    with open(os.path.join(run.opts.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("\n".join(text_table(run, doc)))
    write_markdown(run, doc)
    write_gnuplot(run, doc)
    print("\nbench: driver time %.1fs; wrote %s/results.json, results.md, bench.gp"
          % (doc["driver_elapsed_s"], run.opts.out))

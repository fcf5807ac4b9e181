"""The engine table of `make bench` (issue 16): what users feel, box against runc.

  docker  `docker run --rm --network none IMAGE true` against a private dockerd
          (Debian's docker.io 20.10) and containerd, with box registered in
          daemon.json `runtimes` and chosen with --runtime box; runc is Docker's
          built-in runc (--runtime runc). One daemon serves both.
  podman  `podman run --rm --network=none --pull=never IMAGE true` with
          --runtime PATH (podman 4.3 wants a full path), vfs storage, cgroupfs,
          default_ulimits = [] (podman's nofile 1048576 cannot be set here).

Set up like test/engines-docker.bats and test/engines.bats: every daemon,
socket, data root, exec root and storage lives under a temp dir of the
benchmark; the image is the benchmark's rootfs, imported. box and runc
alternate call by call; each call is timed by the driver of bench_driver.py
(fork of the engine's client to its wait4). An engine that is not installed or
does not answer is skipped with the reason; one whose runtime fails reports
FAILED for it with the log's last lines. Only what was made here is stopped,
unmounted and removed.
"""

import json
import os
import shutil
import signal
import subprocess
import tarfile
import time

from bench_driver import Runtime, RuntimeFailed

IMAGE = "boxbench:latest"
DOCKER_CLI = "/usr/bin/docker"  # the client packaged with dockerd 20.10


class EngineCall(Runtime):
    """One runtime as an engine runs it: argv is the engine client's whole command line."""

    def __init__(self, name, path, prefix, suffix, env, log_path):
        super().__init__(name, path, [], "")
        self.prefix, self.suffix, self.env = prefix, suffix, env
        self.log_path = log_path
        self.log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                              0o644)

    def argv(self, args):
        return self.prefix + self.suffix


def _run(cmd, env=None, timeout=60, stdin=None):
    """Untimed helper; returns (rc, output)."""
    try:
        p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, env=env, timeout=timeout)
        return p.returncode, p.stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return 255, str(e)


def _wait_for(check, proc, what, log, tries=100):
    for _ in range(tries):
        if check():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    if not check():
        raise RuntimeFailed("%s did not answer: %s" % (what, _tail(log)))


def _tail(path, lines=3):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(f.read().strip().splitlines()[-lines:])
    except OSError:
        return ""


def _stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _unmount_under(path):
    """Lazily unmount what is mounted under path (ours only), deepest first."""
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                mounts.append(mp)
    for mp in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


def _import(cmd, rootfs, env):
    """Pipe a tar of rootfs into cmd (`docker import -` / `podman import -`)."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env)
    with tarfile.open(fileobj=p.stdin, mode="w|") as tar:
        tar.add(rootfs, arcname=".")
    p.stdin.close()
    out = p.stdout.read().decode(errors="replace")
    if p.wait() != 0:
        raise RuntimeFailed("%s failed: %s" % (" ".join(cmd[-3:]), out.strip()))


class Docker:
    name = "docker"

    def __init__(self, work, box):
        self.dir = os.path.join(work, "docker")
        self.box = box
        self.sock = os.path.join(self.dir, "docker.sock")
        self.ctd_sock = os.path.join(self.dir, "containerd.sock")
        self.cgparent = "box-bench-docker-%d" % os.getpid()
        self.env = dict(os.environ, DOCKER_CONFIG=os.path.join(self.dir, "client"))
        self.ctd = self.dockerd = None
        self.new_run_dirs = [d for d in ("/run/docker", "/run/containerd") if not os.path.exists(d)]

    def missing(self):
        for b in ("dockerd", "containerd", "containerd-shim-runc-v2", "runc"):
            if not shutil.which(b):
                return "%s is not installed (apt-get install docker.io)" % b
        if not os.access(DOCKER_CLI, os.X_OK):
            return "%s is not installed (apt-get install docker.io)" % DOCKER_CLI
        return None

    def version(self):
        return _run(["dockerd", "--version"])[1]

    def cli(self):
        return [DOCKER_CLI, "-H", "unix://" + self.sock]

    def start(self, rootfs):
        os.makedirs(os.path.join(self.dir, "client"))
        d = self.dir
        with open(os.path.join(d, "containerd.toml"), "w") as f:
            f.write('version = 2\nroot = "%s/containerd/root"\nstate = "%s/containerd/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n'
                    '[debug]\n  address = "%s.debug"\n[metrics]\n  address = ""\n'
                    '[plugins."io.containerd.internal.v1.opt"]\n  path = "%s/containerd/opt"\n'
                    % (d, d, self.ctd_sock, self.ctd_sock, self.ctd_sock, d))
        self.ctd = subprocess.Popen(
            ["containerd", "--config", os.path.join(d, "containerd.toml")],
            stdin=subprocess.DEVNULL, stdout=open(os.path.join(d, "containerd.log"), "w"),
            stderr=subprocess.STDOUT)
        _wait_for(lambda: _run(["ctr", "-a", self.ctd_sock, "version"])[0] == 0, self.ctd,
                  "containerd", os.path.join(d, "containerd.log"))
        with open(os.path.join(d, "daemon.json"), "w") as f:
            json.dump({"runtimes": {"box": {"path": self.box}}, "default-runtime": "runc",
                       "cgroup-parent": "/" + self.cgparent,
                       "deprecated-key-path": os.path.join(d, "key.json"),
                       "log-driver": "json-file"}, f)
        self.dockerd = subprocess.Popen(
            ["dockerd", "--config-file", os.path.join(d, "daemon.json"),
             "--data-root", os.path.join(d, "data"), "--exec-root", os.path.join(d, "exec"),
             "-H", "unix://" + self.sock, "--pidfile", os.path.join(d, "dockerd.pid"),
             "--iptables=false", "--ip6tables=false", "--bridge=none",
             "--containerd", self.ctd_sock],
            stdin=subprocess.DEVNULL, stdout=open(os.path.join(d, "dockerd.log"), "w"),
            stderr=subprocess.STDOUT)
        _wait_for(lambda: _run(self.cli() + ["version"], env=self.env)[0] == 0, self.dockerd,
                  "dockerd", os.path.join(d, "dockerd.log"))
        _import(self.cli() + ["import", "-", IMAGE], rootfs, self.env)

    def call(self, rt_name, runtime_path):
        return EngineCall(rt_name, DOCKER_CLI,
                          self.cli() + ["run", "--rm", "--network", "none", "--runtime", rt_name],
                          [IMAGE, "true"], self.env,
                          os.path.join(self.dir, "stderr-%s.log" % rt_name))

    def stop(self):
        if self.dockerd is not None and self.dockerd.poll() is None:
            rc, ids = _run(self.cli() + ["ps", "-aq"], env=self.env)
            if rc == 0 and ids.split():
                _run(self.cli() + ["rm", "-f", "-v"] + ids.split(), env=self.env)
        _stop(self.dockerd)
        _stop(self.ctd)
        _unmount_under(self.dir)
        for d in [os.path.join(c, self.cgparent) for c in _cgroup_dirs()]:
            try:
                os.rmdir(d)
            except OSError:
                pass
        for d in self.new_run_dirs:
            for sub in ("plugins", "s", ""):
                try:
                    os.rmdir(os.path.join(d, sub) if sub else d)
                except OSError:
                    pass


def _cgroup_dirs():
    root = "/sys/fs/cgroup"
    try:
        return [root] + [os.path.join(root, c) for c in os.listdir(root)]
    except OSError:
        return []


class Podman:
    name = "podman"

    def __init__(self, work, box):
        self.dir = os.path.join(work, "podman")
        self.box = box
        self.env = dict(os.environ, CONTAINERS_CONF=os.path.join(self.dir, "containers.conf"))

    def missing(self):
        for b in ("podman", "conmon", "runc"):
            if not shutil.which(b):
                return "%s is not installed (apt-get install podman)" % b
        return None

    def version(self):
        return _run(["podman", "--version"])[1]

    def cli(self, runtime_path):
        d = self.dir
        return ["/usr/bin/podman", "--root", d + "/storage", "--runroot", d + "/runroot",
                "--tmpdir", d + "/tmp", "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                "--events-backend", "file", "--runtime", runtime_path]

    def start(self, rootfs):
        os.makedirs(os.path.join(self.dir, "tmp"))
        with open(os.path.join(self.dir, "containers.conf"), "w") as f:
            f.write('[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n'
                    'events_logger = "file"\nruntime_supports_json = ["crun", "runc", "box"]\n')
        _import(self.cli(self.box) + ["import", "-", IMAGE], rootfs, self.env)

    def call(self, rt_name, runtime_path):
        return EngineCall(rt_name, "/usr/bin/podman",
                          self.cli(runtime_path) + ["run", "--rm", "--network=none",
                                                    "--pull=never"],
                          [IMAGE, "true"], self.env,
                          os.path.join(self.dir, "stderr-%s.log" % rt_name))

    def stop(self):
        if os.path.isdir(os.path.join(self.dir, "storage")):
            _run(self.cli(self.box) + ["rm", "-af", "-t", "0"], env=self.env)
        _unmount_under(self.dir)


def _stats(vals, percentile):
    vals = sorted(vals)
    return {"status": "ok", "n": len(vals), "p50_ms": percentile(vals, 50),
            "p95_ms": percentile(vals, 95), "p99_ms": percentile(vals, 99),
            "samples_ms": [round(v, 3) for v in vals]}


def _time(drv, engine, calls, n, warmup, timeout, percentile):
    """Alternate the runtimes call by call; return {runtime: stats or failure}."""
    samples = {c.name: [] for c in calls}
    failed = {}
    for i in range(warmup + n):
        for c in calls:
            if c.name in failed:
                continue
            try:
                ns = drv.run_steps(c, [["run"]], timeout)
            except RuntimeFailed as e:
                failed[c.name] = str(e)
                print("bench: %s with %s FAILED: %s" % (engine, c.name, e))
                continue
            if i >= warmup:
                samples[c.name].append(ns / 1e6)
    return {c.name: ({"status": "failed", "error": failed[c.name]} if c.name in failed
                     else _stats(samples[c.name], percentile)) for c in calls}


def measure(drv, opts, percentile):
    """The engine table: {engine: {"status", "version", "runtimes", "box/runc"} or skipped}."""
    table = {}
    runtimes = [("box", opts.box), ("runc", opts.runc)]
    for engine in (Docker(opts.work, opts.box), Podman(opts.work, opts.box)):
        why = engine.missing() or ("" if opts.runc else "runc is not installed")
        if why:
            table[engine.name] = {"status": "skipped", "reason": why}
            print("bench: %s skipped: %s" % (engine.name, why))
            continue
        print("bench: engine %s: %d runs per runtime (+%d warm-up)"
              % (engine.name, opts.engine_n, opts.warmup))
        try:
            engine.start(opts.rootfs)
            calls = [engine.call(name, path) for name, path in runtimes]
            rts = _time(drv, engine.name, calls, opts.engine_n, opts.warmup, opts.timeout,
                        percentile)
            b, r = rts["box"].get("p50_ms"), rts["runc"].get("p50_ms")
            table[engine.name] = {"status": "ok", "version": engine.version(), "runtimes": rts,
                                  "box/runc": (b / r) if (b and r) else None}
        except RuntimeFailed as e:
            table[engine.name] = {"status": "skipped", "reason": str(e)}
            print("bench: %s skipped: %s" % (engine.name, e))
        finally:
            engine.stop()
    return table


def _rows(table, alone):
    """(engine, runtime, stats or None, note, runtime-alone p50, box/runc) per row."""
    rows = []
    for engine, e in table.items():
        if e["status"] != "ok":
            rows.append((engine, "-", None, "SKIPPED: " + e["reason"], None, None))
            continue
        for name, st in e["runtimes"].items():
            note = "" if st["status"] == "ok" else "FAILED: " + st["error"]
            rows.append((engine, name, st if not note else None, note, alone.get(name),
                         e["box/runc"] if name == "box" else None))
    return rows


def text_table(table, alone, fmt):
    lines = ["engine: `ENGINE run --rm IMAGE true`, box and runc alternating "
             "(runtime alone: `run` p50 above)",
             "%-7s %-5s %5s %9s %9s %9s %9s %9s" % ("engine", "rt", "n", "p50 ms", "p95 ms",
                                                  "p99 ms", "box/runc", "alone ms")]
    for engine, name, st, note, a, ratio in _rows(table, alone):
        if st is None:
            lines.append("%-7s %-5s %5s  %s" % (engine, name, "-", note))
        else:
            lines.append("%-7s %-5s %5d %9.1f %9.1f %9.1f %9s %9s" % (
                engine, name, st["n"], st["p50_ms"], st["p95_ms"], st["p99_ms"],
                fmt(ratio, 2), fmt(a, 2)))
    return lines


def markdown(table, alone, fmt):
    md = ["#### Under an engine: `docker run --rm IMAGE true`, `podman run --rm IMAGE true`", "",
          "Private dockerd/containerd and podman storage under the benchmark's temp dir "
          "(hack/bench_engines.py), the image imported from the same rootfs, `--network none`; "
          "box and runc alternate call by call. \"runtime alone\" is the `run` p50 of the "
          "table above, from the same run.", "",
          "| engine | runtime | n | p50 ms | p95 ms | p99 ms | box/runc p50 | runtime alone p50 ms |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    for engine, name, st, note, a, ratio in _rows(table, alone):
        if st is None:
            md.append("| %s | %s | | %s | | | | |" % (engine, name, note))
        else:
            md.append("| %s | %s | %d | %.1f | %.1f | %.1f | %s | %s |" % (
                engine, name, st["n"], st["p50_ms"], st["p95_ms"], st["p99_ms"],
                fmt(ratio, 2), fmt(a, 2)))
    versions = ["%s: `%s`" % (k, e["version"]) for k, e in table.items() if e.get("version")]
    if versions:
        md += ["", "Engines: %s." % "; ".join(versions)]
    return md + [""]

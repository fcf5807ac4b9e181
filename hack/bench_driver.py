"""Process plumbing of `make bench` (hack/bench.py): how one runtime call is timed.

Every runtime invocation is a fork of the driver followed by execve of the
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
"""

import ctypes
import json
import os
import platform
import shutil
import signal
import subprocess
import time

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


def on_alarm(signum, frame):
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
        self.env = None  # the driver's environment unless set

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
                os.execve(argv[0], argv, rt.env or self.env)
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

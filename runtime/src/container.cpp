#include "container.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <tuple>

#include "bind_sources.hpp"
#include "capabilities.hpp"
#include "cgroup_entry.hpp"
#include "cgroup_manager.hpp"
#include "cgroup_resources.hpp"
#include "cgroup_stats.hpp"
#include "cgroups.hpp"
#include "error.hpp"
#include "files.hpp"
#include "handshake.hpp"
#include "hooks.hpp"
#include "init.hpp"
#include "joined_user_namespace.hpp"
#include "log.hpp"
#include "mounts.hpp"
#include "namespaces.hpp"
#include "proc.hpp"
#include "seccomp.hpp"
#include "security_labels.hpp"
#include "signals.hpp"
#include "sysctl.hpp"
#include "timestamp.hpp"
#include "tty_relay.hpp"
#include "unix_socket.hpp"

namespace box {
namespace {

// The container's processes, and only those: the members of the cgroups box made for it (and
// of the cgroups made below them); else, while its init lives, every process in its own pid
// namespace; else init and its descendants, and every process in its own user namespace
// (which box exec joins, and which a re-parented daemon does not leave).
std::vector<pid_t> container_processes(const ContainerState& st) {
    if (!st.cgroups_created.empty()) return CgroupManager::for_container(st)->pids();
    UniqueFd pidfd = open_pidfd(st.pid, st.pid_start_time);
    if (!pidfd) return {};
    std::vector<pid_t> out = st.own_pid_ns ? pid_namespace_members(st.pid) : process_tree(st.pid);
    if (!st.own_pid_ns && st.own_user_ns)
        for (pid_t p : user_namespace_members(st.pid))
            if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    // Init may have exited meanwhile, and the pid been reused (a pidfd does not prevent that).
    if (!process_is(st.pid, st.pid_start_time)) return {};
    return out;
}

// SIGKILLs every process of the container and waits for its init to exit.
void kill_container(const ContainerState& st) {
    UniqueFd pidfd = open_pidfd(st.pid, st.pid_start_time);
    if (!pidfd) return;
    if (st.cgroups_created.empty() && !st.own_pid_ns) {
        // Neither the kernel (no pid namespace) nor cgroup_destroy (no cgroup of ours) will end
        // the others with init: stop them all first, so that none forks or is re-parented out of
        // sight meanwhile, then kill them.
        std::vector<pid_t> stopped;
        for (int round = 0; round < 100; ++round) {
            bool fresh = false;
            for (pid_t p : container_processes(st)) {
                if (std::find(stopped.begin(), stopped.end(), p) != stopped.end()) continue;
                ::kill(p, SIGSTOP);
                stopped.push_back(p);
                fresh = true;
            }
            if (!fresh) break;
        }
        for (pid_t p : stopped) ::kill(p, SIGKILL);
    }
    pidfd_signal(pidfd.get(), SIGKILL);
    if (auto cgroups = CgroupManager::for_container(st); cgroups->frozen()) cgroups->set_frozen(false);
    if (!pidfd_wait_exit(pidfd.get(), 10000)) throw Error("container " + quote(st.id) + " did not exit after SIGKILL");
}

// Pause and update change the container's cgroup, which must be one box made: the other
// processes in a cgroup that linux.cgroupsPath named would be frozen or limited too.
Error no_cgroup_of_its_own(const char* op, const ContainerState& st) {
    if (st.cgroup_dirs.empty())
        return Error(std::string("cannot ") + op + " container " + quote(st.id) + ": it has no cgroup");
    return Error(std::string("cannot ") + op + " container " + quote(st.id) + ": its cgroup " + st.cgroup_dirs.front() +
                 " existed before it (linux.cgroupsPath), and box changes only cgroups it creates");
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

}  // namespace

namespace {

const char* xdg_runtime_dir() {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    return xdg && *xdg ? xdg : nullptr;
}

}  // namespace

// As runc: root of a user namespace that an unprivileged user made (rootless podman runs
// the runtime so, with XDG_RUNTIME_DIR set) is rootless; USER=root there means a root
// who made a user namespace on purpose.
bool runs_rootless() {
    if (::geteuid() != 0) return true;
    if (!in_user_namespace() || !xdg_runtime_dir()) return false;
    const char* user = std::getenv("USER");
    return !user || std::string(user) != "root";
}

std::string default_state_root() {
    if (runs_rootless()) {
        if (const char* xdg = xdg_runtime_dir()) return std::string(xdg) + "/box";
        if (::geteuid() != 0) return "/tmp/box-" + std::to_string(::geteuid());
    }
    return "/run/box";
}

void Runtime::run_poststart(ContainerState st) const {
    Hooks hooks = store_.hooks(st);
    if (hooks.poststart.empty()) return;
    store_.read_annotations(st);
    run_hooks_warn(hooks.poststart, "poststart", oci_state_json(st, Status::Running));
}

void Runtime::start(const std::string& id) {
    ContainerLock lock(store_, id);
    ContainerState st = store_.load(id);
    Status status = store_.status(st);
    if (status != Status::Created)
        throw Error("cannot start container " + quote(id) + ": it is " + status_name(status) + ", not created");
    UniqueFd fifo(::openat(lock.dir_fd(), "exec.fifo", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!fifo) throw_errno("cannot start container " + quote(id) + ": opening exec.fifo");
    for (;;) {
        pollfd p{fifo.get(), POLLIN, 0};
        int r = ::poll(&p, 1, 100);
        if (r < 0 && errno != EINTR) throw_errno("waiting for the container's init");
        if (r > 0 && (p.revents & POLLIN)) {
            char c;
            if (::read(fifo.get(), &c, 1) == 1) break;
        }
        if (!process_is(st.pid, st.pid_start_time))
            throw Error("cannot start container " + quote(id) + ": its init has exited");
    }
    ::unlinkat(lock.dir_fd(), "exec.fifo", 0);
    run_poststart(st);
}

Json Runtime::state(const std::string& id) const {
    validate_container_id(id);
    ContainerState st = store_.load(id);
    store_.read_annotations(st);
    return oci_state_json(st, store_.status(st));
}

void Runtime::kill(const std::string& id, int sig, bool all) {
    validate_container_id(id);
    ContainerState st = store_.load(id);
    Status status = store_.status(st);
    if (status == Status::Stopped) {
        if (!all) throw Error("cannot kill container " + quote(id) + ": it is stopped");
        // As runc: --all still reaches what is left in the cgroup of a stopped container, quietly
        // (in a cgroup box made: only there is what is left surely the container's).
        for (pid_t p : container_processes(st)) ::kill(p, sig);
        return;
    }
    // Signal 0 only asks whether the init is alive (the status above has answered that).
    if (all) {
        for (pid_t p : container_processes(st)) ::kill(p, sig);
    } else {
        UniqueFd pidfd = open_pidfd(st.pid, st.pid_start_time);
        if (!pidfd) throw Error("cannot kill container " + quote(id) + ": it is stopped");
        pidfd_signal(pidfd.get(), sig);
    }
    // A frozen process cannot act on a signal; SIGKILL must still end a paused container.
    if (status == Status::Paused && sig == SIGKILL) CgroupManager::for_container(st)->set_frozen(false);
}

void Runtime::destroy(const ContainerState& st) {
    // What poststop needs is read before the state directory goes. A damaged hooks file is a
    // warning, as a failing hook is: it must not keep the container. (A create that died before
    // writing its state has no hooks to run.)
    std::vector<Hook> poststop;
    ContainerState stopped = st;
    try {
        if (!st.bundle.empty()) poststop = store_.hooks(st).poststop;
        if (!poststop.empty()) store_.read_annotations(stopped);
    } catch (const Error& e) {
        log::warn(std::string("poststop: ") + e.what());
    }
    kill_container(st);
    CgroupManager::for_container(st)->destroy();
    store_.remove(st.id);
    if (!poststop.empty()) run_hooks_warn(poststop, "poststop", oci_state_json(stopped, Status::Stopped));
}

void Runtime::remove(const std::string& id, bool force) {
    ContainerLock lock(store_, id);
    ContainerState st;
    try {
        st = store_.load(id);
    } catch (const Error& e) {
        if (!force || std::string(e.what()).find("is corrupt") == std::string::npos) throw;
        // An unreadable state cannot name the init; clear what the id alone leads to.
        log::warn(std::string(e.what()) + "; removing it");
        // What is kept apart from state.json still leads to the init and the cgroups box made;
        // without them, init and its descendants are all that is surely the container's.
        ContainerState known;
        known.id = id;
        if (auto init = store_.init_record(id)) std::tie(known.pid, known.pid_start_time) = *init;
        store_.load_cgroups_created(known);
        kill_container(known);
        try {
            CgroupManager::for_container(known)->destroy();
        } catch (const Error& ce) {
            log::warn(ce.what());
        }
        store_.remove(id);
        return;
    }
    Status status = store_.status(st);
    if ((status == Status::Running || status == Status::Paused || status == Status::Creating) && !force)
        throw Error("cannot delete container " + quote(id) + ": it is " + status_name(status) + " (use --force)");
    destroy(st);
}

int Runtime::run(const CreateOptions& opts, bool detach, bool keep) {
    if (detach) {
        create_container(opts, false);
        run_poststart(store_.load(opts.id));
        return 0;
    }
    // Block the signals we forward before the child exists, so none is lost in between.
    sigset_t set = forwarded_signals(), old;
    sigprocmask(SIG_BLOCK, &set, &old);
    UniqueFd relay_socket;
    pid_t child = create_container(opts, false, &relay_socket);
    run_poststart(store_.load(opts.id));
    auto reap = [&]() -> std::optional<int> {
        int status = 0;
        if (::waitpid(child, &status, WNOHANG) == child) return exit_code_of(status);
        return std::nullopt;
    };
    int code = relay_socket ? relay_terminal(receive_terminal(relay_socket.get()), set, child, reap)
                            : forward_signals_until_exit(set, child, reap);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (!keep) {
        try {
            ContainerLock lock(store_, opts.id);
            destroy(store_.load(opts.id));
        } catch (const Error& e) {
            log::warn(std::string("cleaning up after run: ") + e.what());
        }
    }
    return code;
}

std::vector<ListEntry> Runtime::list(bool with_annotations) const {
    std::vector<ListEntry> out;
    for (const auto& id : store_.ids()) {
        ListEntry e;
        e.state.id = id;
        try {
            e.state = store_.load(id);
            if (with_annotations) store_.read_annotations(e.state);
            e.status = store_.status(e.state);
        } catch (const Error& err) {
            e.error = err.what();
        }
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<pid_t> Runtime::pids(const std::string& id) const {
    validate_container_id(id);
    ContainerState st = store_.load(id);
    Status status = store_.status(st);
    if (status == Status::Stopped) return {};
    return container_processes(st);
}

void Runtime::update(const std::string& id, const Resources& resources) {
    ContainerLock lock(store_, id);
    ContainerState st = store_.load(id);
    Status status = store_.status(st);
    if (status == Status::Stopped) throw Error("cannot update container " + quote(id) + ": it is stopped");
    auto cgroups = CgroupManager::for_container(st);
    if (!cgroups->owns_cgroup()) throw no_cgroup_of_its_own("update", st);
    // Device rules are never changed by update; those given are ignored, as runc 1.1 does
    // (SkipDevices). containerd's CRI sends the container's whole linux.resources, devices
    // included, with every UpdateContainerResources.
    Resources without_devices = resources;
    without_devices.devices.clear();
    cgroups->update(without_devices);
}

Json Runtime::stats(const std::string& id) const {
    validate_container_id(id);
    ContainerState st = store_.load(id);
    if (store_.status(st) == Status::Stopped) throw Error("container " + quote(id) + " is stopped");
    return Json{{"type", "stats"}, {"id", id}, {"data", cgroup_stats(st.cgroup_dirs)}};
}

void Runtime::events(const std::string& id, bool once, int interval_ms) {
    if (once) {
        std::printf("%s\n", dump_json(stats(id)).c_str());
        return;
    }
    ContainerState st = store_.load(id);
    uint64_t ooms = cgroup_oom_kills(st.cgroup_dirs);
    int elapsed = interval_ms;
    // Poll often for OOM kills; print stats every interval. Ends when the container stops.
    while (store_.status(st) != Status::Stopped) {
        uint64_t now = cgroup_oom_kills(st.cgroup_dirs);
        if (now > ooms) {
            std::printf("%s\n", dump_json(Json{{"type", "oom"}, {"id", id}}).c_str());
            std::fflush(stdout);
            ooms = now;
        }
        if (elapsed >= interval_ms) {
            std::printf("%s\n",
                        dump_json(Json{{"type", "stats"}, {"id", id}, {"data", cgroup_stats(st.cgroup_dirs)}}).c_str());
            std::fflush(stdout);
            elapsed = 0;
        }
        int step = std::min(interval_ms, 100);
        ::usleep(static_cast<useconds_t>(step) * 1000);
        elapsed += step;
    }
    // The last OOM may be what stopped it.
    if (cgroup_oom_kills(st.cgroup_dirs) > ooms)
        std::printf("%s\n", dump_json(Json{{"type", "oom"}, {"id", id}}).c_str());
}

void Runtime::pause(const std::string& id) {
    ContainerLock lock(store_, id);
    ContainerState st = store_.load(id);
    Status status = store_.status(st);
    if (status != Status::Running && status != Status::Created)
        throw Error("cannot pause container " + quote(id) + ": it is " + status_name(status));
    auto cgroups = CgroupManager::for_container(st);
    if (!cgroups->owns_cgroup()) throw no_cgroup_of_its_own("pause", st);
    cgroups->set_frozen(true);
}

void Runtime::resume(const std::string& id) {
    ContainerLock lock(store_, id);
    ContainerState st = store_.load(id);
    Status status = store_.status(st);
    if (status != Status::Paused)
        throw Error("cannot resume container " + quote(id) + ": it is " + status_name(status) + ", not paused");
    CgroupManager::for_container(st)->set_frozen(false);
}

}  // namespace box

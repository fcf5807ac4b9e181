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

std::string absolute_dir(const std::string& dir) {
    std::string d = dir.empty() ? "." : dir;
    char resolved[PATH_MAX];
    if (!::realpath(d.c_str(), resolved)) throw Error("bundle " + quote(d) + " does not exist");
    struct stat st {};
    if (::stat(resolved, &st) < 0 || !S_ISDIR(st.st_mode)) throw Error("bundle " + quote(d) + " is not a directory");
    return resolved;
}

// Without a mount namespace the process runs in the runtime's, chrooted into the rootfs (as
// runc). runc then mounts into the host's namespace and leaves it there: box mounts nothing,
// so refuses all that needs a mount (the words for masked paths are runc's).
void refuse_without_mount_namespace(const Spec& spec) {
    auto refuse = [](const std::string& field, const std::string& why) {
        throw Error("config.json: " + field + ": " + why + " without a mount namespace of the container's own");
    };
    if (!spec.linux.masked_paths.empty() || !spec.linux.readonly_paths.empty())
        refuse("linux.maskedPaths", "unable to restrict sys entries");
    if (!spec.mounts.empty()) refuse("mounts", "box mounts nothing in the runtime's mount namespace");
    if (spec.root_readonly) refuse("root.readonly", "box cannot make the rootfs read-only");
    if (!spec.linux.devices.empty()) refuse("linux.devices", "box creates no devices");
    if (!spec.linux.rootfs_propagation.empty()) refuse("linux.rootfsPropagation", "box changes no propagation");
    if (!spec.linux.sysctl.empty()) refuse("linux.sysctl", "there is no /proc to set them in");
    if (spec.process->terminal) refuse("process.terminal", "there is no devpts for the pty");
}

// Checks everything that can be checked before a single file or process is created.
void validate_for_create(const Spec& spec, const CreateOptions& opts, bool foreground) {
    if (!spec.process) throw Error("config.json: process: required field is missing");
    if (!spec.linux.find_namespace("mount")) refuse_without_mount_namespace(spec);
    // Only `run` in the foreground can hold the terminal itself, as in runc.
    if (spec.process->terminal && opts.console_socket.empty() && !foreground)
        throw Error(
            "config.json: process.terminal is true but no --console-socket was given "
            "(create and run --detach need one to hand the terminal to)");
    if (!spec.process->terminal && !opts.console_socket.empty())
        throw Error("--console-socket was given but config.json process.terminal is false");
    refuse_security_labels(*spec.process, "config.json: process.");
    refuse_mount_label(spec.linux.mount_label);
    bool userns = spec.linux.find_namespace("user") != nullptr;
    if (!userns && (!spec.linux.uid_mappings.empty() || !spec.linux.gid_mappings.empty()))
        throw Error("config.json: linux.uidMappings: id mappings need a user namespace in linux.namespaces");
    if (userns && spec.linux.find_namespace("user")->path.empty()) {
        if (spec.linux.uid_mappings.empty())
            throw Error("config.json: linux.uidMappings: a new user namespace needs uid and gid mappings");
        if (spec.linux.gid_mappings.empty())
            throw Error("config.json: linux.gidMappings: a new user namespace needs uid and gid mappings");
    }
    validate_id_mappings(spec.linux);
    check_namespace_paths(spec.linux);
    // As runc, in a uts namespace new or joined by path; not in the runtime's own (the host's),
    // where runc would change the host's name. (runc 1.1 ignores domainname; box sets it.)
    const Namespace* uts = spec.linux.find_namespace("uts");
    for (auto [field, set] :
         {std::pair{"hostname", !spec.hostname.empty()}, std::pair{"domainname", !!spec.domainname}}) {
        if (!set || is_containers_own(uts)) continue;
        if (!uts)
            throw Error(std::string("config.json: ") + field +
                        ": setting it needs a uts namespace in linux.namespaces");
        throw Error(std::string("config.json: ") + field + ": needs a uts namespace of its own: " + quote(uts->path) +
                    " is the runtime's own (the host's)");
    }
    validate_sysctls(spec);
    validate_mount_options(spec.mounts);
    if (spec.linux.seccomp) validate_seccomp(*spec.linux.seccomp);
    if (::geteuid() != 0 && !userns)
        throw Error("running without root needs a user namespace (see box spec --rootless)");
}

// Undo for a create that failed half-way: kill init, remove the cgroups box made and the
// state directory, under the container's lock and only while that directory is still the
// one this create made (a delete --force may have removed it meanwhile, and a new create
// taken the id: that container is not ours to tear down).
class CreateRollback {
public:
    CreateRollback(const StateStore& store, std::string id) : store_(store), id_(std::move(id)) {
        dir_.reset(::open(store_.dir(id_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir_) throw_errno("opening the state directory " + quote(store_.dir(id_)));
    }
    ~CreateRollback() {
        if (done_) return;
        if (child_ > 0) {
            // Our own child, not reaped yet: its pid cannot have been reused.
            ::kill(child_, SIGKILL);
            while (::waitpid(child_, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
        while (::flock(dir_.get(), LOCK_EX) < 0 && errno == EINTR) {
        }
        if (!still_ours()) return;
        if (cgroups_) {
            try {
                cgroups_->destroy();
            } catch (const Error& e) {
                log::warn(e.what());
            }
        }
        if (!pid_file_.empty()) ::unlink(pid_file_.c_str());
        try {
            store_.remove(id_);
        } catch (const Error& e) {
            log::warn(e.what());
        }
    }
    void set_child(pid_t pid) { child_ = pid; }
    void set_cgroups(CgroupManager* cgroups) { cgroups_ = cgroups; }
    void set_pid_file(std::string path) { pid_file_ = std::move(path); }
    void dismiss() { done_ = true; }

private:
    bool still_ours() const {
        struct stat mine {
        }, now{};
        return ::fstat(dir_.get(), &mine) == 0 && mine.st_nlink > 0 && ::stat(store_.dir(id_).c_str(), &now) == 0 &&
               now.st_dev == mine.st_dev && now.st_ino == mine.st_ino;
    }

    const StateStore& store_;
    std::string id_;
    UniqueFd dir_;
    pid_t child_ = -1;
    CgroupManager* cgroups_ = nullptr;  // outlives this
    std::string pid_file_;
    bool done_ = false;
};

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

// Init went away during setup without a word: say why from its wait status (peeked at, not
// reaped: the rollback does that) and its memory cgroup's OOM kills, rather than showing
// the broken pipe or reset connection that was noticed first.
Error init_exit_error(pid_t child, const std::vector<std::string>& cgroup_dirs, const Spec& spec,
                      const std::string& noticed) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
    siginfo_t info{};
    // The socket closes as init exits; its wait status follows at once.
    if (!pidfd || !pidfd_wait_exit(pidfd.get(), 5000) ||
        ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid != child)
        return Error(noticed);
    if (info.si_code == CLD_EXITED)
        return Error("the container's init exited during setup (status " + std::to_string(info.si_status) + ")");
    if (info.si_status == SIGKILL && cgroup_oom_kills(cgroup_dirs) > 0) {
        const auto& r = spec.linux.resources;
        if (r && r->memory_limit && *r->memory_limit > 0)
            return Error(
                "the container's init was killed by the OOM killer during setup: config.json: "
                "linux.resources.memory.limit (" +
                std::to_string(*r->memory_limit) + " bytes) is too low");
        return Error("the container's init was killed by the OOM killer during setup");
    }
    return Error("the container's init was killed by " + signal_name(info.si_status) + " during setup");
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

pid_t Runtime::create_container(const CreateOptions& opts, bool wait_for_start, UniqueFd* relay_socket) {
    validate_container_id(opts.id);
    check_pid_file(opts.pid_file);
    std::string bundle = absolute_dir(opts.bundle);
    Spec spec = load_bundle_spec(bundle);
    validate_for_create(spec, opts, relay_socket != nullptr);
    if (spec.process->capabilities) leave_out_unavailable(*spec.process->capabilities);
    bool rootless = runs_rootless();
    auto cgroups = CgroupManager::for_create(spec.linux.cgroups_path, opts.id, systemd_cgroup_, rootless);
    UniqueFd console;
    bool relayed = spec.process->terminal && opts.console_socket.empty();
    if (!opts.console_socket.empty())
        console = connect_unix_socket(opts.console_socket, "--console-socket " + quote(opts.console_socket));
    if (relayed) {
        // The master comes back to us over a socketpair, and the pty starts at our terminal's size.
        int tv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tv) < 0) throw_errno("socketpair");
        relay_socket->reset(tv[0]);
        console.reset(tv[1]);
        if (auto size = host_terminal_size()) spec.process->console_size = size;
    }

    store_.create_dir(opts.id);
    CreateRollback rollback(store_, opts.id);
    ContainerState st;
    st.id = opts.id;
    st.bundle = bundle;
    st.rootfs = spec.root_path;
    st.annotations = spec.annotations;
    st.owner = ::geteuid();
    st.creator_pid = ::getpid();
    st.creator_start_time = process_start_time(st.creator_pid).value_or(0);
    st.created = now_rfc3339_nanos();

    const Namespace* pidns = spec.linux.find_namespace("pid");
    const Namespace* userns = spec.linux.find_namespace("user");
    st.own_pid_ns = pidns && pidns->path.empty();
    st.own_user_ns = userns && userns->path.empty();
    for (const auto& ns : spec.linux.namespaces) st.namespaces.push_back(ns.type);
    st.personality = spec.linux.personality;

    // Record where the cgroups will be, and which of them this create is about to make, before
    // making them, so that a create killed at any point leaves a state from which delete
    // --force finds everything, and nothing it did not make.
    CgroupPlacement planned = cgroups->plan();
    st.cgroup_dirs = planned.dirs;
    store_.save_config_parts(opts.id, spec);
    store_.save(st);
    store_.save_cgroups_created(opts.id, planned);
    rollback.set_cgroups(cgroups.get());
    cgroups->create(spec.linux.resources);
    auto record_placement = [&] {
        const CgroupPlacement& placement = cgroups->placement();
        st.cgroup_dirs = placement.dirs;
        st.cgroups_created = placement.created;
        st.systemd_unit = placement.systemd_unit;
        st.systemd_user = placement.systemd_user;
        if (placement.created != planned.created || placement.systemd_unit != planned.systemd_unit)
            store_.save_cgroups_created(opts.id, placement);
    };
    record_placement();

    UniqueFd state_dir = store_.open_dir(opts.id);
    if (wait_for_start) {
        if (::mkfifoat(state_dir.get(), "exec.fifo", 0622) < 0) throw_errno("creating exec.fifo");
        ::fchmodat(state_dir.get(), "exec.fifo", 0622, 0);
    }

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    UniqueFd parent_sock(sv[0]), child_sock(sv[1]);

    // A pid namespace must be entered before the child exists: this process is short-lived.
    if (pidns && !pidns->path.empty()) join_namespace(*pidns);
    int clone_flags = 0;
    if (pidns && pidns->path.empty()) clone_flags |= CLONE_NEWPID;
    if (userns && userns->path.empty()) clone_flags |= CLONE_NEWUSER;
    int unshare_flags = new_namespace_flags(spec.linux) & ~(CLONE_NEWPID | CLONE_NEWUSER);

    // Init is born in its v2 cgroup and moves itself into the v1 ones (cgroup_entry.hpp).
    CgroupEntry cgroup_entry = CgroupEntry::prepare(st.cgroup_dirs);
    std::fflush(nullptr);
    // A new pid namespace beside a user namespace joined by path must belong to that one (as
    // in runc), else init may not mount proc there: init is cloned from inside it.
    bool clone_in_joined_userns = (clone_flags & CLONE_NEWPID) && userns && !userns->path.empty();
    pid_t child = -1;
    bool born_in_cgroup = false;
    if (clone_in_joined_userns) {
        ClonedInit init =
            clone_in_user_namespace(*userns, static_cast<uint64_t>(clone_flags), cgroup_entry.v2_dir_fd());
        child = init.pid;
        born_in_cgroup = init.born_in_cgroup;
    } else {
        child = clone_into_cgroup(static_cast<uint64_t>(clone_flags), cgroup_entry.v2_dir_fd());
        born_in_cgroup = child >= 0;
        if (!born_in_cgroup)
            child = static_cast<pid_t>(syscall(SYS_clone, clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
        if (child < 0) throw_errno("creating the container process");
    }
    if (child == 0) {
        parent_sock.reset();
        InitContext ctx;
        ctx.spec = &spec;
        ctx.bundle = bundle;
        ctx.sync_fd = child_sock.get();
        ctx.state_dir_fd = state_dir.get();
        ctx.console_socket_fd = console ? console.get() : -1;
        ctx.terminal_relayed = relayed;
        ctx.cgroup_dirs = st.cgroup_dirs;
        ctx.cgroup_entry = &cgroup_entry;
        ctx.unshare_flags = unshare_flags;
        ctx.in_joined_user_ns = clone_in_joined_userns;
        ctx.preserve_fds = opts.preserve_fds;
        ctx.rootless = rootless;
        ctx.hook_state = oci_state_json(st, Status::Creating);
        run_container_init(ctx);
    }
    cgroup_entry.close();
    rollback.set_child(child);
    st.pid = child;
    st.pid_start_time = process_start_time(child).value_or(0);
    store_.save(st);
    child_sock.reset();
    console.reset();

    // An inherited user namespace may forbid setgroups (`unshare -r`): runc then skips it too.
    bool setgroups_allowed = !setgroups_denied();
    if (userns && userns->path.empty()) setgroups_allowed = write_id_mappings(child, spec.linux);
    // If init failed and went away, what it said is more useful than our broken pipe.
    auto init_gone = [&](const std::string& noticed) { return init_exit_error(child, st.cgroup_dirs, spec, noticed); };
    auto send_or_report = [&](const Message& msg, int pass_fd = -1) {
        try {
            send_message(parent_sock.get(), msg, pass_fd);
        } catch (const Error& e) {
            std::optional<Message> reply;
            try {
                reply = recv_message(parent_sock.get());
            } catch (const Error&) {
            }
            if (reply && reply->type == MsgType::Error) throw Error(reply->payload);
            throw init_gone(e.what());
        }
    };
    // What init says next (an fd that comes with it in *passed); its error becomes ours.
    auto recv_or_report = [&](UniqueFd* passed) {
        std::optional<Message> reply;
        try {
            reply = recv_message(parent_sock.get(), passed);
        } catch (const Error& e) {
            throw init_gone(e.what());
        }
        if (!reply) throw init_gone("the container's init exited during setup");
        if (reply->type == MsgType::Error) throw Error(reply->payload);
        return *reply;
    };
    send_or_report({MsgType::Go, dump_json(Json{{"setgroups", setgroups_allowed}, {"pid", child}})});
    // Init sets up its mounts meanwhile; it waits for this before its cgroup namespace, and
    // learns here where its cgroups are when they were made after it (systemd's scope).
    cgroup_entry.place_v2(child, born_in_cgroup);
    std::vector<std::string> dirs_before = st.cgroup_dirs;
    cgroups->place_init(child, spec.linux.resources);
    record_placement();
    if (st.cgroup_dirs != dirs_before) store_.save(st, /*init_recorded=*/true);
    // In its user namespace init may not reach a bind source that we can: once its mount
    // namespace exists, it asks for them with its root, and we open them there.
    if (bind_sources_opened_by_caller(spec)) {
        UniqueFd init_root;
        if (recv_or_report(&init_root).type != MsgType::BindSource || !init_root)
            throw Error("unexpected message from the container's init");
        for (const auto& [index, fd] : open_bind_sources(init_root.get(), spec, bundle))
            send_or_report({MsgType::BindSource, std::to_string(index)}, fd.get());
    }
    send_or_report({MsgType::Go, st.cgroup_dirs == dirs_before ? "cgroup" : dump_json(Json(st.cgroup_dirs))});

    for (;;) {
        UniqueFd passed;
        std::optional<Message> reply = recv_or_report(&passed);
        if (reply->type == MsgType::Ready) break;
        if (reply->type == MsgType::SeccompListener) {
            if (!passed || !spec.linux.seccomp) throw Error("the container's init sent no seccomp listener");
            send_seccomp_listener(*spec.linux.seccomp, passed.get(), child, oci_state_json(st, Status::Creating));
            passed.reset();
            send_or_report({MsgType::Go, ""});
            continue;
        }
        if (reply->type != MsgType::HookPoint) throw Error("unexpected message from the container's init");
        ContainerState creating = st;
        creating.pid = child;
        Json state = oci_state_json(creating, Status::Creating);
        run_hooks(spec.hooks.prestart, "prestart", state);
        run_hooks(spec.hooks.create_runtime, "createRuntime", state);
        send_or_report({MsgType::Go, "{}"});
    }

    st.phase = "created";
    store_.save(st, /*init_recorded=*/true);
    if (!opts.pid_file.empty()) {
        write_pid_file(opts.pid_file, child);
        rollback.set_pid_file(opts.pid_file);  // only once it is ours
    }
    send_or_report({MsgType::Ack, wait_for_start ? "" : "start"});
    rollback.dismiss();
    log::debug("created container " + opts.id + " with init pid " + std::to_string(child) + " (cgroup " +
               cgroup_mode_name(detect_cgroup_mode()) + ")");
    return child;
}

void Runtime::create(const CreateOptions& opts) { create_container(opts, true); }

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

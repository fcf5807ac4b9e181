// box create: a container set up to the point where its init waits for start. Create runs in
// phases (Creation below): check the config, record the state and make the cgroups, clone init,
// set the container up with init over the handshake, then record it as created. A failure at
// any point rolls back what this create made (CreateRollback), and only that.
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "bind_sources.hpp"
#include "capabilities.hpp"
#include "cgroup_entry.hpp"
#include "cgroup_manager.hpp"
#include "cgroup_stats.hpp"
#include "cgroups.hpp"
#include "container.hpp"
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

// One create, phase by phase. The members are declared in the order the old single function
// made them, so that a failure destroys them in the same order: the sockets and the state
// directory's fd before the rollback, the cgroup manager after it (the rollback uses it).
class Creation {
public:
    Creation(StateStore& store, bool systemd_cgroup, const CreateOptions& opts, UniqueFd* relay_socket)
        : store_(store), systemd_cgroup_(systemd_cgroup), opts_(opts), relay_socket_(relay_socket) {}

    pid_t run(bool wait_for_start) {
        check_config();
        record_and_make_cgroups(wait_for_start);
        clone_init();
        set_up_with_init();
        return finish(wait_for_start);
    }

private:
    // Everything that can be checked before a single file or process is created; the
    // console: --console-socket, or for a foreground run the socketpair the master comes back on.
    void check_config() {
        validate_container_id(opts_.id);
        check_pid_file(opts_.pid_file);
        bundle_ = absolute_dir(opts_.bundle);
        spec_ = load_bundle_spec(bundle_);
        validate_for_create(spec_, opts_, relay_socket_ != nullptr);
        if (spec_.process->capabilities) leave_out_unavailable(*spec_.process->capabilities);
        rootless_ = runs_rootless();
        cgroups_ = CgroupManager::for_create(spec_.linux.cgroups_path, opts_.id, systemd_cgroup_, rootless_);
        relayed_ = spec_.process->terminal && opts_.console_socket.empty();
        if (!opts_.console_socket.empty())
            console_ = connect_unix_socket(opts_.console_socket, "--console-socket " + quote(opts_.console_socket));
        if (relayed_) {
            // The master comes back to us over a socketpair, and the pty starts at our terminal's size.
            int tv[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tv) < 0) throw_errno("socketpair");
            relay_socket_->reset(tv[0]);
            console_.reset(tv[1]);
            if (auto size = host_terminal_size()) spec_.process->console_size = size;
        }
    }

    // The state directory and the cgroups, recorded before they are made.
    void record_and_make_cgroups(bool wait_for_start) {
        store_.create_dir(opts_.id);
        rollback_.emplace(store_, opts_.id);
        st_.id = opts_.id;
        st_.bundle = bundle_;
        st_.rootfs = spec_.root_path;
        st_.annotations = spec_.annotations;
        st_.owner = ::geteuid();
        st_.creator_pid = ::getpid();
        st_.creator_start_time = process_start_time(st_.creator_pid).value_or(0);
        st_.created = now_rfc3339_nanos();

        pidns_ = spec_.linux.find_namespace("pid");
        userns_ = spec_.linux.find_namespace("user");
        st_.own_pid_ns = pidns_ && pidns_->path.empty();
        st_.own_user_ns = userns_ && userns_->path.empty();
        for (const auto& ns : spec_.linux.namespaces) st_.namespaces.push_back(ns.type);
        st_.personality = spec_.linux.personality;

        // Record where the cgroups will be, and which of them this create is about to make, before
        // making them, so that a create killed at any point leaves a state from which delete
        // --force finds everything, and nothing it did not make.
        planned_ = cgroups_->plan();
        st_.cgroup_dirs = planned_.dirs;
        store_.save_config_parts(opts_.id, spec_);
        store_.save(st_);
        store_.save_cgroups_created(opts_.id, planned_);
        rollback_->set_cgroups(cgroups_.get());
        cgroups_->create(spec_.linux.resources);
        record_placement();

        state_dir_ = store_.open_dir(opts_.id);
        if (wait_for_start) {
            if (::mkfifoat(state_dir_.get(), "exec.fifo", 0622) < 0) throw_errno("creating exec.fifo");
            ::fchmodat(state_dir_.get(), "exec.fifo", 0622, 0);
        }
    }

    // Where the cgroup manager put the container, into the state (and the record of what it
    // made, when that changed).
    void record_placement() {
        const CgroupPlacement& placement = cgroups_->placement();
        st_.cgroup_dirs = placement.dirs;
        st_.cgroups_created = placement.created;
        st_.systemd_unit = placement.systemd_unit;
        st_.systemd_user = placement.systemd_user;
        if (placement.created != planned_.created || placement.systemd_unit != planned_.systemd_unit)
            store_.save_cgroups_created(opts_.id, placement);
    }

    // Init, in its new pid and user namespaces; the child runs the container's init and never
    // comes back here.
    void clone_init() {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
        parent_sock_.reset(sv[0]);
        child_sock_.reset(sv[1]);

        // A pid namespace must be entered before the child exists: this process is short-lived.
        if (pidns_ && !pidns_->path.empty()) join_namespace(*pidns_);
        int clone_flags = 0;
        if (pidns_ && pidns_->path.empty()) clone_flags |= CLONE_NEWPID;
        if (userns_ && userns_->path.empty()) clone_flags |= CLONE_NEWUSER;
        int unshare_flags = new_namespace_flags(spec_.linux) & ~(CLONE_NEWPID | CLONE_NEWUSER);

        // Init is born in its v2 cgroup and moves itself into the v1 ones (cgroup_entry.hpp).
        cgroup_entry_.emplace(CgroupEntry::prepare(st_.cgroup_dirs));
        std::fflush(nullptr);
        // A new pid namespace beside a user namespace joined by path must belong to that one (as
        // in runc), else init may not mount proc there: init is cloned from inside it.
        bool clone_in_joined_userns = (clone_flags & CLONE_NEWPID) && userns_ && !userns_->path.empty();
        if (clone_in_joined_userns) {
            ClonedInit init =
                clone_in_user_namespace(*userns_, static_cast<uint64_t>(clone_flags), cgroup_entry_->v2_dir_fd());
            child_ = init.pid;
            born_in_cgroup_ = init.born_in_cgroup;
        } else {
            child_ = clone_into_cgroup(static_cast<uint64_t>(clone_flags), cgroup_entry_->v2_dir_fd());
            born_in_cgroup_ = child_ >= 0;
            if (!born_in_cgroup_)
                child_ =
                    static_cast<pid_t>(syscall(SYS_clone, clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
            if (child_ < 0) throw_errno("creating the container process");
        }
        if (child_ == 0) {
            parent_sock_.reset();
            InitContext ctx;
            ctx.spec = &spec_;
            ctx.bundle = bundle_;
            ctx.sync_fd = child_sock_.get();
            ctx.state_dir_fd = state_dir_.get();
            ctx.console_socket_fd = console_ ? console_.get() : -1;
            ctx.terminal_relayed = relayed_;
            ctx.cgroup_dirs = st_.cgroup_dirs;
            ctx.cgroup_entry = &*cgroup_entry_;
            ctx.unshare_flags = unshare_flags;
            ctx.in_joined_user_ns = clone_in_joined_userns;
            ctx.preserve_fds = opts_.preserve_fds;
            ctx.rootless = rootless_;
            ctx.hook_state = oci_state_json(st_, Status::Creating);
            run_container_init(ctx);
        }
        cgroup_entry_->close();
        rollback_->set_child(child_);
        st_.pid = child_;
        st_.pid_start_time = process_start_time(child_).value_or(0);
        store_.save(st_);
        child_sock_.reset();
        console_.reset();
    }

    // The handshake with init while it sets the container up: id mappings, its cgroups, the
    // bind sources it cannot reach itself, the seccomp listener, the hooks at their points.
    void set_up_with_init() {
        // An inherited user namespace may forbid setgroups (`unshare -r`): runc then skips it too.
        bool setgroups_allowed = !setgroups_denied();
        if (userns_ && userns_->path.empty()) setgroups_allowed = write_id_mappings(child_, spec_.linux);
        send_or_report({MsgType::Go, dump_json(Json{{"setgroups", setgroups_allowed}, {"pid", child_}})});
        // Init sets up its mounts meanwhile; it waits for this before its cgroup namespace, and
        // learns here where its cgroups are when they were made after it (systemd's scope).
        cgroup_entry_->place_v2(child_, born_in_cgroup_);
        std::vector<std::string> dirs_before = st_.cgroup_dirs;
        cgroups_->place_init(child_, spec_.linux.resources);
        record_placement();
        if (st_.cgroup_dirs != dirs_before) store_.save(st_, /*init_recorded=*/true);
        // In its user namespace init may not reach a bind source that we can: once its mount
        // namespace exists, it asks for them with its root, and we open them there.
        if (bind_sources_opened_by_caller(spec_)) {
            UniqueFd init_root;
            if (recv_or_report(&init_root).type != MsgType::BindSource || !init_root)
                throw Error("unexpected message from the container's init");
            for (const auto& [index, fd] : open_bind_sources(init_root.get(), spec_, bundle_))
                send_or_report({MsgType::BindSource, std::to_string(index)}, fd.get());
        }
        send_or_report({MsgType::Go, st_.cgroup_dirs == dirs_before ? "cgroup" : dump_json(Json(st_.cgroup_dirs))});

        for (;;) {
            UniqueFd passed;
            Message reply = recv_or_report(&passed);
            if (reply.type == MsgType::Ready) break;
            if (reply.type == MsgType::SeccompListener) {
                if (!passed || !spec_.linux.seccomp) throw Error("the container's init sent no seccomp listener");
                send_seccomp_listener(*spec_.linux.seccomp, passed.get(), child_,
                                      oci_state_json(st_, Status::Creating));
                passed.reset();
                send_or_report({MsgType::Go, ""});
                continue;
            }
            if (reply.type != MsgType::HookPoint) throw Error("unexpected message from the container's init");
            ContainerState creating = st_;
            creating.pid = child_;
            Json state = oci_state_json(creating, Status::Creating);
            run_hooks(spec_.hooks.prestart, "prestart", state);
            run_hooks(spec_.hooks.create_runtime, "createRuntime", state);
            send_or_report({MsgType::Go, "{}"});
        }
    }

    // Created: the state, the pid file, and init told whether to wait for start.
    pid_t finish(bool wait_for_start) {
        st_.phase = "created";
        store_.save(st_, /*init_recorded=*/true);
        if (!opts_.pid_file.empty()) {
            write_pid_file(opts_.pid_file, child_);
            rollback_->set_pid_file(opts_.pid_file);  // only once it is ours
        }
        send_or_report({MsgType::Ack, wait_for_start ? "" : "start"});
        rollback_->dismiss();
        log::debug("created container " + opts_.id + " with init pid " + std::to_string(child_) + " (cgroup " +
                   cgroup_mode_name(detect_cgroup_mode()) + ")");
        return child_;
    }

    // If init failed and went away, what it said is more useful than our broken pipe.
    Error init_gone(const std::string& noticed) const {
        return init_exit_error(child_, st_.cgroup_dirs, spec_, noticed);
    }

    void send_or_report(const Message& msg, int pass_fd = -1) {
        try {
            send_message(parent_sock_.get(), msg, pass_fd);
        } catch (const Error& e) {
            std::optional<Message> reply;
            try {
                reply = recv_message(parent_sock_.get());
            } catch (const Error&) {
            }
            if (reply && reply->type == MsgType::Error) throw Error(reply->payload);
            throw init_gone(e.what());
        }
    }

    // What init says next (an fd that comes with it in *passed); its error becomes ours.
    Message recv_or_report(UniqueFd* passed) {
        std::optional<Message> reply;
        try {
            reply = recv_message(parent_sock_.get(), passed);
        } catch (const Error& e) {
            throw init_gone(e.what());
        }
        if (!reply) throw init_gone("the container's init exited during setup");
        if (reply->type == MsgType::Error) throw Error(reply->payload);
        return *reply;
    }

    StateStore& store_;
    const bool systemd_cgroup_;
    const CreateOptions& opts_;
    UniqueFd* relay_socket_;

    std::string bundle_;
    Spec spec_;
    bool rootless_ = false;
    std::unique_ptr<CgroupManager> cgroups_;
    UniqueFd console_;
    bool relayed_ = false;
    std::optional<CreateRollback> rollback_;
    ContainerState st_;
    const Namespace* pidns_ = nullptr;
    const Namespace* userns_ = nullptr;
    CgroupPlacement planned_;
    UniqueFd state_dir_;
    UniqueFd parent_sock_, child_sock_;
    std::optional<CgroupEntry> cgroup_entry_;
    pid_t child_ = -1;
    bool born_in_cgroup_ = false;
};

}  // namespace

pid_t Runtime::create_container(const CreateOptions& opts, bool wait_for_start, UniqueFd* relay_socket) {
    return Creation(store_, systemd_cgroup_, opts, relay_socket).run(wait_for_start);
}

void Runtime::create(const CreateOptions& opts) { create_container(opts, true); }

}  // namespace box

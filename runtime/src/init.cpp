#include "init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "bind_sources.hpp"
#include "error.hpp"
#include "files.hpp"
#include "handshake.hpp"
#include "hooks.hpp"
#include "identity.hpp"
#include "mounts.hpp"
#include "namespaces.hpp"
#include "process.hpp"
#include "rlimits.hpp"
#include "sysctl.hpp"

namespace box {
namespace {

void wait_for_start(int state_dir_fd) {
    // Blocks until `box start` opens the fifo for reading.
    int fd = ::openat(state_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("opening exec.fifo");
    UniqueFd fifo(fd);
    if (::write(fd, "0", 1) != 1) throw_errno("writing exec.fifo");
}

}  // namespace

void run_container_init(const InitContext& ctx) {
    const Spec& spec = *ctx.spec;
    const Process& proc = *spec.process;
    // The parent blocked signals to forward them; the container starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int sync_fd = ctx.sync_fd;
    try {
        // Into the container's v1 cgroups first, by ourselves: cheap while single-threaded.
        if (ctx.cgroup_entry) ctx.cgroup_entry->enter_v1_self();
        auto go = recv_message(sync_fd);
        if (!go || go->type != MsgType::Go) _exit(1);
        // Nothing in the container may read or ptrace us while we are still the runtime
        // (the id maps are written by now: they need us dumpable in a user namespace).
        // Rootless, the user's own tools (and box exec) must reach /proc/PID/ns of init;
        // the container's processes run as that user anyway.
        if (!ctx.rootless) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        Json go_info = Json::parse(go->payload);
        bool setgroups_allowed = go_info.value("setgroups", true);
        Json hook_state = ctx.hook_state;
        hook_state["pid"] = go_info.value("pid", 0);
        for (const auto& ns : spec.linux.namespaces)
            if (!ns.path.empty() && ns.type == "user") {
                if (!ctx.in_joined_user_ns) join_namespace(ns);
                setgroups_allowed = !setgroups_denied();
            }
        // Root of the user namespace, new or joined (as runc): our host ids may not be mapped
        // there, and the kernel refuses to create files for an unmapped id (EOVERFLOW).
        if (spec.linux.find_namespace("user") && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0))
            throw_errno("becoming root in the container's user namespace (is uid/gid 0 mapped?)");
        // The caller's supplementary groups (a sudo login's group 0) must not open or close
        // the host's files to the container's root while it mounts: drop them, as runc does.
        if (spec.linux.find_namespace("user")) drop_supplementary_groups(setgroups_allowed);
        for (const auto& ns : spec.linux.namespaces)
            if (!ns.path.empty() && ns.type != "user" && ns.type != "pid") join_namespace(ns);
        // The cgroup namespace waits until the parent has placed us in the container's cgroup,
        // which it does while we set up the rest (moving a task between v1 cgroups is slow).
        int early_flags = ctx.unshare_flags & ~CLONE_NEWCGROUP;
        if (early_flags && ::unshare(early_flags) < 0) throw_errno("creating namespaces");
        if (::setsid() < 0) throw_errno("setsid");

        // In a user namespace of its own or inherited (rootless podman runs us in one), devices
        // are bind mounts and locked mount flags stay, as with runc.
        bool userns = spec.linux.find_namespace("user") != nullptr || in_user_namespace();
        RootfsContext rc{.spec = spec,
                         .bundle = ctx.bundle,
                         .cgroup_dirs = ctx.cgroup_dirs,
                         .in_user_namespace = userns,
                         .cgroup_namespace = spec.linux.find_namespace("cgroup") != nullptr};
        rc.before_cgroups = [&] {
            auto placed = recv_message(sync_fd);
            if (!placed || placed->type != MsgType::Go) _exit(1);
            // The parent names the cgroups when they were made after us (systemd's scope).
            if (!placed->payload.empty() && placed->payload[0] == '[')
                rc.cgroup_dirs = Json::parse(placed->payload).get<std::vector<std::string>>();
            if ((ctx.unshare_flags & CLONE_NEWCGROUP) && ::unshare(CLONE_NEWCGROUP) < 0)
                throw_errno("creating the cgroup namespace");
        };
        // Without a mount namespace nothing is mounted (container.cpp refuses what would need it).
        bool own_mounts = spec.linux.find_namespace("mount") != nullptr;
        if (own_mounts) {
            if (bind_sources_opened_by_caller(spec)) rc.bind_sources = request_bind_sources(sync_fd, spec);
            setup_rootfs(rc);
            rc.bind_sources.clear();
        } else {
            rc.before_cgroups();
        }
        if (!spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty()) {
            // createRuntime hooks run in the runtime's namespaces: the parent runs them.
            send_message(sync_fd, {MsgType::HookPoint, "createRuntime"});
            auto reply = recv_message(sync_fd);
            if (!reply || reply->type != MsgType::Go) _exit(1);
        }
        run_hooks(spec.hooks.create_container, "createContainer", hook_state);
        {
            UniqueFd rootfd(::open(spec.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            open_in_root(rootfd.get(), proc.cwd, true, false);  // the cwd exists, as runc guarantees
        }
        if (own_mounts)
            pivot_into_rootfs(spec.root_path);
        else
            chroot_into(spec.root_path);
        if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
            throw_errno("setting hostname " + quote(spec.hostname));
        if (spec.domainname && ::setdomainname(spec.domainname->data(), spec.domainname->size()) < 0)
            throw_errno("setting domainname " + quote(*spec.domainname));
        apply_sysctls(spec.linux.sysctl);
        if (own_mounts) finish_rootfs(spec);

        if (proc.terminal) setup_terminal(proc, ctx.console_socket_fd, ctx.terminal_relayed);
        if (ctx.console_socket_fd >= 0) ::close(ctx.console_socket_fd);

        apply_rlimits(proc.rlimits);
        if (spec.linux.personality && ::personality(*spec.linux.personality) < 0)
            throw_errno("linux.personality: setting the execution domain");
        if (proc.oom_score_adj) write_file("/proc/self/oom_score_adj", std::to_string(*proc.oom_score_adj));
        if (::chdir(proc.cwd.c_str()) < 0) throw_errno("process.cwd: changing to " + quote(proc.cwd));

        std::vector<std::string> env = process_environment(proc);
        std::string exe = find_executable(proc.args[0], env);
        // The seccomp notify listener goes to `box create`, which passes it to the agent at
        // linux.seccomp.listenerPath; we go on once it has (and close our copy).
        drop_privileges(proc, spec.linux.seccomp, setgroups_allowed, [&](int listener) {
            send_message(sync_fd, {MsgType::SeccompListener, ""}, listener);
            auto reply = recv_message(sync_fd);
            if (!reply || reply->type != MsgType::Go) _exit(1);
        });

        send_message(sync_fd, {MsgType::Ready, ""});
        auto ack = recv_message(sync_fd);
        if (!ack || ack->type != MsgType::Ack) _exit(1);
        ::close(sync_fd);
        sync_fd = -1;
        // Only a container that waits for `box start` goes through the fifo; `run` goes straight on.
        if (ack->payload != "start") wait_for_start(ctx.state_dir_fd);
        ::close(ctx.state_dir_fd);
        hook_state["status"] = "created";
        run_hooks(spec.hooks.start_container, "startContainer", hook_state);

        preserve_fds(ctx.preserve_fds);
        exec_process(proc, exe, env, spec.linux.seccomp);
    } catch (const std::exception& e) {
        // Before the handshake is over the error goes to `box create`; after it, to stderr.
        if (sync_fd >= 0) {
            try {
                send_message(sync_fd, {MsgType::Error, e.what()});
            } catch (...) {
            }
        } else {
            std::string msg = std::string("box: ") + e.what() + "\n";
            (void)!::write(STDERR_FILENO, msg.data(), msg.size());
        }
        _exit(1);
    }
}

}  // namespace box

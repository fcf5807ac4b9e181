// `box exec`: a new process in a running container. box exec forks an intermediate that
// joins the container's cgroup and namespaces, and it forks the process itself (a fork is
// needed to really enter the pid namespace). box exec is a child subreaper, so the process
// is re-parented to it and its exit status can be collected.
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "capabilities.hpp"
#include "cgroup_entry.hpp"
#include "cgroup_sub.hpp"
#include "cgroups.hpp"
#include "container.hpp"
#include "error.hpp"
#include "files.hpp"
#include "handshake.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "namespaces.hpp"
#include "passwd.hpp"
#include "proc.hpp"
#include "process.hpp"
#include "rlimits.hpp"
#include "seccomp.hpp"
#include "security_labels.hpp"
#include "signals.hpp"
#include "tty_relay.hpp"
#include "unix_socket.hpp"

namespace box {
namespace {

// Joining order: the user namespace first (it grants the rights for the rest), mount last.
constexpr const char* kJoinOrder[] = {"user", "ipc", "uts", "network", "cgroup", "pid", "time", "mount"};

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

// A uid or gid given as digits; above kMaxUserId it would mean "unchanged" to setresuid.
std::optional<uint32_t> numeric_id(const std::string& text) {
    if (!all_digits(text)) return std::nullopt;
    if (text.size() > 10 || std::stoull(text) > kMaxUserId) return UINT32_MAX;
    return static_cast<uint32_t>(std::stoul(text));
}

// `--user: uid "4294967295" is out of range 0-2147483647`, WHERE saying where it was found.
std::string out_of_range(const std::string& what, const std::string& text, const std::string& where = "") {
    return what + " " + quote(text) + (where.empty() ? "" : " " + where) + " is out of range 0-" +
           std::to_string(kMaxUserId);
}

// --user, before anything starts: numeric ids in range (main.cpp checks --additional-gids).
void check_user_flag(const ExecOptions& opts) {
    auto colon = opts.user.find(':');
    std::string name = opts.user.substr(0, colon);
    std::string group = colon == std::string::npos ? "" : opts.user.substr(colon + 1);
    if (auto uid = numeric_id(name); uid && *uid > kMaxUserId) throw UsageError(out_of_range("--user: uid", name));
    if (auto gid = numeric_id(group); gid && *gid > kMaxUserId) throw UsageError(out_of_range("--user: gid", group));
}

// An id field of the container's /etc/passwd or /etc/group (digits, in range).
std::optional<uint32_t> id_field(const std::string& text, const std::string& what, const std::string& file) {
    auto id = numeric_id(text);
    if (id && *id > kMaxUserId) throw Error(out_of_range(what, text, "in the container's " + file));
    return id;
}

// Resolves "name" or "uid" from the container's /etc/passwd (we are inside its mount namespace).
void resolve_user(const std::string& spec, User& user) {
    std::string name = spec, group;
    if (auto colon = spec.find(':'); colon != std::string::npos) {
        name = spec.substr(0, colon);
        group = spec.substr(colon + 1);
    }
    bool gid_given = !group.empty();
    if (auto uid = numeric_id(name)) {
        user.uid = *uid;
    } else {
        auto f = entry_named(name, {2, 3}, "/etc/passwd");
        if (!f) throw Error("--user: unknown user " + quote(name) + " in the container's /etc/passwd");
        std::string what = "--user " + quote(name) + ":";
        user.uid = *id_field((*f)[2], what + " uid", "/etc/passwd");
        uint32_t gid = *id_field((*f)[3], what + " gid", "/etc/passwd");
        if (!gid_given) {
            user.gid = gid;
            return;
        }
    }
    if (!gid_given) {
        user.gid = user.uid == 0 ? 0 : user.gid;
        return;
    }
    if (auto gid = numeric_id(group)) {
        user.gid = *gid;
        return;
    }
    if (auto f = entry_named(group, {2}, "/etc/group")) {
        user.gid = *id_field((*f)[2], "--user " + quote(spec) + ": gid", "/etc/group");
        return;
    }
    throw Error("--user: unknown group " + quote(group) + " in the container's /etc/group");
}

Process load_process_file(const std::string& path) {
    std::string text;
    if (!try_read_file(path, text)) throw_errno("--process " + quote(path));
    Json doc = parse_json(text, path);
    JsonReader r(doc, path);
    if (!doc.is_object()) r.fail(std::string("expected object, got ") + json_type_name(doc));
    return parse_process(r);
}

}  // namespace

int Runtime::exec(const ExecOptions& opts) {
    validate_container_id(opts.id);
    check_pid_file(opts.pid_file);
    ContainerState st = store_.load(opts.id);
    Status status = store_.status(st);
    if (status == Status::Paused && !opts.ignore_paused)
        throw Error("container " + quote(opts.id) +
                    ": cannot exec in a paused container (use --ignore-paused to override)");
    if (status != Status::Running && status != Status::Created && status != Status::Paused)
        throw Error("cannot exec in container " + quote(opts.id) + ": it is " + status_name(status));
    refuse_security_flag("--process-label", opts.process_label);
    refuse_security_flag("--apparmor", opts.apparmor);
    check_user_flag(opts);

    Process proc;
    if (!opts.process_file.empty()) {
        proc = load_process_file(opts.process_file);
    } else {
        if (opts.args.empty()) throw UsageError("exec: a command is required (or --process FILE)");
        Json base = store_.process_defaults(st);
        base["args"] = opts.args;
        base["terminal"] = opts.tty;
        proc = parse_process(JsonReader(base, "config.json", "process"));
        for (const auto& e : opts.env) {
            auto eq = e.find('=');
            if (eq == std::string::npos) throw UsageError("--env " + quote(e) + ": must have the form KEY=value");
            // --env replaces a variable the container already sets.
            std::string key = e.substr(0, eq + 1);
            std::erase_if(proc.env, [&](const std::string& v) { return v.compare(0, key.size(), key) == 0; });
            proc.env.push_back(e);
        }
        if (!opts.cwd.empty()) {
            if (opts.cwd[0] != '/') throw UsageError("--cwd " + quote(opts.cwd) + ": must be an absolute path");
            proc.cwd = opts.cwd;
        }
        if (!opts.additional_gids.empty()) proc.user.additional_gids = opts.additional_gids;
        if (opts.no_new_privs) proc.no_new_privileges = true;
        for (const auto& name : opts.caps) {
            if (!proc.capabilities) proc.capabilities = Capabilities{};
            int cap = capability_from_name(name);
            if (cap < 0) {
                proc.capabilities->unknown.push_back(name);  // left out with a warning, as runc
                continue;
            }
            for (auto* set :
                 {&proc.capabilities->bounding, &proc.capabilities->effective, &proc.capabilities->permitted,
                  &proc.capabilities->inheritable, &proc.capabilities->ambient})
                set->push_back(cap);
        }
    }
    if (proc.capabilities) leave_out_unavailable(*proc.capabilities);
    refuse_security_labels(proc, opts.process_file.empty() ? "config.json: process." : opts.process_file + ": ");
    std::vector<std::string> cgroup_dirs = sub_cgroup_dirs(st.cgroup_dirs, opts.cgroups);
    // In the foreground box holds the terminal itself (tty_relay.hpp); detached, someone else must.
    if (proc.terminal && opts.console_socket.empty() && opts.detach)
        throw Error("exec: a terminal was requested but no --console-socket was given (exec --detach needs one)");
    bool relayed = proc.terminal && opts.console_socket.empty();
    if (relayed)
        if (auto size = host_terminal_size()) proc.console_size = size;
    std::optional<Json> seccomp = store_.seccomp(st);
    std::optional<unsigned long> personality = st.personality;
    const std::vector<std::string>& ns_types = st.namespaces;

    UniqueFd console, relay_socket;
    if (!opts.console_socket.empty())
        console = connect_unix_socket(opts.console_socket, "--console-socket " + quote(opts.console_socket));
    if (relayed) {
        int tv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tv) < 0) throw_errno("socketpair");
        relay_socket.reset(tv[0]);
        console.reset(tv[1]);
    }

    // Hold the init with a pidfd while opening its namespaces, so a reused pid cannot slip in.
    UniqueFd pidfd = open_pidfd(st.pid, st.pid_start_time);
    if (!pidfd) throw Error("cannot exec in container " + quote(opts.id) + ": it is stopped");
    std::vector<std::pair<std::string, UniqueFd>> ns_fds;
    for (const char* type : kJoinOrder) {
        if (std::find(ns_types.begin(), ns_types.end(), type) == ns_types.end()) continue;
        std::string path = "/proc/" + std::to_string(st.pid) + "/ns/" + namespace_proc_name(type);
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("opening the container's " + std::string(type) + " namespace");
        ns_fds.emplace_back(type, std::move(fd));
    }
    // Without a mount namespace to join, the process goes into init's root (a chroot).
    UniqueFd init_root;
    if (std::find(ns_types.begin(), ns_types.end(), "mount") == ns_types.end()) {
        init_root.reset(
            ::open(("/proc/" + std::to_string(st.pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!init_root) throw_errno("opening the container's root");
    }
    if (!process_is(st.pid, st.pid_start_time))
        throw Error("cannot exec in container " + quote(opts.id) + ": it is stopped");

    sigset_t forwarded = forwarded_signals(), old;
    sigprocmask(SIG_BLOCK, &forwarded, &old);
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) throw_errno("PR_SET_CHILD_SUBREAPER");

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    UniqueFd parent_sock(sv[0]), child_sock(sv[1]);
    // The intermediate is born in the v2 cgroup and moves itself into the v1 ones (cgroup_entry.hpp).
    CgroupEntry cgroup_entry = CgroupEntry::prepare(cgroup_dirs);
    std::fflush(nullptr);
    pid_t intermediate = clone_into_cgroup(0, cgroup_entry.v2_dir_fd());
    bool born_in_cgroup = intermediate >= 0;
    if (!born_in_cgroup) intermediate = ::fork();
    if (intermediate < 0) throw_errno("fork");
    if (intermediate == 0) {
        parent_sock.reset();
        relay_socket.reset();
        int sock = child_sock.get();
        try {
            cgroup_entry.enter_v1_self();
            cgroup_entry.place_v2(::getpid(), born_in_cgroup);
            cgroup_entry.close();
            bool joined_user = false;
            for (auto& [type, fd] : ns_fds) {
                if (::setns(fd.get(), namespace_clone_flag(type)) < 0)
                    throw_errno("joining the container's " + type + " namespace");
                joined_user = joined_user || type == "user";
            }
            ns_fds.clear();
            if (init_root && (::fchdir(init_root.get()) < 0 || ::chroot(".") < 0))
                throw_errno("entering the container's root");
            init_root.reset();
            pid_t pid = ::fork();
            if (pid < 0) throw_errno("fork");
            if (pid > 0) {
                send_message(sock, {MsgType::Ready, std::to_string(pid)});
                _exit(0);
            }
            sigprocmask(SIG_SETMASK, &old, nullptr);
            // Before the process is non-dumpable: then /proc/self belongs to the host's root,
            // and a rootless caller could no longer write its own oom_score_adj.
            if (proc.oom_score_adj) write_file("/proc/self/oom_score_adj", std::to_string(*proc.oom_score_adj));
            ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // until execve: the container must not reach us
            if (joined_user && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0))
                throw_errno("becoming root in the container's user namespace");
            if (joined_user) drop_supplementary_groups(!setgroups_denied());
            if (!opts.user.empty()) resolve_user(opts.user, proc.user);
            // A session of its own, as init has: the caller's controlling terminal must not be
            // the process's (`echo > /dev/tty` would write on the user's screen); with --tty the
            // new session gets the container's pty as its controlling terminal.
            if (::setsid() < 0) throw_errno("setsid");
            if (proc.terminal) setup_terminal(proc, console.get(), relayed);
            console.reset();
            apply_rlimits(proc.rlimits);
            if (personality && ::personality(*personality) < 0)
                throw_errno("linux.personality: setting the execution domain");
            if (::chdir(proc.cwd.c_str()) < 0)
                throw_errno("--cwd: changing to " + quote(proc.cwd) + " in the container");
            std::vector<std::string> env = process_environment(proc);
            std::string exe = find_executable(proc.args[0], env);
            // A seccomp notify listener goes to box exec (and on to linux.seccomp.listenerPath).
            drop_privileges(proc, seccomp, !setgroups_denied(), [&](int listener) {
                send_message(sock, {MsgType::SeccompListener, ""}, listener);
                auto reply = recv_message(sock);
                if (!reply || reply->type != MsgType::Go) _exit(1);
            });
            preserve_fds(opts.preserve_fds);
            exec_process(proc, exe, env, seccomp);
        } catch (const std::exception& e) {
            try {
                send_message(sock, {MsgType::Error, e.what()});
            } catch (...) {
            }
            _exit(1);
        }
    }
    child_sock.reset();
    console.reset();
    cgroup_entry.close();
    pid_t pid = -1;
    std::string error;
    UniqueFd listener;  // the process's seccomp notify listener, once it sent one
    for (;;) {
        UniqueFd passed;
        std::optional<Message> msg;
        try {
            msg = recv_message(parent_sock.get(), &passed);
        } catch (const Error& e) {
            error = e.what();
        }
        if (!msg) break;
        if (msg->type == MsgType::Ready) pid = static_cast<pid_t>(std::stol(msg->payload));
        if (msg->type == MsgType::Error) error = msg->payload;
        if (msg->type == MsgType::SeccompListener) {
            if (!passed || !seccomp) {
                error = "exec: the process sent no seccomp listener";
                break;
            }
            listener = std::move(passed);
        }
        // The process's pid (from the intermediate) may come after its listener.
        if (listener && pid > 0) {
            try {
                store_.read_annotations(st);
                send_seccomp_listener(*seccomp, listener.get(), pid, oci_state_json(st, status));
                listener.reset();
                send_message(parent_sock.get(), {MsgType::Go, ""});
            } catch (const Error& e) {
                error = e.what();
                break;
            }
        }
    }
    parent_sock.reset();
    if (!error.empty() && pid > 0) ::kill(pid, SIGKILL);
    while (::waitpid(intermediate, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (!error.empty()) {
        if (pid > 0)
            while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        sigprocmask(SIG_SETMASK, &old, nullptr);
        throw Error(error);
    }
    if (pid <= 0) throw Error("exec: the process did not start");
    write_pid_file(opts.pid_file, pid);
    if (opts.detach) return 0;
    // As a subreaper we may also inherit the process's orphans: reap them all.
    auto reap = [&]() -> std::optional<int> {
        for (;;) {
            int wstatus = 0;
            pid_t r = ::waitpid(-1, &wstatus, WNOHANG);
            if (r <= 0) return std::nullopt;
            if (r != pid) continue;
            if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
            if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
            return 1;
        }
    };
    int code = relay_socket ? relay_terminal(receive_terminal(relay_socket.get()), forwarded, pid, reap)
                            : forward_signals_until_exit(forwarded, pid, reap);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return code;
}

}  // namespace box

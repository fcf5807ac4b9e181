#include "init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "capabilities.hpp"
#include "error.hpp"
#include "files.hpp"
#include "handshake.hpp"
#include "identity.hpp"
#include "mounts.hpp"
#include "namespaces.hpp"
#include "rlimits.hpp"
#include "seccomp.hpp"
#include "sysctl.hpp"

namespace box {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
    for (const auto& e : env)
        if (e.compare(0, key.size() + 1, key + "=") == 0) return e.substr(key.size() + 1);
    return {};
}

// HOME from the container's /etc/passwd when the config does not set it, as runc does.
std::string home_for(uint32_t uid) {
    std::ifstream in("/etc/passwd");
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        size_t start = 0;
        for (;;) {
            size_t end = line.find(':', start);
            f.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
            if (end == std::string::npos) break;
            start = end + 1;
        }
        if (f.size() >= 6 && f[2] == std::to_string(uid)) return f[5];
    }
    return "/";
}

void send_fd(int sock, int fd) {
    char dummy = 'x';
    iovec iov{&dummy, 1};
    alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf;
    msg.msg_controllen = sizeof buf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) throw_errno("sending the terminal to the console socket");
}

// A pty from the container's devpts becomes our controlling terminal and stdio;
// the master goes to whoever listens on the console socket.
void setup_terminal(const Process& p, int console_socket) {
    int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) throw_errno("opening /dev/ptmx in the container");
    UniqueFd master_fd(master);
    if (::unlockpt(master) < 0) throw_errno("unlockpt");
    int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) throw_errno("opening the terminal's peer");
    UniqueFd slave_fd(slave);
    if (p.console_size) {
        winsize ws{static_cast<unsigned short>(p.console_size->height), static_cast<unsigned short>(p.console_size->width), 0, 0};
        ::ioctl(slave, TIOCSWINSZ, &ws);
    }
    send_fd(console_socket, master);
    master_fd.reset();
    for (int fd = 0; fd < 3; ++fd)
        if (::dup2(slave, fd) < 0) throw_errno("attaching the terminal to stdio");
    if (::ioctl(0, TIOCSCTTY, 0) < 0) throw_errno("making the terminal the controlling terminal");
}

void wait_for_start(int state_dir_fd) {
    // Blocks until `box start` opens the fifo for reading.
    int fd = ::openat(state_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("opening exec.fifo");
    UniqueFd fifo(fd);
    if (::write(fd, "0", 1) != 1) throw_errno("writing exec.fifo");
}

}  // namespace

std::string find_executable(const std::string& name, const std::vector<std::string>& env) {
    auto executable = [](const std::string& path) {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
    };
    if (name.find('/') != std::string::npos) {
        if (executable(name)) return name;
        throw Error("executable " + quote(name) + " not found in the container");
    }
    std::string path = env_value(env, "PATH");
    if (path.empty()) path = kDefaultPath;
    size_t start = 0;
    for (;;) {
        size_t end = path.find(':', start);
        std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + name;
        if (executable(candidate)) return candidate;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    throw Error("executable " + quote(name) + " not found in the container (PATH=" + path + ")");
}

void run_container_init(const InitContext& ctx) {
    const Spec& spec = *ctx.spec;
    const Process& proc = *spec.process;
    // The parent blocked signals to forward them; the container starts with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    try {
        auto go = recv_message(ctx.sync_fd);
        if (!go || go->type != MsgType::Go) _exit(1);
        bool setgroups_allowed = go->payload != "nosetgroups";
        if (spec.linux.find_namespace("user") && spec.linux.find_namespace("user")->path.empty()) {
            if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
                throw_errno("becoming root in the new user namespace (is uid/gid 0 mapped?)");
        }
        for (const auto& ns : spec.linux.namespaces)
            if (!ns.path.empty() && ns.type == "user") join_namespace(ns);
        for (const auto& ns : spec.linux.namespaces)
            if (!ns.path.empty() && ns.type != "user" && ns.type != "pid") join_namespace(ns);
        if (ctx.unshare_flags && ::unshare(ctx.unshare_flags) < 0) throw_errno("creating namespaces");
        if (::setsid() < 0) throw_errno("setsid");

        bool userns = spec.linux.find_namespace("user") != nullptr;
        RootfsContext rc{spec, ctx.bundle, ctx.cgroup_dirs, userns, spec.linux.find_namespace("cgroup") != nullptr};
        setup_rootfs(rc);
        {
            UniqueFd rootfd(::open(spec.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            open_in_root(rootfd.get(), proc.cwd, true, false);  // the cwd exists, as runc guarantees
        }
        pivot_into_rootfs(spec.root_path);
        if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
            throw_errno("setting hostname " + quote(spec.hostname));
        if (spec.domainname && ::setdomainname(spec.domainname->data(), spec.domainname->size()) < 0)
            throw_errno("setting domainname " + quote(*spec.domainname));
        apply_sysctls(spec.linux.sysctl);
        finish_rootfs(spec);

        if (proc.terminal) setup_terminal(proc, ctx.console_socket_fd);
        if (ctx.console_socket_fd >= 0) ::close(ctx.console_socket_fd);

        apply_rlimits(proc.rlimits);
        if (proc.oom_score_adj) write_file("/proc/self/oom_score_adj", std::to_string(*proc.oom_score_adj));
        if (::chdir(proc.cwd.c_str()) < 0) throw_errno("process.cwd: changing to " + quote(proc.cwd));

        std::vector<std::string> env = proc.env;
        if (env_value(env, "HOME").empty()) env.push_back("HOME=" + home_for(proc.user.uid));
        std::string exe = find_executable(proc.args[0], env);

        if (spec.linux.seccomp && !proc.no_new_privileges) load_seccomp(*spec.linux.seccomp);
        if (proc.capabilities) drop_bounding_set(*proc.capabilities);
        apply_user(proc.user, setgroups_allowed);
        if (proc.capabilities) apply_capability_sets(*proc.capabilities);
        if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw_errno("setting no_new_privs");

        send_message(ctx.sync_fd, {MsgType::Ready, ""});
        auto ack = recv_message(ctx.sync_fd);
        if (!ack || ack->type != MsgType::Ack) _exit(1);
        ::close(ctx.sync_fd);
        // Only a container that waits for `box start` goes through the fifo; `run` goes straight on.
        if (ack->payload != "start") wait_for_start(ctx.state_dir_fd);
        ::close(ctx.state_dir_fd);

        if (spec.linux.seccomp && proc.no_new_privileges) load_seccomp(*spec.linux.seccomp);

        std::vector<char*> argv, envp;
        std::vector<std::string> args = proc.args;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        ::execve(exe.c_str(), argv.data(), envp.data());
        int err = errno;
        std::string msg = "box: exec " + quote(exe) + " failed: " + std::strerror(err) + "\n";
        (void)!::write(STDERR_FILENO, msg.data(), msg.size());
        _exit(127);
    } catch (const std::exception& e) {
        try {
            send_message(ctx.sync_fd, {MsgType::Error, e.what()});
        } catch (...) {
        }
        _exit(1);
    }
}

}  // namespace box

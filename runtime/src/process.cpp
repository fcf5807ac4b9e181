#include "process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "capabilities.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "identity.hpp"
#include "passwd.hpp"
#include "seccomp.hpp"
#include "unix_socket.hpp"

namespace box {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
    for (const auto& e : env)
        if (e.compare(0, key.size() + 1, key + "=") == 0) return e.substr(key.size() + 1);
    return {};
}

std::string home_for(uint32_t uid) {
    auto entry = passwd_by_uid(uid);
    return entry ? entry->home : "/";
}

}  // namespace

void setup_terminal(const Process& p, int console_socket, bool relayed) {
    UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) throw_errno("opening /dev/ptmx in the container");
    if (::unlockpt(master.get()) < 0) throw_errno("unlockpt");
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) throw_errno("opening the terminal's peer");
    // The terminal belongs to the process's user; its group and mode stay what devpts gave it
    // (gid=5 "tty" and mode=0620 in the default config), as runc leaves them.
    struct stat st {};
    if (::fstat(slave.get(), &st) < 0) throw_errno("the terminal's peer");
    if (st.st_uid != p.user.uid && ::fchown(slave.get(), p.user.uid, static_cast<gid_t>(-1)) < 0)
        throw_errno("giving the terminal to uid " + std::to_string(p.user.uid));
    if (p.console_size) {
        winsize ws{static_cast<unsigned short>(p.console_size->height),
                   static_cast<unsigned short>(p.console_size->width), 0, 0};
        if (::ioctl(slave.get(), TIOCSWINSZ, &ws) < 0) throw_errno("process.consoleSize");
    }
    if (relayed) {
        // box relays the output to its own stdout: "\n" stays "\n", as runc leaves it there.
        termios t{};
        if (::tcgetattr(slave.get(), &t) < 0) throw_errno("reading the terminal's mode");
        t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
        if (::tcsetattr(slave.get(), TCSANOW, &t) < 0) throw_errno("setting the terminal's mode");
    }
    send_with_fd(console_socket, "x", 1, master.get(), "sending the terminal to the console socket");
    master.reset();
    for (int fd = 0; fd < 3; ++fd)
        if (::dup2(slave.get(), fd) < 0) throw_errno("attaching the terminal to stdio");
    if (::ioctl(0, TIOCSCTTY, 0) < 0) throw_errno("making the terminal the controlling terminal");
}

std::vector<std::string> process_environment(const Process& p) {
    std::vector<std::string> env = p.env;
    if (env_value(env, "HOME").empty()) env.push_back("HOME=" + home_for(p.user.uid));
    return env;
}

namespace {

// strerror as Go spells it ("no such file or directory"): runc's error words.
std::string go_strerror(int err) {
    std::string s = std::strerror(err);
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

// 0 when path is a file with an execute bit (Go's exec.LookPath test, as runc uses it), else
// the errno: EACCES for a directory or a file without one.
int executable_error(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return errno;
    return S_ISDIR(st.st_mode) || (st.st_mode & 0111) == 0 ? EACCES : 0;
}

}  // namespace

std::string find_executable(const std::string& name, const std::vector<std::string>& env) {
    // The words are runc's (Go's exec.LookPath): engines map them to exit codes 127 and 126.
    if (name.find('/') != std::string::npos) {
        int err = executable_error(name);
        if (err == 0) return name;
        if (err == EACCES) throw Error("exec: " + quote(name) + ": permission denied");
        throw Error("exec: " + quote(name) + ": stat " + name + ": " + go_strerror(err));
    }
    std::string path = env_value(env, "PATH");
    if (path.empty()) path = kDefaultPath;
    size_t start = 0;
    for (;;) {
        size_t end = path.find(':', start);
        std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + name;
        if (executable_error(candidate) == 0) return candidate;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    throw Error("exec: " + quote(name) + ": executable file not found in $PATH (PATH=" + path + ")");
}

void drop_privileges(const Process& p, const std::optional<Json>& seccomp, bool setgroups_allowed,
                     const SeccompListenerFn& on_listener) {
    auto load = [&] {
        UniqueFd listener = load_seccomp(*seccomp);
        if (!listener) return;
        if (!on_listener) throw Error("linux.seccomp: nothing here can take the SCMP_ACT_NOTIFY listener");
        on_listener(listener.get());
    };
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it while we have it.
    if (seccomp && !p.no_new_privileges) load();
    if (p.capabilities) drop_bounding_set(*p.capabilities);
    apply_user(p.user, setgroups_allowed);
    if (p.capabilities) apply_capability_sets(*p.capabilities);
    if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw_errno("setting no_new_privs");
    // A notifying filter cannot wait for execve: by then box may have exited.
    if (seccomp && p.no_new_privileges && seccomp_notifies(*seccomp)) load();
}

void exec_process(const Process& p, const std::string& exe, const std::vector<std::string>& env,
                  const std::optional<Json>& seccomp) {
    if (seccomp && p.no_new_privileges && !seccomp_notifies(*seccomp)) load_seccomp(*seccomp);
    std::vector<std::string> args = p.args, envs = env;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    ::execve(exe.c_str(), argv.data(), envp.data());
    // runc's words and status for an exec that fails after start (a script's missing interpreter).
    std::string msg = "box: exec " + exe + ": " + go_strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    _exit(1);
}

void preserve_fds(unsigned count) {
    // Whatever our caller leaked to us must not reach the container: only 0-2 and the preserved.
    ::close_range(3 + count, ~0U, CLOSE_RANGE_CLOEXEC);
    for (unsigned i = 0; i < count; ++i) {
        int fd = 3 + static_cast<int>(i);
        int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0) ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
}

}  // namespace box

#include "systemd_bridge.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "error.hpp"
#include "fd.hpp"
#include "files.hpp"
#include "self_protect.hpp"

extern char** environ;

namespace box {
namespace {

constexpr const char* kHelper = "box-systemd";

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// The directory of the box binary that was started (not of the read-only copy it re-executes).
std::string own_dir() {
    std::string exe = started_exe();
    auto slash = exe.rfind('/');
    return slash == std::string::npos ? std::string() : exe.substr(0, slash);
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

}  // namespace

std::string SystemdBridge::helper_path() {
    if (const char* path = std::getenv("BOX_SYSTEMD_BRIDGE"); path && *path) {
        if (!executable(path)) throw_errno("BOX_SYSTEMD_BRIDGE " + quote(path));
        return path;
    }
    std::string dir = own_dir();
    if (!dir.empty() && executable(dir + "/" + kHelper)) return dir + "/" + kHelper;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        std::string d;
        while (std::getline(ss, d, ':'))
            if (!d.empty() && executable(d + "/" + kHelper)) return d + "/" + kHelper;
    }
    throw Error(std::string("--systemd-cgroup: ") + kHelper + " (box's D-Bus helper) not found beside box (" +
                (dir.empty() ? "?" : dir) + "), in BOX_SYSTEMD_BRIDGE or in PATH");
}

std::string SystemdBridge::run(const std::string& op, const std::string& unit, const std::string& input) const {
    std::string helper = helper_path();
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd in_r(in[0]), in_w(in[1]);
    if (::pipe2(out, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd out_r(out[0]), out_w(out[1]);
    if (::pipe2(err, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd err_r(err[0]), err_w(err[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_r.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
    std::vector<std::string> args = {helper};
    if (user_) args.push_back("--user");
    args.push_back(op);
    args.push_back(unit);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Not the signal mask of a foreground `box run`, which blocks the signals it forwards.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, helper.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        errno = rc;
        throw_errno("running " + helper);
    }
    in_r.reset();
    out_w.reset();
    err_w.reset();
    // The helper reads all of its input before it writes anything: no deadlock.
    write_all(in_w.get(), input);
    in_w.reset();
    std::string output = read_all(out_r.get());
    std::string error = read_all(err_r.get());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return output;
    while (!error.empty() && error.back() == '\n') error.pop_back();
    if (auto nl = error.rfind('\n'); nl != std::string::npos) error = error.substr(nl + 1);
    const std::string prefix = std::string(kHelper) + ": ";
    if (error.rfind(prefix, 0) == 0) error = error.substr(prefix.size());
    if (error.empty()) error = helper + " failed (status " + std::to_string(status) + ")";
    throw Error("systemd: " + error);
}

std::string SystemdBridge::start(const std::string& unit, const std::vector<UnitProperty>& props) const {
    std::string reply = run("start", unit, dump_json(properties_json(props)));
    try {
        return Json::parse(reply).at("controlGroup").get<std::string>();
    } catch (const Json::exception& e) {
        throw Error(std::string("systemd: unexpected answer from ") + kHelper + ": " + e.what());
    }
}

void SystemdBridge::set(const std::string& unit, const std::vector<UnitProperty>& props) const {
    run("set", unit, dump_json(properties_json(props)));
}

void SystemdBridge::stop(const std::string& unit) const { run("stop", unit, ""); }

}  // namespace box

#include "proc.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "error.hpp"

namespace box {
namespace {

struct StatFields {
    char state = '?';
    uint64_t start_time = 0;
};

std::optional<StatFields> read_stat(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    buf[n] = '\0';
    // The command name may contain spaces and ')': fields resume after the last ')'.
    char* p = std::strrchr(buf, ')');
    if (!p) return std::nullopt;
    StatFields f;
    // Field 3 is the state; field 22 the start time. After ')' come fields 3, 4, ...
    int field = 2;
    char* save = nullptr;
    for (char* tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(nullptr, " ", &save)) {
        ++field;
        if (field == 3) f.state = tok[0];
        if (field == 22) {
            f.start_time = std::strtoull(tok, nullptr, 10);
            return f;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<uint64_t> process_start_time(pid_t pid) {
    auto f = read_stat(pid);
    if (!f) return std::nullopt;
    return f->start_time;
}

bool process_is(pid_t pid, uint64_t start_time) {
    if (pid <= 0) return false;
    auto f = read_stat(pid);
    return f && f->start_time == start_time && f->state != 'Z' && f->state != 'X';
}

namespace {

// Calls f(pid) for every process in /proc.
template <typename F>
void for_each_process(F f) {
    DIR* d = ::opendir("/proc");
    if (!d) return;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long p = std::strtol(e->d_name, &end, 10);
        if (*end == '\0' && p > 0) f(static_cast<pid_t>(p));
    }
    ::closedir(d);
}

// The processes that share pid's namespace of the given kind ("pid", "user"), or just pid
// when that namespace is our own (every process on the host would match).
std::vector<pid_t> namespace_members(pid_t pid, const char* kind) {
    struct stat target {
    }, self{};
    std::string ns = "/proc/" + std::to_string(pid) + "/ns/" + kind;
    if (::stat(ns.c_str(), &target) < 0) return {pid};
    if (::stat((std::string("/proc/self/ns/") + kind).c_str(), &self) == 0 && self.st_ino == target.st_ino &&
        self.st_dev == target.st_dev)
        return {pid};
    std::vector<pid_t> out;
    for_each_process([&](pid_t p) {
        struct stat st {};
        std::string path = "/proc/" + std::to_string(p) + "/ns/" + kind;
        if (::stat(path.c_str(), &st) == 0 && st.st_ino == target.st_ino && st.st_dev == target.st_dev)
            out.push_back(p);
    });
    return out;
}

// The parent pid (field 4 of /proc/PID/stat), or 0.
pid_t parent_of(pid_t pid) {
    char path[64], buf[1024];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    const char* p = std::strrchr(buf, ')');
    char state = 0;
    int ppid = 0;
    if (!p || std::sscanf(p + 1, " %c %d", &state, &ppid) != 2) return 0;
    return ppid;
}

}  // namespace

std::vector<pid_t> pid_namespace_members(pid_t pid) { return namespace_members(pid, "pid"); }

std::vector<pid_t> user_namespace_members(pid_t pid) { return namespace_members(pid, "user"); }

std::vector<pid_t> process_tree(pid_t pid) {
    std::vector<std::pair<pid_t, pid_t>> parent_child;
    for_each_process([&](pid_t p) { parent_child.emplace_back(parent_of(p), p); });
    std::vector<pid_t> out{pid};
    for (size_t i = 0; i < out.size(); ++i)
        for (const auto& [parent, child] : parent_child)
            if (parent == out[i]) out.push_back(child);
    return out;
}

UniqueFd open_pidfd(pid_t pid, uint64_t start_time) {
    if (pid <= 0) return UniqueFd();
    int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return UniqueFd();
    UniqueFd pidfd(fd);
    // The pidfd pins the process; checking identity after opening closes the pid-reuse race.
    if (!process_is(pid, start_time)) return UniqueFd();
    return pidfd;
}

void pidfd_signal(int pidfd, int sig) {
    if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0 && errno != ESRCH) throw_errno("sending signal");
}

bool pidfd_wait_exit(int pidfd, int timeout_ms) {
    pollfd p{pidfd, POLLIN, 0};
    for (;;) {
        int r = ::poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        return r > 0;
    }
}

}  // namespace box

#include "cgroup_entry.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/sched.h>
#include <cerrno>
#include <csignal>

#include "error.hpp"
#include "files.hpp"

namespace box {

CgroupEntry CgroupEntry::prepare(const std::vector<std::string>& dirs) {
    CgroupEntry entry;
    for (const auto& dir : dirs) {
        // Every v1 cgroup has a `tasks` file and no v2 cgroup has one: one open tells them apart.
        UniqueFd tasks(::open((dir + "/tasks").c_str(), O_WRONLY | O_CLOEXEC));
        if (tasks) {
            entry.v1_tasks_.emplace_back(dir, std::move(tasks));
            continue;
        }
        if (errno != ENOENT) throw_errno("opening " + quote(dir + "/tasks"));
        UniqueFd fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!fd) throw_errno("opening cgroup " + quote(dir));
        entry.v2_dir_ = std::move(fd);
        entry.v2_path_ = dir;
    }
    return entry;
}

void CgroupEntry::enter_v1_self() {
    for (auto& [dir, tasks] : v1_tasks_) {
        if (::write(tasks.get(), "0", 1) != 1) throw_errno("joining cgroup " + quote(dir));
        tasks.reset();
    }
    v1_tasks_.clear();
}

void CgroupEntry::place_v2(pid_t pid, bool born_in_v2) const {
    if (born_in_v2 || v2_path_.empty()) return;
    write_file(v2_path_ + "/cgroup.procs", std::to_string(pid));
}

void CgroupEntry::close() {
    v1_tasks_.clear();
    v2_dir_.reset();
}

pid_t clone_into_cgroup(uint64_t flags, int cgroup_fd) {
    if (cgroup_fd < 0) {
        errno = EBADF;
        return -1;
    }
    clone_args args{};
    args.flags = flags | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

}  // namespace box

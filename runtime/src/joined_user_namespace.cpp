#include "joined_user_namespace.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cgroup_entry.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "namespaces.hpp"

namespace box {
namespace {

// What the intermediate child reports through its pipe.
struct Report {
    pid_t pid = -1;
    int born_in_cgroup = 0;
    char error[1024] = {};
};

// Reaps the intermediate child on every path out of the caller.
class Intermediate {
public:
    explicit Intermediate(pid_t pid) : pid_(pid) {}
    Intermediate(const Intermediate&) = delete;
    Intermediate& operator=(const Intermediate&) = delete;
    ~Intermediate() {
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }

private:
    pid_t pid_;
};

// In the intermediate child: returns only in init (which it cloned), else reports and exits.
void run_intermediate(const Namespace& userns, uint64_t flags, int cgroup_fd, int report_fd) {
    Report report;
    try {
        // The user namespace first: the pid namespace cloned next belongs to it.
        join_namespace(userns);
        report.pid = clone_into_cgroup(flags | CLONE_PARENT, cgroup_fd);
        report.born_in_cgroup = report.pid >= 0;
        if (report.pid < 0)
            report.pid = static_cast<pid_t>(
                ::syscall(SYS_clone, flags | CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
        if (report.pid < 0) throw_errno("creating the container process");
        if (report.pid == 0) return;  // init
    } catch (const std::exception& e) {
        report.pid = -1;
        std::strncpy(report.error, e.what(), sizeof report.error - 1);
    }
    (void)!::write(report_fd, &report, sizeof report);
    _exit(0);
}

}  // namespace

ClonedInit clone_in_user_namespace(const Namespace& userns, uint64_t flags, int cgroup_fd) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("creating the container process: pipe");
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    pid_t intermediate = ::fork();
    if (intermediate < 0) throw_errno("creating the container process");
    if (intermediate == 0) {
        read_end.reset();
        run_intermediate(userns, flags, cgroup_fd, write_end.get());
        // Only init returns here.
        return ClonedInit{0, false};
    }
    Intermediate reaped(intermediate);
    write_end.reset();
    Report report;
    ssize_t n;
    while ((n = ::read(read_end.get(), &report, sizeof report)) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof report))
        throw Error("creating the container process: the intermediate process exited without a word");
    if (report.pid < 0) throw Error(report.error);
    return ClonedInit{report.pid, report.born_in_cgroup != 0};
}

}  // namespace box

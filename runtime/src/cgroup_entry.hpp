// How a new process (the container's init, or a process started by exec) enters the
// container's cgroups without the price of a migration.
//
// Moving another process by pid (cgroup.procs) takes the kernel's global threadgroup lock,
// whose writer waits for an RCU grace period: 5-15 ms per create and per exec on this kind
// of host, in every v1 hierarchy at once. Two ways around it, used by box:
//   - v1: a single-threaded process that writes "0" to a `tasks` file moves only itself,
//     which the kernel does without the global lock. The files are opened by the runtime
//     before the clone, so the check is made against the runtime's credentials, not those
//     of the new process (which may already be in a user namespace).
//   - v2: clone3(CLONE_INTO_CGROUP) starts the process in its cgroup, with no move at all.
// Where neither works (an old kernel, a cgroup we may not enter that way) the process is
// placed by pid as before.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fd.hpp"

namespace box {

class CgroupEntry {
public:
    // Opens what the new process needs, for the leaf directories of every hierarchy.
    // Call before the clone: the new process inherits the descriptors.
    static CgroupEntry prepare(const std::vector<std::string>& dirs);

    // The v2 directory to pass to clone3(CLONE_INTO_CGROUP), or -1.
    int v2_dir_fd() const { return v2_dir_.get(); }

    // In the new, single-threaded process: moves itself into every v1 cgroup, then closes the
    // descriptors.
    void enter_v1_self();

    // After the clone (in either process): puts pid into the v2 cgroup unless the process was
    // born there.
    void place_v2(pid_t pid, bool born_in_v2) const;

    // Closes every descriptor (in a process that does not use them).
    void close();

private:
    UniqueFd v2_dir_;
    std::string v2_path_;
    std::vector<std::pair<std::string, UniqueFd>> v1_tasks_;  // dir, its `tasks` file
};

// clone3 with CLONE_INTO_CGROUP when cgroup_fd >= 0 (flags are CLONE_* namespace flags;
// the child gets SIGCHLD as its exit signal). Returns the child's pid, 0 in the child,
// or -1 with errno when the kernel refuses (the caller then clones the ordinary way).
pid_t clone_into_cgroup(uint64_t flags, int cgroup_fd);

}  // namespace box

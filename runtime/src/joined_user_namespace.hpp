// Creating the container's init inside a user namespace joined by path, so that the new
// pid namespace made with it belongs to that user namespace (as runc's nsexec does: its
// stage-1 child joins the namespaces given by path, then clones init).
#pragma once
#include <sys/types.h>

#include <cstdint>

#include "config.hpp"

namespace box {

struct ClonedInit {
    pid_t pid = -1;               // 0 in init itself
    bool born_in_cgroup = false;  // clone3(CLONE_INTO_CGROUP) placed it in its v2 cgroup
};

// An intermediate child joins USERNS, clones init with FLAGS (CLONE_NEWPID ...) and
// CLONE_PARENT, so that init is still our child, tells us its pid and exits; we reap it.
// In init, returns pid 0; in the caller, init's pid. Throws when either clone or the
// join fails.
ClonedInit clone_in_user_namespace(const Namespace& userns, uint64_t flags, int cgroup_fd);

}  // namespace box

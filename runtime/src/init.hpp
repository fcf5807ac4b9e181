// The container's init: runs in the cloned child, sets the container up from the inside,
// reports to `box create` over the handshake socket, waits for `box start`, then execs.
#pragma once
#include <string>
#include <vector>

#include "cgroup_entry.hpp"
#include "config.hpp"

namespace box {

struct InitContext {
    const Spec* spec = nullptr;
    std::string bundle;
    int sync_fd = -1;               // our end of the handshake socketpair
    int state_dir_fd = -1;          // --root/ID, for exec.fifo (reached by fd, not by path)
    int console_socket_fd = -1;     // connected --console-socket (or box's own relay socket), or -1
    bool terminal_relayed = false;  // box run relays the terminal itself (no --console-socket)
    std::vector<std::string> cgroup_dirs;
    CgroupEntry* cgroup_entry = nullptr;  // init moves itself into the v1 cgroups through it
    int unshare_flags = 0;                // namespaces still to create after the handshake
    bool in_joined_user_ns = false;       // born in the user namespace of linux.namespaces' path
    unsigned preserve_fds = 0;            // fds 3.. passed on to the process
    bool rootless = false;                // run by an unprivileged user
    Json hook_state;                      // OCI state for hooks run by init (pid filled in by the parent)
};

[[noreturn]] void run_container_init(const InitContext& ctx);

}  // namespace box

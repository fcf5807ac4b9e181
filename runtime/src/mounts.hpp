// The container's filesystem: config.json mounts, resolved inside the rootfs without
// following symlinks out of it, then pivot_root, then the paths masked or made read-only.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config.hpp"
#include "fd.hpp"

namespace box {

struct MountOptions {
    unsigned long flags = 0;        // MS_* set by the options
    unsigned long propagation = 0;  // MS_PRIVATE/SHARED/SLAVE/UNBINDABLE (| MS_REC)
    bool bind = false;
    bool recursive = false;
    bool copy_up = false;   // tmpcopyup: fill a new tmpfs with what it covers
    uint64_t attr_set = 0;  // MOUNT_ATTR_* of the recursive options (rro, rnosuid ...), applied
    uint64_t attr_clr = 0;  // with mount_setattr(AT_RECURSIVE) to the mount and all below it
    std::string data;       // filesystem-specific options, comma separated
};
MountOptions parse_mount_options(const std::vector<std::string>& options);
// A bind mount: type "bind", or the option bind or rbind (but not on a cgroup mount).
bool is_bind_mount(const Mount& m);
// The options box knows (what `box features` lists as mountOptions), sorted.
std::vector<std::string> known_mount_options();
// Rejects what box would otherwise ignore: options a bind or cgroup mount cannot take (they
// have no filesystem data for the kernel to check), naming mounts[i].options and the option.
void validate_mount_options(const std::vector<Mount>& mounts);

// Opens path (relative to, and never escaping, root) as O_PATH; creates missing parents and,
// when create is set, the leaf (a directory, or an empty file when leaf_is_file).
UniqueFd open_in_root(int rootfd, const std::string& path, bool create, bool leaf_is_file);
std::string fd_path(int fd);  // "/proc/self/fd/N", for mount(2) targets

struct RootfsContext {
    const Spec& spec;
    std::string bundle;
    std::vector<std::string> cgroup_dirs;
    bool in_user_namespace = false;
    bool cgroup_namespace = false;
    // Called once before the first cgroup mount (or after the last mount): the container
    // must be in its cgroup, and in its cgroup namespace, before cgroupfs is mounted.
    std::function<void()> before_cgroups = {};
    std::vector<UniqueFd> bind_sources = {};  // opened by box create (bind_sources.hpp), by mounts index
};

// Before pivot_root: propagation, the rootfs bind, every mount, /dev.
void setup_rootfs(const RootfsContext& ctx);
void pivot_into_rootfs(const std::string& rootfs);
// Without a mount namespace of the container's own: chroot (as runc), nothing is mounted.
void chroot_into(const std::string& rootfs);
// After pivot_root: read-only paths, masked paths, read-only root, propagation.
void finish_rootfs(const Spec& spec);

}  // namespace box

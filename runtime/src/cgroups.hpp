// Control groups on cgroup v1, v2 and hybrid hosts: placement, creation, freezing, cleanup.
// The resource values themselves are written by cgroup_resources.hpp.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "config.hpp"

namespace box {

enum class CgroupMode { V1, V2, Hybrid, None };
const char* cgroup_mode_name(CgroupMode m);
CgroupMode detect_cgroup_mode();

struct Hierarchy {
    std::string mountpoint;                // /sys/fs/cgroup/memory, /sys/fs/cgroup/unified, /sys/fs/cgroup
    std::vector<std::string> controllers;  // v1: from the mount options; v2: cgroup.controllers
    bool v2 = false;
};
// Every mounted hierarchy (v1 controllers, named v1 hierarchies, and the v2 one).
std::vector<Hierarchy> cgroup_hierarchies();

// The cgroup a container lives in, across every hierarchy.
class ContainerCgroup {
public:
    // cgroups_path from config.json (absolute, relative to our own cgroup, or empty for /box/ID).
    static std::string resolve_path(const std::string& cgroups_path, const std::string& id, bool systemd);

    // Creates the directories and applies limits; nothing is left behind if this throws.
    static std::vector<std::string> create(const std::string& path, const std::optional<Resources>& resources);
    // Where create() will put the container, one directory per hierarchy (nothing is created).
    static std::vector<std::string> planned_dirs(const std::string& path);
    // The directories of path that exist, in every hierarchy.
    static std::vector<std::string> existing_dirs(const std::string& path);
    // Changes the limits of an existing cgroup, all or nothing.
    static void apply(const std::vector<std::string>& dirs, const Resources& resources);
};

std::vector<pid_t> cgroup_pids(const std::vector<std::string>& dirs);
bool cgroup_is_frozen(const std::vector<std::string>& dirs);
void cgroup_set_frozen(const std::vector<std::string>& dirs, bool frozen);
// Kills what is left inside, then removes the directories (deepest first).
void cgroup_destroy(const std::vector<std::string>& dirs);

}  // namespace box

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

// Where a container's cgroups are, and which of them box made itself. box signals, freezes,
// writes limits to and removes only the directories it made: a linux.cgroupsPath that names
// an existing cgroup is joined, and what else lives there is left alone.
struct CgroupPlacement {
    std::vector<std::string> dirs;     // one per hierarchy
    std::vector<std::string> created;  // those of dirs that box made (empty when it did)
    std::string systemd_unit;          // the transient unit box had systemd make (systemd driver)
    bool systemd_user = false;         // made by the user's systemd (rootless), not the system's
};

// The cgroup a container lives in, across every hierarchy.
class ContainerCgroup {
public:
    // cgroups_path from config.json (absolute, relative to our own cgroup, or empty for /box/ID).
    // Refuses escapes (".."), a hierarchy's root ("/") and the systemd form.
    static std::string resolve_path(const std::string& cgroups_path, const std::string& id);

    // Creates the directories and applies limits; nothing is left behind if this throws.
    // Limits are written only where box made the directory; asking for them in a cgroup
    // that already exists is an error naming linux.cgroupsPath.
    static CgroupPlacement create(const std::string& path, const std::optional<Resources>& resources);
    // Where create() will put the container (nothing is created): created lists the
    // directories that do not exist yet, i.e. those create() is about to make.
    static CgroupPlacement plan(const std::string& path);
    // Changes the limits of an existing cgroup, all or nothing.
    static void apply(const std::vector<std::string>& dirs, const Resources& resources);
};

// Writes the limits into dir, a cgroup just made for the container in hierarchy h (and, on
// cgroup v2, attaches the device program).
void write_new_cgroup_resources(const std::string& dir, const Hierarchy& h, const Resources& resources);
// Makes dir in hierarchy h where it is missing (each level prepared as create() does; the
// levels made are added to made) and moves pid into it.
void join_cgroup_dir(const Hierarchy& h, const std::string& dir, pid_t pid, std::vector<std::string>& made);

// The processes directly in the first readable of dirs (every hierarchy holds the same ones).
std::vector<pid_t> cgroup_pids(const std::vector<std::string>& dirs);
// The processes in dirs and in every cgroup below them.
std::vector<pid_t> cgroup_tree_pids(const std::vector<std::string>& dirs);
bool cgroup_is_frozen(const std::vector<std::string>& dirs);
void cgroup_set_frozen(const std::vector<std::string>& dirs, bool frozen);
// For the cgroups box created (never others): kills what is inside them and in the cgroups
// made below them, then removes them all, deepest first. The default parent /box goes too
// once it is empty.
void cgroup_destroy(const std::vector<std::string>& created);
// Whether dir is a directory strictly below a mounted cgroup hierarchy's root.
bool is_below_cgroup_root(const std::string& dir);

}  // namespace box

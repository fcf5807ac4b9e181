// The cgroup drivers behind one interface (as runc's libcontainer/cgroups/{fs,systemd}):
// cgroupfs, where box makes the directories itself, and systemd, where box asks systemd for a
// transient scope. A container's driver is chosen once, at create, and recorded in its state
// (a systemd unit is recorded in --root/ID/systemd-unit), so every later command uses the same.
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroups.hpp"
#include "config.hpp"

namespace box {

struct ContainerState;

class CgroupManager {
public:
    virtual ~CgroupManager() = default;

    // The driver for a new container: systemd with --systemd-cgroup, else cgroupfs. Checks
    // linux.cgroupsPath (throws naming it), touches nothing.
    static std::unique_ptr<CgroupManager> for_create(const std::string& cgroups_path, const std::string& id,
                                                     bool systemd, bool rootless);
    // The driver a container was created with, over the cgroups it has.
    static std::unique_ptr<CgroupManager> for_container(const ContainerState& st);

    virtual const char* driver() const = 0;

    // --- create, in this order -------------------------------------------------------------
    // Where the container will be (nothing is made): recorded before anything is made, so that
    // a create killed at any point leaves what delete --force needs, and nothing more.
    virtual CgroupPlacement plan() = 0;
    // Before the init exists: the cgroups it is born into, with their limits (cgroupfs).
    // Rootless without limits asked for, failing to make them is not an error (no cgroup then).
    virtual void create(const std::optional<Resources>& resources) = 0;
    // After the clone, before the init's cgroup namespace: places the init where that needs its
    // pid (systemd's scope). The placement is final after this.
    virtual void place_init(pid_t pid, const std::optional<Resources>& resources) {}

    // --- a container's cgroups -------------------------------------------------------------
    const CgroupPlacement& placement() const { return placement_; }
    // Whether box made (or had systemd make) the container's cgroup: only then does it freeze,
    // limit, signal or remove what is in there.
    bool owns_cgroup() const { return !placement_.created.empty(); }
    // Changes the limits, all or nothing where the files allow it.
    virtual void update(const Resources& resources) = 0;
    bool frozen() const;
    void set_frozen(bool frozen);
    // The processes in the container's cgroups and below (owned cgroups only).
    std::vector<pid_t> pids() const;
    // The directories stats and events read.
    const std::vector<std::string>& stats_dirs() const { return placement_.dirs; }
    // Kills what is left inside, removes what box made (systemd: stops the unit and waits until
    // it is gone). Safe to call again, and on a partial create.
    virtual void destroy() = 0;

protected:
    CgroupPlacement placement_;
};

}  // namespace box

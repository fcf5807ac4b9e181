// The systemd cgroup driver behind CgroupManager (cgroup_manager.hpp).
#pragma once
#include <memory>
#include <string>

#include "cgroup_manager.hpp"

namespace box {

// For a new container (--systemd-cgroup): checks that systemd runs and linux.cgroupsPath.
std::unique_ptr<CgroupManager> make_systemd_manager(const std::string& cgroups_path, const std::string& id,
                                                    bool rootless);
// For a container created with it, from what its state recorded.
std::unique_ptr<CgroupManager> systemd_manager_for(const CgroupPlacement& recorded);

}  // namespace box

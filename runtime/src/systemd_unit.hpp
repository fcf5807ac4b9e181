// What box asks systemd for under the systemd cgroup driver: the transient scope's name, its
// slice and cgroup, and linux.resources as unit properties (as runc's
// libcontainer/cgroups/systemd sets them). Pure computation; systemd_bridge.hpp talks to systemd.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"
#include "json_reader.hpp"

namespace box {

struct SystemdScope {
    std::string slice;       // the parent slice unit, e.g. system.slice
    std::string unit;        // prefix-name.scope
    std::string cgroup_rel;  // the scope's cgroup below the manager's root: /system.slice/prefix-name.scope
};

// linux.cgroupsPath "slice:prefix:name" (runc's form); empty is ":box:ID". An empty slice is
// system.slice (user.slice rootless). Throws naming linux.cgroupsPath.
SystemdScope systemd_scope_for(const std::string& cgroups_path, const std::string& id, bool rootless);

// a-b.slice -> /a.slice/a-b.slice; -.slice -> "" (the root). Throws on an invalid name.
std::string expand_slice(const std::string& slice);

// One unit property: its name, D-Bus signature and value (as JSON: numbers, strings, booleans,
// arrays; "ay" is an array of byte values, "a(ss)" an array of [string, string]).
struct UnitProperty {
    std::string name;
    std::string type;
    Json value;
};

// Which property set systemd takes: cgroup v1 (and hybrid) or unified.
enum class SystemdCgroupApi { Legacy, Unified };

// linux.resources as unit properties (the limits only; the files are written too).
std::vector<UnitProperty> systemd_resource_properties(const Resources& r, SystemdCgroupApi api);
// Everything the new scope starts with: description, slice, the init's pid, Delegate=yes,
// accounting, no default dependencies, and the resources.
std::vector<UnitProperty> systemd_scope_properties(const std::string& id, const SystemdScope& scope, pid_t pid,
                                                   const std::optional<Resources>& r, SystemdCgroupApi api);

// A cpuset list ("0-3,8") as systemd's AllowedCPUs bitmask bytes (bit n of byte n/8).
std::vector<uint8_t> cpuset_to_bits(const std::string& list);

// The properties as the bridge reads them: [[name, type, value], ...].
Json properties_json(const std::vector<UnitProperty>& props);

}  // namespace box

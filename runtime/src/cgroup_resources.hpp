// Writing linux.resources into a container's cgroup files (v1 and v2), with the conversions
// between them. Shared by every cgroup manager: placement and lifetime live in cgroups.hpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cgroup_writes.hpp"
#include "cgroups.hpp"
#include "config.hpp"

namespace box {

// Whether resources ask for any limit (anything but device rules).
bool has_limits(const Resources& r);

// Every resource asked for needs a controller somewhere; throws naming the field that has none
// ("the pids controller is not available " + where).
void check_controllers(const Resources& r, const std::vector<Hierarchy>& hierarchies,
                       const std::string& where = "on this host");

// The writes that put the resources belonging to hierarchy h into dir (one directory of the
// container's cgroup), in the order the kernel needs; all is every hierarchy of the host, so
// that v2 leaves to v1 what v1 has on a hybrid host. Validates and reads today's values where
// the order depends on them, writes nothing; throws naming the field.
CgroupWrites plan_resource_writes(const std::string& dir, const Hierarchy& h, const std::vector<Hierarchy>& all,
                                  const Resources& r);
// plan_resource_writes, then the writes (for a new cgroup: no undo).
void write_resources(const std::string& dir, const Hierarchy& h, const std::vector<Hierarchy>& all, const Resources& r);

// The config's device rules followed by runc's default allow-list.
std::vector<DeviceRule> with_default_devices(const std::vector<DeviceRule>& rules);

// cpu.shares (2..262144) to cpu.weight (1..10000), as runc and crun convert it; 0 stays 0
// (unset) and anything else lands in range.
uint64_t shares_to_weight(uint64_t shares);
// blkio weight (10..1000) to io.weight (1..10000), the same way.
uint64_t blkio_weight_to_io(uint16_t w);

}  // namespace box

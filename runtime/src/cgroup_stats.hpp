// Statistics read from the container's cgroups, in runc's `events` format.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "json_reader.hpp"

namespace box {

// {"cpu": {...}, "memory": {...}, "pids": {...}, "blkio": {...}} from v1 or v2 files.
Json cgroup_stats(const std::vector<std::string>& dirs);
// How many processes the OOM killer has killed in the cgroup so far.
uint64_t cgroup_oom_kills(const std::vector<std::string>& dirs);

}  // namespace box

// The default config.json written by `box spec`, like runc's.
#pragma once
#include "json_reader.hpp"

namespace box {

Json default_spec();
// runc's rootless adjustments: a user namespace mapping the caller to root, no network
// namespace of its own, /sys bound rather than mounted, no cgroup resources.
Json rootless_spec(unsigned uid, unsigned gid);

}  // namespace box

// linux.sysctl: only keys that belong to a namespace the container owns.
#pragma once
#include "config.hpp"

namespace box {

// Throws naming the key when it is not namespaced or its namespace is not the container's own
// (none, or one joined by path that is the runtime's), or when it sets what the config's
// hostname or domainname field sets.
void validate_sysctls(const Spec& spec);
// Writes each key under /proc/sys (inside the container, after pivot_root).
void apply_sysctls(const std::map<std::string, std::string>& sysctl);

}  // namespace box

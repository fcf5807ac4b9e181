// POSIX resource limits (process.rlimits).
#pragma once
#include <string>
#include <vector>

#include "config.hpp"

namespace box {

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 when unknown.
int rlimit_from_name(const std::string& name);
std::vector<std::string> all_rlimit_names();
void apply_rlimits(const std::vector<Rlimit>& rlimits);

}  // namespace box

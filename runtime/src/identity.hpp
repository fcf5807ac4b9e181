// The container process's identity: groups, gid, uid and umask.
#pragma once
#include "config.hpp"

namespace box {

// setgroups, setgid, setuid (keeping capabilities for apply_capability_sets), umask.
void apply_user(const User& user, bool setgroups_allowed);

}  // namespace box

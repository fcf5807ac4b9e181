// The container process's identity: groups, gid, uid and umask.
#pragma once
#include "config.hpp"

namespace box {

// In a user namespace, as soon as the process is in it: no supplementary groups (when the
// namespace allows setgroups).
void drop_supplementary_groups(bool setgroups_allowed);

// setgroups, setgid, setuid (keeping capabilities for apply_capability_sets), umask.
void apply_user(const User& user, bool setgroups_allowed);

}  // namespace box

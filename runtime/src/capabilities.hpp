// Linux capabilities: names, and applying the five OCI sets to the container process.
#pragma once
#include <string>
#include <vector>

#include "config.hpp"

namespace box {

// "CAP_CHOWN" -> 0; -1 when unknown.
int capability_from_name(const std::string& name);
std::string capability_name(int cap);
// Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
int last_capability();
std::vector<std::string> all_capability_names();

// Leaves out of every set what box or this kernel does not know, or what box's own bounding
// set lacks (it cannot grant it), with one warning naming them all, in runc's words.
void leave_out_unavailable(Capabilities& caps);

// Call with PR_SET_KEEPCAPS before changing uid; drops the bounding set first.
void drop_bounding_set(const Capabilities& caps);
// After the uid change: sets effective, permitted, inheritable, then ambient.
void apply_capability_sets(const Capabilities& caps);

}  // namespace box

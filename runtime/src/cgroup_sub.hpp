// exec --cgroup [CONTROLLER[,CONTROLLER...]:]PATH, as runc 1.1 has it: the process goes into
// PATH, an existing cgroup below the container's own, in the hierarchies of the controllers
// named (in every hierarchy when no controller is named), and into the container's own
// cgroup in the others.
#pragma once
#include <string>
#include <vector>

namespace box {

// The container's cgroup directories (one per hierarchy) with the sub-cgroups of ARGS (the
// --cgroup values) put in. Throws naming the argument when it is malformed (runc's rules),
// climbs out of the container's cgroup, or names a cgroup that does not exist.
std::vector<std::string> sub_cgroup_dirs(const std::vector<std::string>& dirs, const std::vector<std::string>& args);

}  // namespace box

// Linux namespaces: which to create, and joining existing ones by path.
#pragma once
#include <string>

#include "config.hpp"

namespace box {

// CLONE_NEW* flags for the namespaces the config asks to create (no path).
int new_namespace_flags(const Linux& linux);
// setns() into the namespace at path; the error names the path and the type.
void join_namespace(const Namespace& ns);
// Validates that every namespace path exists and is a namespace of the right type.
void check_namespace_paths(const Linux& linux);
// Whether the container has its own namespace NS: a new one, or one joined by path that is
// not the runtime's own (joining /proc/1/ns/uts would let the config change the host's).
bool is_containers_own(const Namespace* ns);
// Whether this process runs in a user namespace other than the initial one (its uid_map
// is not the identity over the whole id range), like runc's userns.RunningInUserNS.
bool in_user_namespace();
// Whether our user namespace forbids setgroups (/proc/self/setgroups is "deny").
bool setgroups_denied();

}  // namespace box

namespace box {

// Writes /proc/PID/{uid,gid}_map: directly when allowed (root, or one mapping of our own
// id), else through newuidmap/newgidmap. Returns whether setgroups stays allowed.
bool write_id_mappings(pid_t pid, const Linux& linux);

// Rejects overlapping ranges in linux.uidMappings/gidMappings, naming them.
void validate_id_mappings(const Linux& linux);

}  // namespace box

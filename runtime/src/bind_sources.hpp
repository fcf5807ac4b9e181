// Bind mount sources opened by `box create`, as the caller, for an init in a user namespace
// (as runc 1.1 does with its mount fds): init's ids there may not reach a source the caller
// can (one under a 0700 directory of root's). Init hands over its root once its mount
// namespace exists; box opens each source from there (O_PATH, symlinks resolved as on the
// host) and sends it back, and init binds it from /proc/self/fd/N. The sources must be
// opened in init's mount namespace: the kernel binds no mount of another namespace.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "fd.hpp"

namespace box {

// Whether init gets its bind sources from box create: a user and a mount namespace in the
// config, and a bind mount. Both sides decide by this, from the same config.
bool bind_sources_opened_by_caller(const Spec& spec);

// The host path of mounts[index]'s source: a relative one is relative to the bundle.
std::string bind_source_path(const Mount& m, size_t index, const std::string& bundle);

// box create: opens every bind source of spec.mounts below init_root (init's "/", in its
// mount namespace) with our own credentials; pairs of mounts index and O_PATH fd. A source
// that does not exist is an error naming mounts[i].source.
std::vector<std::pair<size_t, UniqueFd>> open_bind_sources(int init_root, const Spec& spec, const std::string& bundle);

// Init: asks box create over sock for the sources, with its root attached, and receives them
// (one frame each); the result is indexed like spec.mounts, empty where there is no bind.
std::vector<UniqueFd> request_bind_sources(int sock, const Spec& spec);

}  // namespace box

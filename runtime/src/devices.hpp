// Device nodes in the container's /dev: the default set plus linux.devices, and the /dev links.
#pragma once
#include <vector>

#include "config.hpp"

namespace box {

// The devices every container gets (null, zero, full, random, urandom, tty).
std::vector<Device> default_devices();
// mknod each device (or, inside a user namespace, bind-mount the host's node).
void create_devices(int rootfd, const std::vector<Device>& extra, bool bind_from_host);
void create_dev_symlinks(int rootfd, bool have_devpts);

}  // namespace box

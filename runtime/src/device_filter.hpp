// The cgroup v2 device controller: an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE)
// built from the device rules and attached to the container's cgroup.
#pragma once
#include <linux/bpf.h>

#include <string>
#include <vector>

#include "config.hpp"

namespace box {

// The program for these rules (last matching rule wins; no match denies). Exposed for tests.
std::vector<bpf_insn> build_device_program(const std::vector<DeviceRule>& rules);
// Loads the program and attaches it to the cgroup v2 directory.
void attach_device_filter(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules);

}  // namespace box

#include "features.hpp"

#include <unistd.h>

#include "capabilities.hpp"
#include "cgroups.hpp"
#include "mounts.hpp"
#include "seccomp.hpp"
#include "version.hpp"

namespace box {

Json features_json() {
    CgroupMode mode = detect_cgroup_mode();
    Json controllers = Json::array();
    for (const auto& h : cgroup_hierarchies())
        for (const auto& c : h.controllers) controllers.push_back(c);
    return Json{
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", kOciVersion},
        {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
        {"mountOptions", known_mount_options()},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
          {"capabilities", all_capability_names()},
          {"cgroup",
           {{"v1", mode == CgroupMode::V1 || mode == CgroupMode::Hybrid},
            {"v2", mode == CgroupMode::V2 || mode == CgroupMode::Hybrid},
            {"systemd", false},
            {"systemdUser", false},
            {"rdma", false}}},
          {"seccomp",
           {{"enabled", true},
            {"actions", seccomp_actions()},
            {"operators", seccomp_operators()},
            {"archs", seccomp_architectures()}}},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}},
          {"intelRdt", {{"enabled", false}}},
          {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
        // Sorted keys, as runc's Go map prints them.
        {"annotations",
         {{"io.github.seccomp.libseccomp.version", libseccomp_version()},
          {"org.box.cgroup.controllers", dump_json(controllers)},
          {"org.box.cgroup.mode", cgroup_mode_name(mode)},
          {"org.box.commit", kBoxCommit},
          {"org.box.userns", ::access("/proc/self/ns/user", F_OK) == 0 ? "true" : "false"},
          {"org.box.version", kBoxVersion}}},
    };
}

}  // namespace box

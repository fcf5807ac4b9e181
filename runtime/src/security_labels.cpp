#include "security_labels.hpp"

#include <unistd.h>

#include <fstream>

#include "error.hpp"

namespace box {
namespace {

bool selinux_enabled() { return ::access("/sys/fs/selinux/enforce", F_OK) == 0; }

bool apparmor_enabled() {
    std::ifstream in("/sys/module/apparmor/parameters/enabled");
    std::string value;
    return in >> value && value == "Y";
}

// runc, on a host without the module, fails too (SELinux: "selinux label is specified in
// config, but selinux is disabled or not supported"; AppArmor and mountLabel: when it
// applies them); with the module, it applies them, which box does not do.
std::string why_selinux() {
    return selinux_enabled() ? "is set, but box does not apply SELinux labels"
                             : "is set, but SELinux is disabled or not supported on this host";
}

std::string why_apparmor() {
    return apparmor_enabled() ? "is set, but box does not apply AppArmor profiles"
                              : "is set, but AppArmor is not enabled on this host";
}

}  // namespace

void refuse_security_labels(const Process& process, const std::string& prefix) {
    if (!process.selinux_label.empty()) throw Error(prefix + "selinuxLabel: " + why_selinux());
    if (!process.apparmor_profile.empty()) throw Error(prefix + "apparmorProfile: " + why_apparmor());
}

void refuse_mount_label(const std::string& mount_label) {
    if (!mount_label.empty()) throw Error("config.json: linux.mountLabel: " + why_selinux());
}

void refuse_security_flag(const std::string& flag, const std::string& value) {
    if (value.empty()) return;
    throw Error(flag + " " + (flag == "--apparmor" ? why_apparmor() : why_selinux()));
}

}  // namespace box

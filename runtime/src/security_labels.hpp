// SELinux labels and AppArmor profiles (process.selinuxLabel, linux.mountLabel,
// process.apparmorProfile, exec --process-label/--apparmor): box applies none of them, so
// each one set is refused, never silently ignored.
#pragma once
#include <string>

#include "config.hpp"

namespace box {

// Throws naming the field when a label or profile is set; PREFIX leads to the process object
// ("config.json: process.", or "FILE: " for exec --process FILE).
void refuse_security_labels(const Process& process, const std::string& prefix);
void refuse_mount_label(const std::string& mount_label);
// For exec's flags: FLAG is "--process-label" or "--apparmor".
void refuse_security_flag(const std::string& flag, const std::string& value);

}  // namespace box

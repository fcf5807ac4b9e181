// linux.seccomp through libseccomp.
#pragma once
#include <optional>

#include "json_reader.hpp"

namespace box {

// Checks the filter description (actions, architectures, operators) before anything is created.
void validate_seccomp(const Json& seccomp);
// Builds and loads the filter; call as late as possible before exec.
void load_seccomp(const Json& seccomp);
std::vector<std::string> seccomp_actions();
std::vector<std::string> seccomp_architectures();
std::vector<std::string> seccomp_operators();

}  // namespace box

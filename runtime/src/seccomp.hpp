// linux.seccomp through libseccomp.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "json_reader.hpp"

namespace box {

// Checks the filter description (actions, architectures, operators, the listener for
// SCMP_ACT_NOTIFY) before anything is created.
void validate_seccomp(const Json& seccomp);
// Whether a rule uses SCMP_ACT_NOTIFY: then the filter is loaded while the runtime can still
// take its listener (before `create` returns), not at execve.
bool seccomp_notifies(const Json& seccomp);
// Builds and loads the filter; call as late as possible before exec. Returns the notify
// listener (O_CLOEXEC) when the loaded filter has SCMP_ACT_NOTIFY rules.
UniqueFd load_seccomp(const Json& seccomp);
// Connects to linux.seccomp.listenerPath and sends the container process state (the OCI
// runtime spec's: ociVersion, fds ["seccompFd"], pid, metadata, state) with the listener
// (SCM_RIGHTS). Errors name linux.seccomp.listenerPath.
void send_seccomp_listener(const Json& seccomp, int listener, pid_t pid, const Json& state);
std::vector<std::string> seccomp_actions();
std::vector<std::string> seccomp_architectures();
std::vector<std::string> seccomp_operators();
// The libseccomp box runs with ("2.5.4"), as runc --version and features report it.
std::string libseccomp_version();

}  // namespace box

// OCI hooks: each runs with the container's state JSON on stdin, a timeout, and its
// output kept for the error message.
#pragma once
#include <string>
#include <vector>

#include "config.hpp"

namespace box {

// Runs hooks in order; the first failure throws Error naming the stage, path and status.
void run_hooks(const std::vector<Hook>& hooks, const std::string& stage, const Json& state);
// For poststart and poststop, whose failures are warnings in the runtime spec.
void run_hooks_warn(const std::vector<Hook>& hooks, const std::string& stage, const Json& state);

}  // namespace box

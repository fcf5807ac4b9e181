// Wall-clock timestamps in the form the OCI state ("created") and runc's JSON log ("time") use.
#pragma once
#include <chrono>
#include <string>

namespace box {

// RFC 3339 in UTC with nanoseconds: 2026-12-01T03:05:26.123456789Z.
std::string rfc3339_nanos(std::chrono::system_clock::time_point when);
std::string now_rfc3339_nanos();

}  // namespace box

// Processes seen through /proc and pidfds: identity (pid + start time), liveness, signals.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"

namespace box {

// Start time (clock ticks since boot, field 22 of /proc/PID/stat); nullopt if gone.
std::optional<uint64_t> process_start_time(pid_t pid);
// True when pid is alive (not a zombie) and still the process that started at start_time.
bool process_is(pid_t pid, uint64_t start_time);

// Every process in the pid namespace of pid (when it has one of its own), pid included.
std::vector<pid_t> pid_namespace_members(pid_t pid);

// Every process in the user namespace of pid (when it is not ours), pid included.
std::vector<pid_t> user_namespace_members(pid_t pid);
// pid and every process descended from it (children, their children, ...).
std::vector<pid_t> process_tree(pid_t pid);

// A pidfd for pid, checked to still be the process started at start_time; empty if gone.
UniqueFd open_pidfd(pid_t pid, uint64_t start_time);
void pidfd_signal(int pidfd, int sig);
// Waits until the process behind pidfd exits; false on timeout.
bool pidfd_wait_exit(int pidfd, int timeout_ms);

}  // namespace box

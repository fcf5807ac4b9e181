// The container process, as init and exec both prepare it: terminal, environment,
// executable lookup, identity and privileges, and finally execve.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"

namespace box {

// A pty from the container's devpts becomes the controlling terminal and stdio;
// the master is sent over the console socket (SCM_RIGHTS), as runc does. `relayed`: box itself
// receives the master and relays it to its stdio (the foreground terminal, tty_relay.hpp).
void setup_terminal(const Process& p, int console_socket, bool relayed);

// process.env plus HOME from the container's /etc/passwd when the config has none.
std::vector<std::string> process_environment(const Process& p);

// Finds the executable as runc does (Go's exec.LookPath: a file with an execute bit), with the
// container's PATH, inside the current root; errors in runc's words.
std::string find_executable(const std::string& name, const std::vector<std::string>& env);

// Receives the seccomp notify listener right after the filter is loaded, and must hand it to
// box (which sends it to linux.seccomp.listenerPath); the fd is closed when it returns.
using SeccompListenerFn = std::function<void(int listener)>;

// Seccomp (when no_new_privs is off, or when the filter has SCMP_ACT_NOTIFY rules: its
// listener must reach box while box still listens), bounding set, user, capability sets,
// no_new_privs.
void drop_privileges(const Process& p, const std::optional<Json>& seccomp, bool setgroups_allowed,
                     const SeccompListenerFn& on_listener);

// Seccomp as late as possible when no_new_privs is on (unless drop_privileges loaded it), then
// execve. Never returns.
[[noreturn]] void exec_process(const Process& p, const std::string& exe, const std::vector<std::string>& env,
                               const std::optional<Json>& seccomp);

// Clears O_CLOEXEC on fds 3 .. 3+count-1 so --preserve-fds reaches the process.
void preserve_fds(unsigned count);

}  // namespace box

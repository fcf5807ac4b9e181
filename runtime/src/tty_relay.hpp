// The foreground terminal: `run` and `exec -t` without --console-socket keep the master of
// the container's pty themselves and relay it to their own stdio, as runc does.
#pragma once
#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <optional>

#include "config.hpp"
#include "fd.hpp"
#include "signals.hpp"

namespace box {

// The size of the caller's terminal (the first of stdin, stdout, stderr that is one), if any.
std::optional<ConsoleSize> host_terminal_size();

// The pty master that setup_terminal sent over the internal socket (SCM_RIGHTS).
UniqueFd receive_terminal(int sock);

// Copies stdin to the master and the master to stdout until reap() reports an exit status, then
// drains the output and returns that status. The signals in `signals` (which the caller has
// blocked) go to `target`, except SIGWINCH, which resizes the pty to the caller's terminal, and
// SIGCHLD. While it runs the caller's terminal is in raw mode, when stdin is one.
int relay_terminal(UniqueFd master, const sigset_t& signals, pid_t target, const ReapFn& reap);

}  // namespace box

// Signal names as `kill` accepts them: "KILL", "SIGKILL", "sigkill", "9", "RTMIN+3".
#pragma once
#include <signal.h>

#include <functional>
#include <optional>
#include <string>

namespace box {

// Throws Error("unknown signal \"X\"") when the name or number is not a signal.
int parse_signal(const std::string& text);
std::string signal_name(int sig);

// The signals the foreground `run` and `exec` pass on to the process instead of acting on them.
sigset_t forwarded_signals();

// Returns the process's exit status once it has exited, nullopt while it runs; called on SIGCHLD.
using ReapFn = std::function<std::optional<int>()>;

// Waits for the signals in `signals` (blocked by the caller, SIGCHLD among them) and sends them
// on to `target` until reap() reports an exit status, which it returns.
int forward_signals_until_exit(const sigset_t& signals, pid_t target, const ReapFn& reap);

}  // namespace box

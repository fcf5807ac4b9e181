// Signal names as `kill` accepts them: "KILL", "SIGKILL", "sigkill", "9", "RTMIN+3".
#pragma once
#include <string>

namespace box {

// Throws Error("unknown signal \"X\"") when the name or number is not a signal.
int parse_signal(const std::string& text);
std::string signal_name(int sig);

}  // namespace box

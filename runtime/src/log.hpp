// Runtime log: errors and warnings to stderr, and to --log FILE as text or JSON lines
// (engines such as conmon read the JSON lines and show "msg" to their user).
#pragma once
#include <string>

namespace box::log {

enum class Format { Text, Json };

void configure(const std::string& path, Format format, bool debug);
bool debug_enabled();

void debug(const std::string& msg);
void info(const std::string& msg);
void warn(const std::string& msg);
// The one error line a failing command prints.
void error(const std::string& msg);

}  // namespace box::log

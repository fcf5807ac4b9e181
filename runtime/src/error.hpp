// Errors carry a message meant for the user: what went wrong, naming the field, file or id.
#pragma once
#include <stdexcept>
#include <string>

namespace box {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A usage error (unknown flag, missing argument): exit status 2 like runc's CLI.
class UsageError : public Error {
public:
    using Error::Error;
};

// Throws Error("<what>: <strerror(errno)>") with errno captured at the call.
[[noreturn]] void throw_errno(const std::string& what);
[[noreturn]] void throw_errno(const std::string& what, int err);

std::string quote(const std::string& s);

}  // namespace box

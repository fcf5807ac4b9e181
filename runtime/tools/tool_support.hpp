// What the test helpers in tools/ (box-recvtty, box-seccomp-agent) share: their error types,
// a monotonic clock, number options, and a unix socket that a caller may connect to as soon as
// its path exists. Receiving fds is src/unix_socket.hpp's, as in box itself.
#pragma once
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fd.hpp"

namespace box::tools {

// Any error: the tool exits 1.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A bad command line: the tool prints its usage and exits 2.
struct Usage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail_errno(const std::string& what) { throw Failure(what + ": " + std::strerror(errno)); }

inline long now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

// The value v of option flag as a number of at least min; a Usage error otherwise.
inline long number_option(const std::string& flag, const std::string& v, long min) {
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || n < min)
        throw Usage(flag + ": not a number >= " + std::to_string(min) + ": " + v);
    return n;
}

// A listening unix stream socket at path (O_CLOEXEC). It binds and listens under a temporary
// name and then renames it into place: once path exists, connecting to it succeeds.
inline UniqueFd listen_on(const std::string& path, int backlog) {
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) fail_errno("socket");
    std::string tmp = path + ".tmp" + std::to_string(::getpid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (tmp.size() >= sizeof addr.sun_path)
        throw Failure("socket path too long (" + std::to_string(path.size()) + " bytes): " + path);
    std::memcpy(addr.sun_path, tmp.c_str(), tmp.size() + 1);
    ::unlink(tmp.c_str());
    if (::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) fail_errno("bind " + tmp);
    if (::listen(sock.get(), backlog) < 0) {
        ::unlink(tmp.c_str());
        fail_errno("listen " + tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        ::unlink(tmp.c_str());
        fail_errno("rename " + tmp + " to " + path);
    }
    return sock;
}

}  // namespace box::tools

// Unix sockets: connecting to one by path, and passing fds over them (SCM_RIGHTS).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "fd.hpp"

namespace box {

// A stream socket (O_CLOEXEC) connected to path. Errors start with what; a failed connect
// is "WHAT: strerror".
UniqueFd connect_unix_socket(const std::string& path, const std::string& what);

// Sends all len bytes of data; fd (when >= 0) goes with the first of them, the caller still
// owns it. MSG_NOSIGNAL: a peer that is gone gives EPIPE ("WHAT: Broken pipe"), not SIGPIPE.
void send_with_fd(int sock, const void* data, size_t len, int fd, const std::string& what);

// One recvmsg of at most len bytes; returns how many came (0: end of file). The fds that come
// with them are appended to fds (O_CLOEXEC); more than a handful at once is an Error (those
// that did come are closed).
size_t receive_with_fds(int sock, void* data, size_t len, std::vector<UniqueFd>& fds, const std::string& what);

}  // namespace box

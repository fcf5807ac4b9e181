#include "unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"

namespace box {
namespace {

// Room for this many fds in one recvmsg: box passes one at a time.
constexpr size_t kMaxFdsAtOnce = 4;

}  // namespace

UniqueFd connect_unix_socket(const std::string& path, const std::string& what) {
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno(what + ": creating a socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw Error(what + ": socket path too long");
    std::memcpy(addr.sun_path, path.data(), path.size());
    while (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        if (errno != EINTR) throw_errno(what);
    return sock;
}

void send_with_fd(int sock, const void* data, size_t len, int fd, const std::string& what) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    const char* next = static_cast<const char*>(data);
    while (len > 0) {
        iovec iov{const_cast<char*>(next), len};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (fd >= 0) {
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            cmsghdr* c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno(what);
        }
        fd = -1;  // it went with the first bytes
        next += n;
        len -= static_cast<size_t>(n);
    }
}

size_t receive_with_fds(int sock, void* data, size_t len, std::vector<UniqueFd>& fds, const std::string& what) {
    alignas(cmsghdr) char control[CMSG_SPACE(kMaxFdsAtOnce * sizeof(int))];
    iovec iov{data, len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno(what);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int received;
            std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            fds.emplace_back(received);
        }
    }
    if (msg.msg_flags & MSG_CTRUNC) throw Error(what + ": too many file descriptors at once");
    return static_cast<size_t>(n);
}

}  // namespace box

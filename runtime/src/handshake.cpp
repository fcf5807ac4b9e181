#include "handshake.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "error.hpp"

namespace box {
namespace {

// Sends data; the first sendmsg carries pass_fd (when >= 0) as SCM_RIGHTS.
void write_all(int fd, const uint8_t* data, size_t len, int pass_fd) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    while (len > 0) {
        iovec iov{const_cast<uint8_t*>(data), len};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (pass_fd >= 0) {
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            cmsghdr* c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        // MSG_NOSIGNAL: an init that died must give EPIPE (and its error message), not SIGPIPE.
        ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("handshake write");
        }
        pass_fd = -1;  // sent with the first bytes
        data += n;
        len -= static_cast<size_t>(n);
    }
}

// Returns bytes read before EOF (== len unless EOF came first). Fds that come along are
// appended to fds.
size_t read_full(int fd, uint8_t* data, size_t len, std::vector<UniqueFd>& fds) {
    size_t got = 0;
    while (got < len) {
        alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
        iovec iov{data + got, len - got};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("handshake read");
        }
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int received;
                std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                fds.emplace_back(received);
            }
        }
        if (msg.msg_flags & MSG_CTRUNC) throw Error("handshake: too many file descriptors with a frame");
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    return got;
}

}  // namespace

void send_message(int fd, const Message& msg, int pass_fd) {
    uint32_t body = static_cast<uint32_t>(msg.payload.size() + 1);
    if (msg.payload.size() + 1 > kMaxFrameBody)
        throw Error("handshake: message of " + std::to_string(body) + " bytes is too large");
    std::string frame(5 + msg.payload.size(), '\0');
    for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((body >> (8 * i)) & 0xff);
    frame[4] = static_cast<char>(msg.type);
    frame.replace(5, msg.payload.size(), msg.payload);
    write_all(fd, reinterpret_cast<const uint8_t*>(frame.data()), frame.size(), pass_fd);
}

std::optional<Message> recv_message(int fd, UniqueFd* passed) {
    std::vector<UniqueFd> fds;
    uint8_t header[4];
    size_t got = read_full(fd, header, 4, fds);
    if (got == 0 && fds.empty()) return std::nullopt;
    if (got < 4) throw Error("handshake: truncated frame header");
    uint32_t body = header[0] | (header[1] << 8) | (header[2] << 16) | (uint32_t{header[3]} << 24);
    if (body == 0) throw Error("handshake: empty frame");
    if (body > kMaxFrameBody) throw Error("handshake: frame of " + std::to_string(body) + " bytes exceeds the limit");
    std::string buf(body, '\0');
    if (read_full(fd, reinterpret_cast<uint8_t*>(buf.data()), body, fds) < body)
        throw Error("handshake: truncated frame");
    if (!fds.empty()) {
        if (!passed) throw Error("handshake: unexpected file descriptor with a frame");
        if (fds.size() > 1) throw Error("handshake: more than one file descriptor with a frame");
        *passed = std::move(fds[0]);
    }
    return Message{static_cast<MsgType>(buf[0]), buf.substr(1)};
}

}  // namespace box

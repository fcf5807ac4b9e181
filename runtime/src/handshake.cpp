#include "handshake.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "error.hpp"

namespace box {
namespace {

void write_all(int fd, const uint8_t* data, size_t len) {
    while (len > 0) {
        // MSG_NOSIGNAL: an init that died must give EPIPE (and its error message), not SIGPIPE.
        ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("handshake write");
        }
        data += n;
        len -= static_cast<size_t>(n);
    }
}

// Returns bytes read before EOF (== len unless EOF came first).
size_t read_full(int fd, uint8_t* data, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = ::read(fd, data + got, len - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("handshake read");
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    return got;
}

}  // namespace

void send_message(int fd, const Message& msg) {
    uint32_t body = static_cast<uint32_t>(msg.payload.size() + 1);
    if (msg.payload.size() + 1 > kMaxFrameBody)
        throw Error("handshake: message of " + std::to_string(body) + " bytes is too large");
    std::string frame(5 + msg.payload.size(), '\0');
    for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((body >> (8 * i)) & 0xff);
    frame[4] = static_cast<char>(msg.type);
    frame.replace(5, msg.payload.size(), msg.payload);
    write_all(fd, reinterpret_cast<const uint8_t*>(frame.data()), frame.size());
}

std::optional<Message> recv_message(int fd) {
    uint8_t header[4];
    size_t got = read_full(fd, header, 4);
    if (got == 0) return std::nullopt;
    if (got < 4) throw Error("handshake: truncated frame header");
    uint32_t body = header[0] | (header[1] << 8) | (header[2] << 16) | (uint32_t{header[3]} << 24);
    if (body == 0) throw Error("handshake: empty frame");
    if (body > kMaxFrameBody) throw Error("handshake: frame of " + std::to_string(body) + " bytes exceeds the limit");
    std::string buf(body, '\0');
    if (read_full(fd, reinterpret_cast<uint8_t*>(buf.data()), body) < body) throw Error("handshake: truncated frame");
    return Message{static_cast<MsgType>(buf[0]), buf.substr(1)};
}

}  // namespace box

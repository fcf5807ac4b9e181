#include "handshake.hpp"

#include <vector>

#include "error.hpp"
#include "unix_socket.hpp"

namespace box {
namespace {

// Returns bytes read before EOF (== len unless EOF came first). Fds that come along are
// appended to fds.
size_t read_full(int fd, uint8_t* data, size_t len, std::vector<UniqueFd>& fds) {
    size_t got = 0;
    while (got < len) {
        size_t n = receive_with_fds(fd, data + got, len - got, fds, "handshake read");
        if (n == 0) break;
        got += n;
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
    // An init that died must give EPIPE (and its error message), not SIGPIPE: send_with_fd
    // sends with MSG_NOSIGNAL.
    send_with_fd(fd, frame.data(), frame.size(), pass_fd, "handshake write");
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

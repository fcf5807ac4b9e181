// The framed protocol between `box create` and the container's init over a socketpair.
// Frame: 4-byte little-endian body length, then the body: 1 type byte and the payload.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "fd.hpp"

namespace box {

enum class MsgType : uint8_t {
    Go = 1,         // parent -> init: id maps written, cgroup joined; carry on
    Ready = 2,      // init -> parent: set up, waiting for start
    Error = 3,      // init -> parent: payload is the error message
    Ack = 4,        // parent -> init: state recorded, init may wait for start
    HookPoint = 5,  // init -> parent: payload names a hook stage to run now
    // init or exec -> parent: the seccomp notify listener comes with the frame (SCM_RIGHTS);
    // the sender waits for Go, sent once the listener has reached linux.seccomp.listenerPath.
    SeccompListener = 6,
    // init -> parent: its mount namespace exists, its "/" comes with the frame; parent -> init:
    // one frame per bind source (bind_sources.hpp), payload the mounts index, the fd with it.
    BindSource = 7,
};

struct Message {
    MsgType type;
    std::string payload;
    bool operator==(const Message&) const = default;
};

constexpr uint32_t kMaxFrameBody = 64 * 1024;

// With pass_fd >= 0 that fd travels with the frame (SCM_RIGHTS); the caller still owns it.
void send_message(int fd, const Message& msg, int pass_fd = -1);
// nullopt on EOF at a frame boundary; throws Error on a truncated, empty or oversized frame.
// An fd that came with the frame is stored in *passed (O_CLOEXEC). Without passed, or with
// more than one fd, the frame is refused (and the fds closed).
std::optional<Message> recv_message(int fd, UniqueFd* passed = nullptr);

}  // namespace box

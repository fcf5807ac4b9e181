#include "bind_sources.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "error.hpp"
#include "handshake.hpp"
#include "mounts.hpp"

namespace box {
namespace {

Error source_error(size_t index, const std::string& why) {
    return Error("config.json: mounts[" + std::to_string(index) + "].source: " + why);
}

}  // namespace

bool bind_sources_opened_by_caller(const Spec& spec) {
    if (!spec.linux.find_namespace("user") || !spec.linux.find_namespace("mount")) return false;
    for (const auto& m : spec.mounts)
        if (is_bind_mount(m)) return true;
    return false;
}

std::string bind_source_path(const Mount& m, size_t index, const std::string& bundle) {
    if (m.source.empty()) throw source_error(index, "a bind mount needs a source");
    return m.source[0] == '/' ? m.source : bundle + "/" + m.source;
}

std::vector<std::pair<size_t, UniqueFd>> open_bind_sources(int init_root, const Spec& spec, const std::string& bundle) {
    std::vector<std::pair<size_t, UniqueFd>> out;
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
        if (!is_bind_mount(spec.mounts[i])) continue;
        std::string source = bind_source_path(spec.mounts[i], i, bundle);
        // In init's root, "/" and ".." are the host's: an absolute symlink in the source
        // resolves as on the host, and what it finds is a mount of init's namespace.
        open_how how{};
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT;
        UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, init_root, source.c_str(), &how, sizeof how)));
        if (!fd && errno == ENOENT) throw source_error(i, quote(source) + " does not exist");
        if (!fd) throw_errno("config.json: mounts[" + std::to_string(i) + "].source: opening " + quote(source));
        out.emplace_back(i, std::move(fd));
    }
    return out;
}

std::vector<UniqueFd> request_bind_sources(int sock, const Spec& spec) {
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("opening the root of the container's mount namespace");
    send_message(sock, {MsgType::BindSource, ""}, root.get());
    std::vector<UniqueFd> sources(spec.mounts.size());
    for (const auto& m : spec.mounts) {
        if (!is_bind_mount(m)) continue;
        UniqueFd fd;
        auto msg = recv_message(sock, &fd);
        if (!msg) throw Error("box create went away while sending the bind mount sources");
        size_t index = msg->type == MsgType::BindSource && fd ? std::stoul(msg->payload) : spec.mounts.size();
        if (index >= sources.size() || sources[index]) throw Error("unexpected message instead of a bind source");
        sources[index] = std::move(fd);
    }
    return sources;
}

}  // namespace box

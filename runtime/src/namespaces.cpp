#include "namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "error.hpp"
#include "fd.hpp"

namespace box {

int new_namespace_flags(const Linux& linux) {
    int flags = 0;
    for (const auto& ns : linux.namespaces)
        if (ns.path.empty()) flags |= namespace_clone_flag(ns.type);
    return flags;
}

void join_namespace(const Namespace& ns) {
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("joining " + ns.type + " namespace " + quote(ns.path));
    if (::setns(fd.get(), namespace_clone_flag(ns.type)) < 0)
        throw_errno("joining " + ns.type + " namespace " + quote(ns.path));
}

void check_namespace_paths(const Linux& linux) {
    for (const auto& ns : linux.namespaces) {
        if (ns.path.empty()) continue;
        UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("linux.namespaces: " + ns.type + " namespace path " + quote(ns.path));
        int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
        if (type < 0) throw Error("linux.namespaces: " + quote(ns.path) + " is not a namespace file");
        if (type != namespace_clone_flag(ns.type))
            throw Error("linux.namespaces: " + quote(ns.path) + " is not a " + ns.type + " namespace");
    }
}

}  // namespace box

#include <sys/wait.h>

#include <cerrno>
#include <string>
#include <vector>

#include "files.hpp"

namespace box {
namespace {

std::string map_lines(const std::vector<IdMapping>& maps) {
    std::string out;
    for (const auto& m : maps)
        out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
    return out;
}

void check_overlaps(const std::vector<IdMapping>& maps, const char* field) {
    for (size_t i = 0; i < maps.size(); ++i)
        for (size_t j = i + 1; j < maps.size(); ++j) {
            const auto &a = maps[i], &b = maps[j];
            auto overlap = [](uint64_t s1, uint64_t n1, uint64_t s2, uint64_t n2) {
                return s1 < s2 + n2 && s2 < s1 + n1;
            };
            if (overlap(a.container_id, a.size, b.container_id, b.size) ||
                overlap(a.host_id, a.size, b.host_id, b.size))
                throw Error(std::string("linux.") + field + ": ranges " + std::to_string(i) + " and " +
                            std::to_string(j) + " overlap");
        }
}

void run_helper(const char* tool, pid_t pid, const std::vector<IdMapping>& maps) {
    std::vector<std::string> args = {tool, std::to_string(pid)};
    for (const auto& m : maps) {
        args.push_back(std::to_string(m.container_id));
        args.push_back(std::to_string(m.host_id));
        args.push_back(std::to_string(m.size));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t child = ::fork();
    if (child < 0) throw_errno(std::string("running ") + tool);
    if (child == 0) {
        ::execvp(tool, argv.data());
        _exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw Error(std::string(tool) +
                    " is needed for these id mappings but was not found (install the uidmap package)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(std::string(tool) + " refused the mapping " + quote(map_lines(maps)) +
                    "; check the ranges for this user in /etc/sub" + (tool[3] == 'u' ? "uid" : "gid"));
}

}  // namespace

bool write_id_mappings(pid_t pid, const Linux& linux) {
    check_overlaps(linux.uid_mappings, "uidMappings");
    check_overlaps(linux.gid_mappings, "gidMappings");
    std::string proc = "/proc/" + std::to_string(pid);
    bool root = ::geteuid() == 0;
    auto own_single = [](const std::vector<IdMapping>& maps, uint32_t id) {
        return maps.size() == 1 && maps[0].host_id == id && maps[0].size == 1;
    };
    bool setgroups_allowed = true;
    if (!linux.uid_mappings.empty()) {
        if (root || own_single(linux.uid_mappings, ::geteuid()))
            write_file(proc + "/uid_map", map_lines(linux.uid_mappings));
        else
            run_helper("newuidmap", pid, linux.uid_mappings);
    }
    if (!linux.gid_mappings.empty()) {
        if (root) {
            write_file(proc + "/gid_map", map_lines(linux.gid_mappings));
        } else if (own_single(linux.gid_mappings, ::getegid())) {
            // An unprivileged process may only map its own gid after giving up setgroups.
            write_file(proc + "/setgroups", "deny");
            write_file(proc + "/gid_map", map_lines(linux.gid_mappings));
            setgroups_allowed = false;
        } else {
            run_helper("newgidmap", pid, linux.gid_mappings);
        }
    }
    return setgroups_allowed;
}

}  // namespace box

#include "namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include <sstream>

#include "error.hpp"
#include "fd.hpp"
#include "files.hpp"

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

bool is_containers_own(const Namespace* ns) {
    if (ns == nullptr) return false;
    if (ns->path.empty()) return true;
    struct stat joined {
    }, own{};
    std::string self = std::string("/proc/self/ns/") + namespace_proc_name(ns->type);
    if (::stat(ns->path.c_str(), &joined) < 0 || ::stat(self.c_str(), &own) < 0) return false;
    return joined.st_dev != own.st_dev || joined.st_ino != own.st_ino;
}

bool in_user_namespace() {
    static const bool inside = [] {
        std::string map;
        if (!try_read_file("/proc/self/uid_map", map)) return false;
        std::istringstream in(map);
        unsigned long inner = 0, outer = 0, count = 0;
        in >> inner >> outer >> count;
        return !(inner == 0 && outer == 0 && count == 4294967295UL);
    }();
    return inside;
}

bool setgroups_denied() {
    std::string v;
    return try_read_file("/proc/self/setgroups", v) && v.rfind("deny", 0) == 0;
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
#include <cstring>
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

// "0 1001 1, 1 200000 65536": the ranges as they read in a message.
std::string describe_ranges(const std::vector<IdMapping>& maps) {
    std::string out;
    for (const auto& m : maps) {
        if (!out.empty()) out += ", ";
        out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size);
    }
    return out;
}

void check_overlaps(const std::vector<IdMapping>& maps, const char* field) {
    for (size_t i = 0; i < maps.size(); ++i)
        for (size_t j = i + 1; j < maps.size(); ++j) {
            const auto &a = maps[i], &b = maps[j];
            auto overlap = [](uint64_t s1, uint64_t n1, uint64_t s2, uint64_t n2) {
                return s1 < s2 + n2 && s2 < s1 + n1;
            };
            const char* which = overlap(a.container_id, a.size, b.container_id, b.size) ? "container"
                                : overlap(a.host_id, a.size, b.host_id, b.size)         ? "host"
                                                                                        : nullptr;
            if (which)
                throw Error(std::string("config.json: linux.") + field + ": ranges " + std::to_string(i) + " (" +
                            describe_ranges({a}) + ") and " + std::to_string(j) + " (" + describe_ranges({b}) +
                            ") overlap in their " + which + " ids");
        }
}

// Writes PID's uid_map or gid_map directly (root, or one's own single id).
void write_map(pid_t pid, const char* file, const char* field, const std::vector<IdMapping>& maps) {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    std::string text = map_lines(maps);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    // The kernel takes the whole map in one write, or none of it.
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw Error(std::string("linux.") + field + ": the kernel refused the mapping " + quote(describe_ranges(maps)) +
                    " in " + path + ": " + std::strerror(errno));
}

// Runs newuidmap/newgidmap for PID. Their complaint ("uid range [0-65536) ->
// [300000-365536) not allowed") becomes part of box's one-line error instead of
// a second line on stderr.
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
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno(std::string("running ") + tool);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    pid_t child = ::fork();
    if (child < 0) throw_errno(std::string("running ") + tool);
    if (child == 0) {
        ::dup2(write_end.get(), STDERR_FILENO);
        ::execvp(tool, argv.data());
        _exit(127);
    }
    write_end.reset();
    std::string said;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(read_end.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (said.size() < 4096) said.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw Error(std::string(tool) +
                    " is needed for these id mappings but was not found (install the uidmap package)");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
        for (auto& c : said)
            if (c == '\n') c = ';';
        const char* field = tool[3] == 'u' ? "uidMappings" : "gidMappings";
        throw Error(std::string("linux.") + field + ": " + tool + " refused the mapping " +
                    quote(describe_ranges(maps)) + (said.empty() ? "" : " (" + said + ")") +
                    "; check the ranges for this user in /etc/sub" + (tool[3] == 'u' ? "uid" : "gid"));
    }
}

}  // namespace

void validate_id_mappings(const Linux& linux) {
    check_overlaps(linux.uid_mappings, "uidMappings");
    check_overlaps(linux.gid_mappings, "gidMappings");
}

bool write_id_mappings(pid_t pid, const Linux& linux) {
    validate_id_mappings(linux);
    std::string proc = "/proc/" + std::to_string(pid);
    bool root = ::geteuid() == 0;
    auto own_single = [](const std::vector<IdMapping>& maps, uint32_t id) {
        return maps.size() == 1 && maps[0].host_id == id && maps[0].size == 1;
    };
    bool setgroups_allowed = true;
    if (!linux.uid_mappings.empty()) {
        if (root || own_single(linux.uid_mappings, ::geteuid()))
            write_map(pid, "uid_map", "uidMappings", linux.uid_mappings);
        else
            run_helper("newuidmap", pid, linux.uid_mappings);
    }
    if (!linux.gid_mappings.empty()) {
        if (root) {
            write_map(pid, "gid_map", "gidMappings", linux.gid_mappings);
        } else if (own_single(linux.gid_mappings, ::getegid())) {
            // An unprivileged process may only map its own gid after giving up setgroups.
            write_file(proc + "/setgroups", "deny");
            write_map(pid, "gid_map", "gidMappings", linux.gid_mappings);
            setgroups_allowed = false;
        } else {
            run_helper("newgidmap", pid, linux.gid_mappings);
        }
    }
    return setgroups_allowed;
}

}  // namespace box

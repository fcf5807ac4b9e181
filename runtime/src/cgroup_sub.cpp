#include "cgroup_sub.hpp"

#include <sys/stat.h>

#include <map>
#include <sstream>

#include "cgroups.hpp"
#include "error.hpp"

namespace box {
namespace {

// "sub/dir" from "/sub//dir/": relative to the container's cgroup; ".." is refused.
std::string clean_sub_path(const std::string& arg, const std::string& path) {
    std::string out, part;
    std::istringstream parts(path);
    while (std::getline(parts, part, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") throw Error("--cgroup " + quote(arg) + ": " + path + " is not a sub cgroup path");
        out += (out.empty() ? "" : "/") + part;
    }
    return out;
}

// controller ("" for every hierarchy) -> sub path, with runc 1.1's rules.
std::map<std::string, std::string> parse_args(const std::vector<std::string>& args) {
    std::map<std::string, std::string> subs;
    for (const auto& arg : args) {
        auto colon = arg.find(':');
        if (colon == std::string::npos) {
            if (args.size() != 1) throw Error("invalid --cgroup argument: " + arg + " (missing <controller>: prefix)");
            subs[""] = clean_sub_path(arg, arg);
            continue;
        }
        std::string controllers = arg.substr(0, colon), path = arg.substr(colon + 1);
        if (path.find(':') != std::string::npos) throw Error("invalid --cgroup argument: " + arg);
        std::istringstream names(controllers);
        std::string name;
        while (std::getline(names, name, ',')) {
            if (name.empty()) throw Error("invalid --cgroup argument: " + arg);
            if (!subs.emplace(name, clean_sub_path(arg, path)).second)
                throw Error("invalid --cgroup argument(s): controller " + name + " specified multiple times");
        }
    }
    return subs;
}

const Hierarchy* hierarchy_of(const std::string& dir, const std::vector<Hierarchy>& hierarchies) {
    for (const auto& h : hierarchies)
        if (dir.rfind(h.mountpoint + "/", 0) == 0) return &h;
    return nullptr;
}

}  // namespace

std::vector<std::string> sub_cgroup_dirs(const std::vector<std::string>& dirs, const std::vector<std::string>& args) {
    if (args.empty()) return dirs;
    if (dirs.empty()) throw Error("--cgroup: the container has no cgroup");
    auto subs = parse_args(args);
    auto hierarchies = cgroup_hierarchies();
    std::vector<std::string> out;
    size_t used = 0;
    for (const auto& dir : dirs) {
        const Hierarchy* h = hierarchy_of(dir, hierarchies);
        const std::string* sub = nullptr;
        // A v1 hierarchy by any of its controllers (cpu in "cpu,cpuacct"); the v2 one, on a
        // hybrid host too, only by a path without a controller.
        if (h && !h->v2)
            for (const auto& c : h->controllers)
                if (auto it = subs.find(c); it != subs.end() && !sub) {
                    sub = &it->second;
                    ++used;
                }
        if (!sub)
            if (auto it = subs.find(""); it != subs.end()) sub = &it->second;
        std::string target = sub && !sub->empty() ? dir + "/" + *sub : dir;
        struct stat st {};
        if (::stat(target.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
            throw Error("--cgroup: cgroup " + quote(target) + " does not exist");
        out.push_back(target);
    }
    size_t named = subs.size() - subs.count("");
    if (used < named) {
        for (const auto& [c, path] : subs) {
            if (c.empty()) continue;
            bool found = false;
            for (const auto& dir : dirs)
                if (const Hierarchy* h = hierarchy_of(dir, hierarchies); h && !h->v2)
                    for (const auto& hc : h->controllers) found = found || hc == c;
            if (!found) throw Error("--cgroup: the container has no cgroup of controller " + quote(c));
        }
    }
    return out;
}

}  // namespace box

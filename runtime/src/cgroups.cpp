#include "cgroups.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "cgroup_resources.hpp"
#include "device_filter.hpp"
#include "error.hpp"
#include "files.hpp"
#include "log.hpp"

namespace box {
namespace {

bool is_v2_dir(const std::string& dir) { return ::access((dir + "/cgroup.controllers").c_str(), F_OK) == 0; }

// Frozen by itself or by an ancestor: a process moved in would stop at once (and so would create).
bool frozen_dir(const std::string& dir) {
    std::string v;
    if (try_read_file(dir + "/freezer.state", v)) return v.rfind("THAWED", 0) != 0;
    return try_read_file(dir + "/cgroup.events", v) && v.find("frozen 1") != std::string::npos;
}

std::string hierarchy_of(const std::string& dir, const std::vector<Hierarchy>& hs, const Hierarchy** out) {
    for (const auto& h : hs)
        if (dir.rfind(h.mountpoint + "/", 0) == 0) {
            *out = &h;
            return dir.substr(h.mountpoint.size());
        }
    *out = nullptr;
    return {};
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// Our own cgroup in each hierarchy, from /proc/self/cgroup ("ID:controllers:/path").
std::string own_path(const Hierarchy& h) {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
        auto a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (h.v2 && ctrls.empty()) return path;
        if (!h.v2 && !ctrls.empty()) {
            std::stringstream ss(ctrls);
            std::string c;
            while (std::getline(ss, c, ','))
                if (has(h.controllers, c)) return path;
        }
    }
    return "/";
}

void write_cg(const std::string& dir, const std::string& file, const std::string& value) {
    write_file(dir + "/" + file, value);
}

// cpuset children start empty on v1; a process cannot join until cpus and mems are set.
void inherit_cpuset(const std::string& dir) {
    auto parent = dir.substr(0, dir.rfind('/'));
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
        std::string cur;
        if (!try_read_file(dir + "/" + f, cur) || cur.find_first_not_of(" \n") != std::string::npos) continue;
        std::string p;
        if (try_read_file(parent + "/" + f, p)) write_cg(dir, f, p);
    }
}

// v2: delegates the parent's controllers so that a child can use them (as runc does).
void enable_controllers(const std::string& dir) {
    std::string avail;
    if (!try_read_file(dir + "/cgroup.controllers", avail)) return;
    std::istringstream cs(avail);
    std::string c, enable;
    while (cs >> c) enable += (enable.empty() ? "+" : " +") + c;
    if (enable.empty()) return;
    try {
        write_cg(dir, "cgroup.subtree_control", enable);
    } catch (const Error&) {
    }
}

}  // namespace

void write_new_cgroup_resources(const std::string& dir, const Hierarchy& h, const Resources& resources) {
    write_resources(dir, h, cgroup_hierarchies(), resources);
    // The device program needs no controller: on a hybrid host it guards the
    // unified hierarchy too, so the v2 path is exercised here as well.
    if (h.v2 && !resources.devices.empty() && ::geteuid() == 0)
        attach_device_filter(dir, with_default_devices(resources.devices));
}

void join_cgroup_dir(const Hierarchy& h, const std::string& dir, pid_t pid, std::vector<std::string>& made) {
    std::string rel = dir.substr(h.mountpoint.size()), cur = h.mountpoint, part;
    std::stringstream ss(rel);
    while (std::getline(ss, part, '/')) {
        if (part.empty()) continue;
        if (h.v2) enable_controllers(cur);
        cur += "/" + part;
        if (::mkdir(cur.c_str(), 0755) == 0)
            made.push_back(cur);
        else if (errno != EEXIST)
            throw_errno("creating cgroup " + cur);
        if (has(h.controllers, "cpuset") && !h.v2) inherit_cpuset(cur);
    }
    write_cg(dir, "cgroup.procs", std::to_string(pid));
}

const char* cgroup_mode_name(CgroupMode m) {
    switch (m) {
        case CgroupMode::V1: return "v1";
        case CgroupMode::V2: return "v2";
        case CgroupMode::Hybrid: return "hybrid";
        case CgroupMode::None: return "none";
    }
    return "none";
}

CgroupMode detect_cgroup_mode() {
    struct statfs fs {};
    if (::statfs("/sys/fs/cgroup", &fs) < 0) return CgroupMode::None;
    if (fs.f_type == CGROUP2_SUPER_MAGIC) return CgroupMode::V2;
    if (fs.f_type != TMPFS_MAGIC) return CgroupMode::None;
    if (::statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return CgroupMode::Hybrid;
    return CgroupMode::V1;
}

std::vector<Hierarchy> cgroup_hierarchies() {
    static const std::vector<Hierarchy> cached = [] {
        std::vector<Hierarchy> out;
        std::ifstream in("/proc/self/mountinfo");
        std::string line;
        while (std::getline(in, line)) {
            // ... mountpoint ... - fstype source superoptions
            std::istringstream ss(line);
            std::string f[5];
            for (auto& x : f) ss >> x;
            std::string mountpoint = f[4];
            auto dash = line.find(" - ");
            if (dash == std::string::npos) continue;
            std::istringstream tail(line.substr(dash + 3));
            std::string fstype, source, opts;
            tail >> fstype >> source >> opts;
            if (mountpoint.rfind("/sys/fs/cgroup", 0) != 0) continue;
            Hierarchy h;
            h.mountpoint = mountpoint;
            if (fstype == "cgroup2") {
                h.v2 = true;
                std::string ctrls;
                if (try_read_file(mountpoint + "/cgroup.controllers", ctrls)) {
                    std::istringstream cs(ctrls);
                    std::string c;
                    while (cs >> c) h.controllers.push_back(c);
                }
            } else if (fstype == "cgroup") {
                std::istringstream os(opts);
                std::string o;
                while (std::getline(os, o, ','))
                    if (o != "rw" && o != "ro" && o.find("relatime") == std::string::npos &&
                        o.rfind("release_agent", 0) != 0 && o != "clone_children" && o != "xattr" && o != "nosuid" &&
                        o != "nodev" && o != "noexec")
                        h.controllers.push_back(o);
            } else {
                continue;
            }
            bool dup = false;
            for (const auto& e : out) dup = dup || e.mountpoint == h.mountpoint;
            if (!dup) out.push_back(h);
        }
        return out;
    }();
    return cached;
}

std::string ContainerCgroup::resolve_path(const std::string& cgroups_path, const std::string& id) {
    auto refused = [&](const std::string& why) {
        return Error("config.json: linux.cgroupsPath " + quote(cgroups_path) + ": " + why);
    };
    // The systemd form belongs to the systemd driver (cgroup_systemd.hpp).
    if (cgroups_path.find(':') != std::string::npos && cgroups_path[0] != '/') {
        if (::access("/run/systemd/system", F_OK) != 0)
            throw refused("the systemd form slice:prefix:name needs systemd, which is not running on this host");
        throw refused("the systemd form slice:prefix:name needs --systemd-cgroup");
    }
    std::string p = cgroups_path.empty() ? "/box/" + id : cgroups_path;
    // Reject escapes from the hierarchy before touching any file.
    std::stringstream ss(p);
    std::string part;
    while (std::getline(ss, part, '/'))
        if (part == ".." || part == ".") throw refused("must not contain \"..\" or \".\"");
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    // The root holds every process of the host: box would join it and could never remove it.
    if (p.find_first_not_of('/') == std::string::npos)
        throw refused("names the root of the cgroup hierarchy; give the container a cgroup of its own");
    return p;
}

CgroupPlacement ContainerCgroup::create(const std::string& path, const std::optional<Resources>& resources) {
    CgroupPlacement out;
    std::vector<std::string> made;  // every directory we made, to undo on failure
    if (resources) check_controllers(*resources, cgroup_hierarchies());
    try {
        for (const auto& h : cgroup_hierarchies()) {
            std::string rel = path[0] == '/' ? path : own_path(h) + "/" + path;
            std::string dir = h.mountpoint + rel;
            bool leaf_made = false;
            // Walk down from the mount point so that each level is prepared (cpuset, v2 controllers).
            // A level may vanish under us (a concurrent delete removes an empty /box): walk again.
            for (int attempt = 0;; ++attempt) {
                std::string cur = h.mountpoint;
                std::stringstream ss(rel);
                std::string part;
                bool vanished = false;
                while (std::getline(ss, part, '/')) {
                    if (part.empty()) continue;
                    if (h.v2) enable_controllers(cur);
                    cur += "/" + part;
                    leaf_made = ::mkdir(cur.c_str(), 0755) == 0;
                    if (leaf_made) {
                        made.push_back(cur);
                    } else if (errno == ENOENT && attempt < 5) {
                        vanished = true;
                        break;
                    } else if (errno != EEXIST) {
                        throw_errno("creating cgroup " + cur);
                    }
                    // Also when the level exists: a concurrent create may have made it and not yet
                    // filled it in, and an empty cpuset takes no process (so none is affected).
                    if (has(h.controllers, "cpuset") && !h.v2) inherit_cpuset(cur);
                }
                if (!vanished) break;
            }
            out.dirs.push_back(dir);
            if (leaf_made) out.created.push_back(dir);
            // Only the freezer (v1) and v2 hierarchies can freeze; the others have nothing to read.
            if ((h.v2 || has(h.controllers, "freezer")) && frozen_dir(dir))
                throw Error("linux.cgroupsPath: container's cgroup " + dir + " is frozen: thaw it first");
            if (!resources) continue;
            if (!leaf_made) {
                // Limits and device rules would bind every process already in there: limits are
                // an error, device rules are left out (the README says so; runc 1.1 applies both).
                if (has_limits(*resources))
                    throw Error("config.json: linux.cgroupsPath " + quote(path) + ": cgroup " + dir +
                                " already exists, and box writes linux.resources limits only to a cgroup it creates");
                continue;
            }
            write_new_cgroup_resources(dir, h, *resources);
        }
    } catch (...) {
        for (auto it = made.rbegin(); it != made.rend(); ++it) ::rmdir(it->c_str());
        throw;
    }
    // runc 1.1 goes on with a warning; the processes found there belong to someone else.
    if (size_t found = cgroup_pids(out.dirs).size())
        log::warn("container's cgroup is not empty: " + std::to_string(found) + " process(es) found");
    return out;
}

CgroupPlacement ContainerCgroup::plan(const std::string& path) {
    CgroupPlacement out;
    for (const auto& h : cgroup_hierarchies()) {
        std::string dir = h.mountpoint + (path[0] == '/' ? path : own_path(h) + "/" + path);
        out.dirs.push_back(dir);
        if (::access(dir.c_str(), F_OK) != 0) out.created.push_back(dir);
    }
    return out;
}

void ContainerCgroup::apply(const std::vector<std::string>& dirs, const Resources& resources) {
    auto hs = cgroup_hierarchies();
    check_controllers(resources, hs);
    // Every value is checked and every file found before the first write; a write the kernel
    // refuses puts back the ones already done.
    CgroupWrites writes;
    for (const auto& dir : dirs) {
        const Hierarchy* h = nullptr;
        hierarchy_of(dir, hs, &h);
        if (!h) continue;
        auto more = plan_resource_writes(dir, *h, hs, resources);
        writes.insert(writes.end(), more.begin(), more.end());
    }
    write_cgroup_files(writes, true);
}

std::vector<pid_t> cgroup_pids(const std::vector<std::string>& dirs) {
    std::vector<pid_t> out;
    for (const auto& dir : dirs) {
        std::string text;
        if (!try_read_file(dir + "/cgroup.procs", text)) continue;
        std::istringstream ss(text);
        pid_t p;
        while (ss >> p) out.push_back(p);
        return out;  // every hierarchy holds the same processes
    }
    return out;
}

bool cgroup_is_frozen(const std::vector<std::string>& dirs) {
    for (const auto& dir : dirs) {
        std::string v;
        if (try_read_file(dir + "/freezer.state", v)) return v.rfind("FROZEN", 0) == 0 || v.rfind("FREEZING", 0) == 0;
        if (try_read_file(dir + "/cgroup.freeze", v) && !v.empty() && v[0] == '1') return true;
    }
    return false;
}

namespace {

// Waits until the freezer reports the state; a following `state` must tell the truth.
// Generous: a task in uninterruptible sleep (I/O on a loaded host) holds the freeze back.
template <typename Done>
void wait_until(Done done, const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (auto pause = std::chrono::microseconds(100);; pause = std::min(pause * 2, std::chrono::microseconds(10000))) {
        if (done()) return;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(pause);
    }
    throw Error("timed out after 10 s waiting for " + what);
}

}  // namespace

void cgroup_set_frozen(const std::vector<std::string>& dirs, bool frozen) {
    // Every freezer the host has: the v1 freezer controller and cgroup v2's cgroup.freeze
    // (both, on a hybrid host, so each path is exercised).
    // On a hybrid host a v1-frozen task cannot enter the v2 freeze: freeze v2 first, thaw v1 first.
    std::vector<std::string> ordered = dirs;
    std::stable_sort(ordered.begin(), ordered.end(), [&](const std::string& a, const std::string& b) {
        bool av2 = is_v2_dir(a), bv2 = is_v2_dir(b);
        return frozen ? (av2 && !bv2) : (!av2 && bv2);
    });
    bool any = false;
    for (const auto& dir : ordered) {
        if (::access((dir + "/freezer.state").c_str(), F_OK) == 0) {
            any = true;
            const char* want = frozen ? "FROZEN" : "THAWED";
            write_cg(dir, "freezer.state", want);
            wait_until(
                [&] {
                    std::string v;
                    return try_read_file(dir + "/freezer.state", v) && v.rfind(want, 0) == 0;
                },
                std::string("the v1 freezer to reach ") + want + " in " + dir);
        } else if (::access((dir + "/cgroup.freeze").c_str(), F_OK) == 0) {
            any = true;
            write_cg(dir, "cgroup.freeze", frozen ? "1" : "0");
            wait_until(
                [&] {
                    std::string v;
                    return try_read_file(dir + "/cgroup.events", v) &&
                           v.find(frozen ? "frozen 1" : "frozen 0") != std::string::npos;
                },
                std::string("cgroup.freeze to ") + (frozen ? "freeze " : "thaw ") + dir);
        }
    }
    if (!any) throw Error("no freezer: neither the v1 freezer controller nor cgroup.freeze is available");
}

bool is_below_cgroup_root(const std::string& dir) {
    const Hierarchy* h = nullptr;
    auto hs = cgroup_hierarchies();
    std::string rel = hierarchy_of(dir, hs, &h);
    if (!h || rel.find_first_not_of('/') == std::string::npos) return false;
    std::stringstream ss(rel);
    std::string part;
    while (std::getline(ss, part, '/'))
        if (part == "." || part == "..") return false;
    return true;
}

namespace {

// dir and every cgroup below it, children before their parents.
void subtree_deepest_first(const std::string& dir, std::vector<std::string>& out) {
    if (DIR* d = ::opendir(dir.c_str())) {
        std::vector<std::string> children;
        while (dirent* e = ::readdir(d))
            if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                children.push_back(dir + "/" + e->d_name);
        ::closedir(d);
        for (const auto& c : children) subtree_deepest_first(c, out);
    }
    out.push_back(dir);
}

// Removes dir and the cgroups below it, killing what is inside; true when it is gone.
bool remove_cgroup_tree(const std::string& dir) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
        if (errno != EBUSY) {
            log::warn("removing cgroup " + dir + ": " + std::strerror(errno));
            return false;
        }
        // Processes are still inside (no pid namespace, or one not yet reaped), or the container
        // made cgroups of its own below this one (a nested runtime, systemd): kill, thaw, remove.
        std::vector<std::string> tree;
        subtree_deepest_first(dir, tree);
        for (const auto& d : tree) {
            for (pid_t p : cgroup_pids({d})) ::kill(p, SIGKILL);
            std::string v;
            if (try_read_file(d + "/freezer.state", v) && v.rfind("THAWED", 0) != 0) {
                try {
                    write_cg(d, "freezer.state", "THAWED");
                } catch (const Error&) {
                }
            }
            if (d != dir) ::rmdir(d.c_str());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    log::warn("removing cgroup " + dir + ": still busy");
    return false;
}

}  // namespace

std::vector<pid_t> cgroup_tree_pids(const std::vector<std::string>& dirs) {
    std::vector<pid_t> out;
    for (const auto& dir : dirs) {
        std::vector<std::string> tree;
        subtree_deepest_first(dir, tree);
        for (const auto& d : tree)
            for (pid_t p : cgroup_pids({d}))
                if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
    return out;
}

void cgroup_destroy(const std::vector<std::string>& created) {
    for (const auto& dir : created) {
        // A recorded directory is never a hierarchy's root, whatever the state file says.
        if (!is_below_cgroup_root(dir)) {
            log::warn("not removing " + dir + ": it is not a cgroup below a hierarchy's root");
            continue;
        }
        if (!remove_cgroup_tree(dir)) continue;
        // Remove the default parent (/box) when it has become empty.
        const Hierarchy* h = nullptr;
        auto hs = cgroup_hierarchies();
        std::string rel = hierarchy_of(dir, hs, &h);
        if (h && rel.rfind("/box/", 0) == 0 && rel.find('/', 5) == std::string::npos)
            ::rmdir((h->mountpoint + "/box").c_str());
    }
}

}  // namespace box

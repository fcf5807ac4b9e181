#include "cgroups.hpp"

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

#include "device_filter.hpp"
#include "error.hpp"
#include "files.hpp"
#include "log.hpp"

namespace box {
namespace {

bool is_v2_dir(const std::string& dir) { return ::access((dir + "/cgroup.controllers").c_str(), F_OK) == 0; }

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

std::string v1_device_rule(const DeviceRule& r) {
    auto num = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
    return std::string(1, r.type) + " " + num(r.major) + ":" + num(r.minor) + " " + r.access;
}

// runc's default allow-list, applied after the config's own rules.
std::vector<DeviceRule> default_device_rules() {
    return {
        {true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 8, "rwm"},
        {true, 'c', 1, 7, "rwm"}, {true, 'c', 5, 0, "rwm"},    {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 9, "rwm"},
        {true, 'c', 5, 1, "rwm"}, {true, 'c', 136, -1, "rwm"}, {true, 'c', 5, 2, "rwm"}, {true, 'c', 10, 200, "rwm"},
    };
}

std::vector<DeviceRule> with_default_devices(const std::vector<DeviceRule>& rules) {
    auto all = rules;
    auto defaults = default_device_rules();
    all.insert(all.end(), defaults.begin(), defaults.end());
    return all;
}

// cpu.shares (2..262144) to cpu.weight (1..10000), as runc and crun convert it.
uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    return 1 + ((shares - 2) * 9999) / 262142;
}

std::string dev(int64_t major, int64_t minor) { return std::to_string(major) + ":" + std::to_string(minor); }

// Writes the first of several candidate files that exists (blkio.weight or blkio.bfq.weight ...).
void write_first(const std::string& dir, std::initializer_list<const char*> files, const std::string& value,
                 const std::string& field) {
    for (const char* f : files)
        if (::access((dir + "/" + f).c_str(), F_OK) == 0) return write_cg(dir, f, value);
    throw Error("linux.resources." + field + ": not supported by this kernel (no " + *files.begin() + ")");
}

// v1 and v2 blkio/io weights differ in range: 10..1000 against 1..10000.
uint64_t blkio_weight_to_io(uint16_t w) { return 1 + (static_cast<uint64_t>(w) - 10) * 9999 / 990; }

bool wants_memory(const Resources& r) {
    return r.memory_limit || r.memory_reservation || r.memory_swap || r.memory_swappiness || r.disable_oom_killer;
}
bool wants_cpu(const Resources& r) {
    return r.cpu_shares || r.cpu_quota || r.cpu_period || r.cpu_rt_runtime || r.cpu_rt_period || r.cpu_idle;
}
bool wants_io(const Resources& r) {
    return r.blkio_weight || r.blkio_leaf_weight || !r.blkio_weight_devices.empty() || !r.throttle_read_bps.empty() ||
           !r.throttle_write_bps.empty() || !r.throttle_read_iops.empty() || !r.throttle_write_iops.empty();
}

void apply_v1(const std::string& dir, const Hierarchy& h, const Resources& r) {
    if (has(h.controllers, "devices") && !r.devices.empty()) {
        for (const auto& rule : with_default_devices(r.devices)) {
            if (rule.type == 'a' && !rule.allow) {
                write_cg(dir, "devices.deny", "a");
                continue;
            }
            write_cg(dir, rule.allow ? "devices.allow" : "devices.deny", v1_device_rule(rule));
        }
    }
    if (has(h.controllers, "memory")) {
        // memory.limit must stay <= memsw.limit at every step: raise memsw first, lower it last.
        auto limit = [&] { write_cg(dir, "memory.limit_in_bytes", std::to_string(*r.memory_limit)); };
        auto swap = [&] {
            write_first(dir, {"memory.memsw.limit_in_bytes"}, std::to_string(*r.memory_swap), "memory.swap");
        };
        if (r.memory_limit && r.memory_swap) {
            try {
                limit();
                swap();
            } catch (const Error&) {
                swap();
                limit();
            }
        } else if (r.memory_limit) {
            limit();
        } else if (r.memory_swap) {
            swap();
        }
        if (r.memory_reservation) write_cg(dir, "memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation));
        if (r.memory_swappiness) write_cg(dir, "memory.swappiness", std::to_string(*r.memory_swappiness));
        if (r.disable_oom_killer && *r.disable_oom_killer) write_cg(dir, "memory.oom_control", "1");
    }
    if (has(h.controllers, "cpu")) {
        if (r.cpu_shares) write_cg(dir, "cpu.shares", std::to_string(*r.cpu_shares));
        if (r.cpu_period) write_cg(dir, "cpu.cfs_period_us", std::to_string(*r.cpu_period));
        if (r.cpu_quota) write_cg(dir, "cpu.cfs_quota_us", std::to_string(*r.cpu_quota));
        if (r.cpu_rt_period)
            write_first(dir, {"cpu.rt_period_us"}, std::to_string(*r.cpu_rt_period), "cpu.realtimePeriod");
        if (r.cpu_rt_runtime)
            write_first(dir, {"cpu.rt_runtime_us"}, std::to_string(*r.cpu_rt_runtime), "cpu.realtimeRuntime");
        if (r.cpu_idle) write_first(dir, {"cpu.idle"}, std::to_string(*r.cpu_idle), "cpu.idle");
    }
    if (has(h.controllers, "cpuset")) {
        if (r.cpu_cpus) write_cg(dir, "cpuset.cpus", *r.cpu_cpus);
        if (r.cpu_mems) write_cg(dir, "cpuset.mems", *r.cpu_mems);
    }
    if (has(h.controllers, "pids") && r.pids_limit)
        write_cg(dir, "pids.max", *r.pids_limit < 0 ? "max" : std::to_string(*r.pids_limit));
    if (has(h.controllers, "blkio")) {
        if (r.blkio_weight)
            write_first(dir, {"blkio.weight", "blkio.bfq.weight"}, std::to_string(*r.blkio_weight), "blockIO.weight");
        if (r.blkio_leaf_weight)
            write_first(dir, {"blkio.leaf_weight"}, std::to_string(*r.blkio_leaf_weight), "blockIO.leafWeight");
        for (const auto& d : r.blkio_weight_devices) {
            if (d.weight)
                write_first(dir, {"blkio.weight_device", "blkio.bfq.weight_device"},
                            dev(d.major, d.minor) + " " + std::to_string(*d.weight), "blockIO.weightDevice");
            if (d.leaf_weight)
                write_first(dir, {"blkio.leaf_weight_device"},
                            dev(d.major, d.minor) + " " + std::to_string(*d.leaf_weight), "blockIO.weightDevice");
        }
        auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* file) {
            for (const auto& d : list) write_cg(dir, file, dev(d.major, d.minor) + " " + std::to_string(d.rate));
        };
        throttle(r.throttle_read_bps, "blkio.throttle.read_bps_device");
        throttle(r.throttle_write_bps, "blkio.throttle.write_bps_device");
        throttle(r.throttle_read_iops, "blkio.throttle.read_iops_device");
        throttle(r.throttle_write_iops, "blkio.throttle.write_iops_device");
    }
    if (has(h.controllers, "hugetlb"))
        for (const auto& l : r.hugepage_limits)
            write_first(dir, {("hugetlb." + l.page_size + ".limit_in_bytes").c_str()}, std::to_string(l.limit),
                        "hugepageLimits");
    if (has(h.controllers, "net_cls") && r.net_class_id)
        write_cg(dir, "net_cls.classid", std::to_string(*r.net_class_id));
    if (has(h.controllers, "net_prio"))
        for (const auto& [name, prio] : r.net_priorities)
            write_cg(dir, "net_prio.ifpriomap", name + " " + std::to_string(prio));
}

// On a hybrid host v1 keeps the controllers it has; v2 applies only the rest.
void apply_v2(const std::string& dir, const Hierarchy& h, const Resources& r,
              const std::vector<std::string>& v1_controllers) {
    auto mine = [&](const char* ctrl) { return has(h.controllers, ctrl) && !has(v1_controllers, ctrl); };
    auto lim = [](int64_t v) { return v < 0 ? std::string("max") : std::to_string(v); };
    if (mine("memory")) {
        if (r.memory_limit) write_cg(dir, "memory.max", lim(*r.memory_limit));
        if (r.memory_reservation) write_cg(dir, "memory.low", lim(*r.memory_reservation));
        if (r.memory_swap) {
            // v1 swap is memory+swap; v2 counts swap alone.
            int64_t swap = *r.memory_swap;
            if (swap > 0 && r.memory_limit && *r.memory_limit > 0) swap -= *r.memory_limit;
            write_first(dir, {"memory.swap.max"}, lim(swap), "memory.swap");
        }
        if (r.disable_oom_killer && *r.disable_oom_killer)
            throw Error("linux.resources.memory.disableOOMKiller: cgroup v2 has no way to disable the OOM killer");
    }
    if (mine("cpu")) {
        if (r.cpu_shares) write_cg(dir, "cpu.weight", std::to_string(shares_to_weight(*r.cpu_shares)));
        if (r.cpu_quota || r.cpu_period) {
            std::string quota = r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "max";
            write_cg(dir, "cpu.max", quota + " " + std::to_string(r.cpu_period.value_or(100000)));
        }
        if (r.cpu_idle) write_first(dir, {"cpu.idle"}, std::to_string(*r.cpu_idle), "cpu.idle");
        if (r.cpu_rt_runtime || r.cpu_rt_period)
            throw Error("linux.resources.cpu.realtimeRuntime: realtime scheduling limits need cgroup v1");
    }
    if (mine("cpuset")) {
        if (r.cpu_cpus) write_cg(dir, "cpuset.cpus", *r.cpu_cpus);
        if (r.cpu_mems) write_cg(dir, "cpuset.mems", *r.cpu_mems);
    }
    if (mine("pids") && r.pids_limit) write_cg(dir, "pids.max", lim(*r.pids_limit));
    if (mine("io")) {
        if (r.blkio_weight)
            write_first(dir, {"io.bfq.weight", "io.weight"}, std::to_string(blkio_weight_to_io(*r.blkio_weight)),
                        "blockIO.weight");
        for (const auto& d : r.blkio_weight_devices)
            if (d.weight)
                write_first(dir, {"io.bfq.weight", "io.weight"},
                            dev(d.major, d.minor) + " " + std::to_string(blkio_weight_to_io(*d.weight)),
                            "blockIO.weightDevice");
        auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* key) {
            for (const auto& d : list)
                write_cg(dir, "io.max", dev(d.major, d.minor) + " " + key + "=" + std::to_string(d.rate));
        };
        throttle(r.throttle_read_bps, "rbps");
        throttle(r.throttle_write_bps, "wbps");
        throttle(r.throttle_read_iops, "riops");
        throttle(r.throttle_write_iops, "wiops");
    }
    if (mine("hugetlb"))
        for (const auto& l : r.hugepage_limits)
            write_first(dir, {("hugetlb." + l.page_size + ".max").c_str()}, std::to_string(l.limit), "hugepageLimits");
    for (const auto& [k, v] : r.unified) {
        try {
            write_cg(dir, k, v);
        } catch (const Error& e) {
            throw Error("linux.resources.unified." + k + ": " + e.what());
        }
    }
}

std::vector<std::string> v1_controllers(const std::vector<Hierarchy>& hs) {
    std::vector<std::string> out;
    for (const auto& h : hs)
        if (!h.v2) out.insert(out.end(), h.controllers.begin(), h.controllers.end());
    return out;
}

// Every resource asked for needs a controller somewhere; say which one is missing.
void check_controllers(const Resources& r, const std::vector<Hierarchy>& hs) {
    auto available = [&](std::initializer_list<const char*> names) {
        for (const auto& h : hs)
            for (const char* n : names)
                if (has(h.controllers, n)) return true;
        return false;
    };
    auto need = [&](bool wanted, std::initializer_list<const char*> names, const char* field) {
        if (wanted && !available(names))
            throw Error(std::string("linux.resources.") + field + ": the " + *names.begin() +
                        " controller is not available on this host");
    };
    need(wants_memory(r), {"memory"}, "memory");
    need(wants_cpu(r), {"cpu"}, "cpu");
    need(r.cpu_cpus || r.cpu_mems, {"cpuset"}, "cpu.cpus");
    need(r.pids_limit.has_value(), {"pids"}, "pids");
    need(wants_io(r), {"blkio", "io"}, "blockIO");
    need(!r.hugepage_limits.empty(), {"hugetlb"}, "hugepageLimits");
    need(r.net_class_id.has_value(), {"net_cls"}, "network.classID");
    need(!r.net_priorities.empty(), {"net_prio"}, "network.priorities");
    if (!r.unified.empty() && detect_cgroup_mode() != CgroupMode::V2)
        throw Error(std::string("linux.resources.unified: needs a cgroup v2 host, and this one is ") +
                    cgroup_mode_name(detect_cgroup_mode()) + " (as runc, box writes unified keys only on pure v2)");
    if (r.memory_kernel || r.memory_kernel_tcp)
        log::warn("linux.resources.memory.kernel and kernelTCP are deprecated and ignored (as runc does)");
}

}  // namespace

bool has_limits(const Resources& r) {
    return wants_memory(r) || wants_cpu(r) || wants_io(r) || r.cpu_cpus || r.cpu_mems || r.pids_limit ||
           !r.hugepage_limits.empty() || r.net_class_id || !r.net_priorities.empty() || !r.unified.empty();
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

std::string ContainerCgroup::resolve_path(const std::string& cgroups_path, const std::string& id, bool systemd) {
    auto refused = [&](const std::string& why) {
        return Error("config.json: linux.cgroupsPath " + quote(cgroups_path) + ": " + why);
    };
    if (systemd || (cgroups_path.find(':') != std::string::npos && cgroups_path[0] != '/')) {
        if (::access("/run/systemd/system", F_OK) != 0)
            throw refused("the systemd form slice:prefix:name needs systemd, which is not running on this host");
        throw refused("the systemd cgroup driver is not supported yet");
    }
    std::string p = cgroups_path.empty() ? "/box/" + id : cgroups_path;
    // Reject escapes from the hierarchy before touching any file.
    std::stringstream ss(p);
    std::string part;
    while (std::getline(ss, part, '/'))
        if (part == ".." || part == ".") throw refused("must not contain \"..\" or \".\"");
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

std::vector<std::string> ContainerCgroup::create(const std::string& path, const std::optional<Resources>& resources) {
    std::vector<std::string> created;  // leaf directories
    std::vector<std::string> made;     // every directory we made, to undo on failure
    if (resources) check_controllers(*resources, cgroup_hierarchies());
    try {
        for (const auto& h : cgroup_hierarchies()) {
            std::string rel = path[0] == '/' ? path : own_path(h) + "/" + path;
            std::string dir = h.mountpoint + (rel == "/" ? "" : rel);
            // Walk down from the mount point so that each level is prepared (cpuset, v2 controllers).
            // A level may vanish under us (a concurrent delete removes an empty /box): walk again.
            for (int attempt = 0;; ++attempt) {
                std::string cur = h.mountpoint;
                std::stringstream ss(rel);
                std::string part;
                bool vanished = false;
                while (std::getline(ss, part, '/')) {
                    if (part.empty()) continue;
                    if (h.v2) {
                        // Delegate the parent's controllers so the child can use them.
                        std::string avail;
                        if (try_read_file(cur + "/cgroup.controllers", avail)) {
                            std::istringstream cs(avail);
                            std::string c, enable;
                            while (cs >> c) enable += (enable.empty() ? "+" : " +") + c;
                            if (!enable.empty()) {
                                try {
                                    write_cg(cur, "cgroup.subtree_control", enable);
                                } catch (const Error&) {
                                }
                            }
                        }
                    }
                    cur += "/" + part;
                    if (::mkdir(cur.c_str(), 0755) == 0) {
                        made.push_back(cur);
                    } else if (errno == ENOENT && attempt < 5) {
                        vanished = true;
                        break;
                    } else if (errno != EEXIST) {
                        throw_errno("creating cgroup " + cur);
                    }
                    // Also when the level exists: a concurrent create may have made it and not yet
                    // filled it in, and an empty cpuset takes no process.
                    if (has(h.controllers, "cpuset") && !h.v2) inherit_cpuset(cur);
                }
                if (!vanished) break;
            }
            created.push_back(dir);
            if (resources) {
                if (h.v2) {
                    apply_v2(dir, h, *resources, v1_controllers(cgroup_hierarchies()));
                    // The device program needs no controller: on a hybrid host it guards the
                    // unified hierarchy too, so the v2 path is exercised here as well.
                    if (!resources->devices.empty() && ::geteuid() == 0)
                        attach_device_filter(dir, with_default_devices(resources->devices));
                } else {
                    apply_v1(dir, h, *resources);
                }
            }
        }
    } catch (...) {
        for (auto it = made.rbegin(); it != made.rend(); ++it) ::rmdir(it->c_str());
        throw;
    }
    return created;
}

std::vector<std::string> ContainerCgroup::planned_dirs(const std::string& path) {
    std::vector<std::string> out;
    for (const auto& h : cgroup_hierarchies()) {
        std::string rel = path[0] == '/' ? path : own_path(h) + "/" + path;
        out.push_back(h.mountpoint + (rel == "/" ? "" : rel));
    }
    return out;
}

std::vector<std::string> ContainerCgroup::existing_dirs(const std::string& path) {
    std::vector<std::string> out;
    for (const auto& h : cgroup_hierarchies()) {
        std::string dir = h.mountpoint + path;
        if (::access(dir.c_str(), F_OK) == 0) out.push_back(dir);
    }
    return out;
}

void ContainerCgroup::apply(const std::vector<std::string>& dirs, const Resources& resources) {
    auto hs = cgroup_hierarchies();
    check_controllers(resources, hs);
    for (const auto& dir : dirs) {
        const Hierarchy* h = nullptr;
        hierarchy_of(dir, hs, &h);
        if (!h) continue;
        if (h->v2) {
            apply_v2(dir, *h, resources, v1_controllers(hs));
        } else {
            apply_v1(dir, *h, resources);
        }
    }
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

void cgroup_destroy(const std::vector<std::string>& dirs) {
    for (const auto& dir : dirs) {
        for (int attempt = 0; attempt < 200; ++attempt) {
            if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
            if (errno != EBUSY) {
                log::warn("removing cgroup " + dir + ": " + std::strerror(errno));
                break;
            }
            // Something is still inside (a process without a pid namespace): thaw and kill it.
            for (pid_t p : cgroup_pids({dir})) ::kill(p, SIGKILL);
            std::string v;
            if (try_read_file(dir + "/freezer.state", v) && v.rfind("THAWED", 0) != 0) {
                try {
                    write_cg(dir, "freezer.state", "THAWED");
                } catch (const Error&) {
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        // Remove the default parent (/box) when it has become empty.
        auto parent = dir.substr(0, dir.rfind('/'));
        if (parent.size() > 4 && parent.compare(parent.size() - 4, 4, "/box") == 0) ::rmdir(parent.c_str());
    }
}

}  // namespace box

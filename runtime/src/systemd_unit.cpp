#include "systemd_unit.hpp"

#include <sys/types.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "cgroup_resources.hpp"
#include "error.hpp"

namespace box {
namespace {

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();  // systemd's "infinity"
constexpr uint64_t kDefaultCpuPeriod = 100000;

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// -1 is unlimited, as in the files.
uint64_t limit_value(int64_t v) { return v < 0 ? kInfinity : static_cast<uint64_t>(v); }

// runc's addCpuQuota: the quota per second of CPU time, rounded up to systemd's 10 ms steps
// (it keeps a whole percentage); the period as it is.
void add_cpu_quota(std::vector<UnitProperty>& out, const Resources& r) {
    uint64_t period = r.cpu_period.value_or(0);
    int64_t quota = r.cpu_quota.value_or(0);
    if (period != 0) out.push_back({"CPUQuotaPeriodUSec", "t", period});
    if (quota == 0 && period == 0) return;
    uint64_t per_sec = kInfinity;
    if (quota > 0) {
        per_sec = static_cast<uint64_t>(quota) * 1000000 / (period ? period : kDefaultCpuPeriod);
        if (per_sec % 10000 != 0) per_sec = (per_sec / 10000 + 1) * 10000;
    }
    out.push_back({"CPUQuotaPerSecUSec", "t", per_sec});
}

// The name /proc/devices gives a major number ("char-pts"), for a rule on every minor.
std::string device_group(char type, int64_t major) {
    std::ifstream in("/proc/devices");
    std::string line;
    bool in_section = false;
    while (std::getline(in, line)) {
        if (line == "Character devices:") {
            in_section = type == 'c';
            continue;
        }
        if (line == "Block devices:") {
            in_section = type == 'b';
            continue;
        }
        long long m = -1;
        char name[128];
        if (in_section && std::sscanf(line.c_str(), "%lld %127s", &m, name) == 2 && m == major) return name;
    }
    return {};
}

// Device rules as DevicePolicy/DeviceAllow (runc's generateDeviceProperties, simplified): the
// allow rules after the last rule on every device, strict when that rule denies. What systemd
// cannot express (a deny of one device in an allow-all list, a major without a name) is left
// to the device files and program box writes after the unit exists.
void add_device_properties(std::vector<UnitProperty>& out, const std::vector<DeviceRule>& rules) {
    if (rules.empty()) return;
    auto all = with_default_devices(rules);
    size_t start = 0;
    bool allow_all = true;  // the kernel's default
    for (size_t i = 0; i < all.size(); ++i)
        if (all[i].type == 'a' && all[i].major < 0 && all[i].minor < 0 && !all[i].access.empty()) {
            allow_all = all[i].allow;
            start = i + 1;
        }
    if (allow_all) {
        out.push_back({"DevicePolicy", "s", "auto"});
        out.push_back({"DeviceAllow", "a(ss)", Json::array()});
        return;
    }
    Json allow = Json::array();
    for (size_t i = start; i < all.size(); ++i) {
        const auto& rule = all[i];
        if (!rule.allow || rule.access.empty()) continue;
        std::string kinds = rule.type == 'a' ? "cb" : std::string(1, rule.type);
        for (char kind : kinds) {
            std::string type_name = kind == 'c' ? "char" : "block", path;
            if (rule.major < 0) {
                path = type_name + "-*";
            } else if (rule.minor < 0) {
                std::string group = device_group(kind, rule.major);
                if (group.empty()) continue;
                path = type_name + "-" + group;
            } else {
                path = "/dev/" + type_name + "/" + std::to_string(rule.major) + ":" + std::to_string(rule.minor);
            }
            allow.push_back(Json::array({path, rule.access}));
        }
    }
    out.push_back({"DevicePolicy", "s", "strict"});
    out.push_back({"DeviceAllow", "a(ss)", allow});
}

}  // namespace

std::string expand_slice(const std::string& slice) {
    const std::string suffix = ".slice";
    if (slice.size() <= suffix.size() || !ends_with(slice, suffix) || slice.find('/') != std::string::npos)
        throw Error("invalid slice name " + quote(slice));
    std::string name = slice.substr(0, slice.size() - suffix.size());
    if (name == "-") return "";
    std::string path, prefix;
    std::stringstream ss(name);
    std::string part;
    size_t parts = 0;
    while (std::getline(ss, part, '-')) {
        if (part.empty()) throw Error("invalid slice name " + quote(slice));
        path += "/" + prefix + part + suffix;
        prefix += part + "-";
        ++parts;
    }
    if (parts == 0 || name.back() == '-') throw Error("invalid slice name " + quote(slice));
    return path;
}

SystemdScope systemd_scope_for(const std::string& cgroups_path, const std::string& id, bool rootless) {
    auto refused = [&](const std::string& why) {
        return Error("config.json: linux.cgroupsPath " + quote(cgroups_path) + ": " + why);
    };
    std::string slice, prefix = "box", name = id;
    if (!cgroups_path.empty()) {
        std::vector<std::string> parts;
        std::stringstream ss(cgroups_path);
        std::string part;
        while (std::getline(ss, part, ':')) parts.push_back(part);
        if (cgroups_path.back() == ':') parts.push_back("");
        if (parts.size() != 3) throw refused("with --systemd-cgroup it must be slice:prefix:name");
        slice = parts[0];
        prefix = parts[1];
        name = parts[2];
    }
    if (name.empty()) throw refused("the name (after the second ':') is empty");
    for (const auto& s : {prefix, name})
        if (s.find('/') != std::string::npos || s == "." || s == "..") throw refused("unit names have no '/'");
    if (ends_with(name, ".slice"))
        throw refused("names a slice: box puts containers in scopes (prefix-name.scope) only");
    SystemdScope out;
    out.slice = slice.empty() ? (rootless ? "user.slice" : "system.slice") : slice;
    try {
        out.cgroup_rel = expand_slice(out.slice);
    } catch (const Error& e) {
        throw refused(e.what());
    }
    out.unit = (prefix.empty() ? name : prefix + "-" + name) + ".scope";
    out.cgroup_rel += "/" + out.unit;
    return out;
}

std::vector<uint8_t> cpuset_to_bits(const std::string& list) {
    std::vector<uint8_t> bits;
    std::stringstream ss(list);
    std::string item;
    auto number = [&](const std::string& s) {
        size_t used = 0;
        unsigned long v = 0;
        try {
            v = std::stoul(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != s.size() || v > 8191) throw Error("invalid cpu list " + quote(list));
        return static_cast<size_t>(v);
    };
    while (std::getline(ss, item, ',')) {
        while (!item.empty() && (item.back() == '\n' || item.back() == ' ')) item.pop_back();
        if (item.empty()) continue;
        auto dash = item.find('-');
        size_t lo = number(item.substr(0, dash)), hi = dash == std::string::npos ? lo : number(item.substr(dash + 1));
        if (hi < lo) throw Error("invalid cpu list " + quote(list));
        for (size_t n = lo; n <= hi; ++n) {
            if (bits.size() <= n / 8) bits.resize(n / 8 + 1, 0);
            bits[n / 8] |= static_cast<uint8_t>(1u << (n % 8));
        }
    }
    if (bits.empty()) throw Error("invalid cpu list " + quote(list));
    return bits;
}

std::vector<UnitProperty> systemd_resource_properties(const Resources& r, SystemdCgroupApi api) {
    std::vector<UnitProperty> out;
    bool unified = api == SystemdCgroupApi::Unified;
    add_device_properties(out, r.devices);
    if (r.memory_limit && *r.memory_limit != 0)
        out.push_back({unified ? "MemoryMax" : "MemoryLimit", "t", limit_value(*r.memory_limit)});
    if (unified && r.memory_reservation && *r.memory_reservation != 0)
        out.push_back({"MemoryLow", "t", limit_value(*r.memory_reservation)});
    if (unified && r.memory_swap && *r.memory_swap != 0) {
        // cgroup v2 counts swap alone: memory+swap minus memory (runc's conversion).
        int64_t swap = *r.memory_swap, mem = r.memory_limit.value_or(0);
        if (swap == -1 || mem == -1)
            out.push_back({"MemorySwapMax", "t", kInfinity});
        else if (mem > 0 && swap > mem)
            out.push_back({"MemorySwapMax", "t", static_cast<uint64_t>(swap - mem)});
    }
    if (r.cpu_shares && *r.cpu_shares != 0) {
        if (unified)
            out.push_back({"CPUWeight", "t", shares_to_weight(*r.cpu_shares)});
        else
            out.push_back({"CPUShares", "t", *r.cpu_shares});
    }
    add_cpu_quota(out, r);
    if (r.blkio_weight && *r.blkio_weight != 0) {
        if (unified)
            out.push_back({"IOWeight", "t", blkio_weight_to_io(*r.blkio_weight)});
        else
            out.push_back({"BlockIOWeight", "t", static_cast<uint64_t>(*r.blkio_weight)});
    }
    if (r.pids_limit && (*r.pids_limit > 0 || *r.pids_limit == -1))
        out.push_back({"TasksMax", "t", limit_value(*r.pids_limit)});
    // systemd takes AllowedCPUs/AllowedMemoryNodes since 244 (only cgroup v2 applies them).
    if (r.cpu_cpus && !r.cpu_cpus->empty()) out.push_back({"AllowedCPUs", "ay", cpuset_to_bits(*r.cpu_cpus)});
    if (r.cpu_mems && !r.cpu_mems->empty()) out.push_back({"AllowedMemoryNodes", "ay", cpuset_to_bits(*r.cpu_mems)});
    return out;
}

std::vector<UnitProperty> systemd_scope_properties(const std::string& id, const SystemdScope& scope, pid_t pid,
                                                   const std::optional<Resources>& r, SystemdCgroupApi api) {
    std::vector<UnitProperty> out = {
        {"Description", "s", "box container " + id},
        {"Slice", "s", scope.slice},
        {"PIDs", "au", Json::array({static_cast<uint32_t>(pid)})},
        {"Delegate", "b", true},
        // Accounting as runc: stats read the files, and the kernel may refuse to join the memory
        // controller later.
        {"MemoryAccounting", "b", true},
        {"CPUAccounting", "b", true},
        {api == SystemdCgroupApi::Unified ? "IOAccounting" : "BlockIOAccounting", "b", true},
        {"TasksAccounting", "b", true},
        {"DefaultDependencies", "b", false},
    };
    if (r) {
        auto more = systemd_resource_properties(*r, api);
        out.insert(out.end(), more.begin(), more.end());
    }
    return out;
}

Json properties_json(const std::vector<UnitProperty>& props) {
    Json out = Json::array();
    for (const auto& p : props) out.push_back(Json::array({p.name, p.type, p.value}));
    return out;
}

}  // namespace box

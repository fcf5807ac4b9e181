#include "cgroup_stats.hpp"

#include <sstream>

#include "files.hpp"

namespace box {
namespace {

bool read_u64(const std::string& path, uint64_t& out) {
    std::string v;
    if (!try_read_file(path, v)) return false;
    if (v.rfind("max", 0) == 0) {
        out = UINT64_MAX;
        return true;
    }
    try {
        out = std::stoull(v);
    } catch (...) {
        return false;
    }
    return true;
}

// "key value" lines (cpu.stat, memory.events, cpuacct.stat, memory.oom_control).
bool read_keyed(const std::string& path, const std::string& key, uint64_t& out) {
    std::string text;
    if (!try_read_file(path, text)) return false;
    std::istringstream in(text);
    std::string k;
    uint64_t v;
    while (in >> k >> v)
        if (k == key) {
            out = v;
            return true;
        }
    return false;
}

std::string find_file(const std::vector<std::string>& dirs, const std::string& name) {
    for (const auto& d : dirs)
        if (std::string unused; try_read_file(d + "/" + name, unused)) return d + "/" + name;
    return {};
}

// "1 2 3" -> [1,2,3]; [] when the file is missing.
Json number_list(const std::string& path) {
    Json out = Json::array();
    std::string text;
    if (path.empty() || !try_read_file(path, text)) return out;
    std::istringstream in(text);
    uint64_t v;
    while (in >> v) out.push_back(v);
    return out;
}

Json blkio_entries(const std::string& path) {
    Json out = Json::array();
    std::string text;
    if (path.empty() || !try_read_file(path, text)) return out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string dev, op;
        uint64_t value = 0;
        if (!(ls >> dev >> op >> value)) continue;
        auto colon = dev.find(':');
        if (colon == std::string::npos) continue;
        out.push_back({{"major", std::stoull(dev.substr(0, colon))},
                       {"minor", std::stoull(dev.substr(colon + 1))},
                       {"op", op},
                       {"value", value}});
    }
    return out;
}

}  // namespace

// The "data" of runc's stats event, in runc's field order and with its omissions (Go's
// omitempty: a zero count or limit is left out, except where runc always prints it).
Json cgroup_stats(const std::vector<std::string>& dirs) {
    Json usage = Json::object(), throttling = Json::object();
    uint64_t v = 0, total = 0, user = 0, kernel = 0;
    if (auto f = find_file(dirs, "cpuacct.usage"); !f.empty() && read_u64(f, total)) {
        auto stat = find_file(dirs, "cpuacct.stat");
        constexpr uint64_t kNanosPerTick = 1000000000 / 100;  // USER_HZ
        if (read_keyed(stat, "user", v)) user = v * kNanosPerTick;
        if (read_keyed(stat, "system", v)) kernel = v * kNanosPerTick;
    } else if (auto s = find_file(dirs, "cpu.stat"); !s.empty() && read_keyed(s, "usage_usec", total)) {
        total *= 1000;
        if (read_keyed(s, "user_usec", v)) user = v * 1000;
        if (read_keyed(s, "system_usec", v)) kernel = v * 1000;
    }
    if (total) usage["total"] = total;
    // v1's per-CPU nanoseconds (runc reads the same files; v2 has none).
    for (auto [file, key] : {std::pair{"cpuacct.usage_percpu", "percpu"},
                             {"cpuacct.usage_percpu_sys", "percpu_kernel"},
                             {"cpuacct.usage_percpu_user", "percpu_user"}})
        if (Json list = number_list(find_file(dirs, file)); !list.empty()) usage[key] = list;
    usage["kernel"] = kernel;
    usage["user"] = user;
    // v1 cpu.stat counts periods as nr_periods, v2 the same and throttled_usec instead of _time.
    if (auto s = find_file(dirs, "cpu.stat"); !s.empty()) {
        if (read_keyed(s, "nr_periods", v) && v) throttling["periods"] = v;
        if (read_keyed(s, "nr_throttled", v) && v) throttling["throttled_periods"] = v;
        if (read_keyed(s, "throttled_time", v) && v) throttling["throttled_time"] = v;
        if (read_keyed(s, "throttled_usec", v) && v) throttling["throttled_time"] = v * 1000;
    }

    Json memory_usage = Json::object();
    uint64_t limit = 0, max = 0, failcnt = 0;
    bool have_memory = false;
    if (auto f = find_file(dirs, "memory.usage_in_bytes"); !f.empty() && read_u64(f, v)) {
        have_memory = true;
        read_u64(find_file(dirs, "memory.limit_in_bytes"), limit);
        read_u64(find_file(dirs, "memory.max_usage_in_bytes"), max);
        read_u64(find_file(dirs, "memory.failcnt"), failcnt);
    } else if (auto c = find_file(dirs, "memory.current"); !c.empty() && read_u64(c, v)) {
        have_memory = true;
        read_u64(find_file(dirs, "memory.max"), limit);
        read_u64(find_file(dirs, "memory.peak"), max);
        read_keyed(find_file(dirs, "memory.events"), "max", failcnt);
    }
    Json memory = Json::object();
    if (have_memory) {
        memory_usage["limit"] = limit;
        if (v) memory_usage["usage"] = v;
        if (max) memory_usage["max"] = max;
        memory_usage["failcnt"] = failcnt;
        memory["usage"] = memory_usage;
    }

    Json pids = Json::object();
    if (read_u64(find_file(dirs, "pids.current"), v) && v) pids["current"] = v;
    if (read_u64(find_file(dirs, "pids.max"), v) && v != UINT64_MAX && v) pids["limit"] = v;
    Json blkio = Json::object();
    if (auto f = find_file(dirs, "blkio.throttle.io_service_bytes"); !f.empty())
        if (Json entries = blkio_entries(f); !entries.empty()) blkio["ioServiceBytesRecursive"] = entries;
    return Json{{"cpu", {{"usage", usage}, {"throttling", throttling}}},
                {"memory", memory},
                {"pids", pids},
                {"blkio", blkio},
                {"hugetlb", Json::object()},
                {"intel_rdt", Json::object()},
                {"network_interfaces", nullptr}};
}

uint64_t cgroup_oom_kills(const std::vector<std::string>& dirs) {
    uint64_t v = 0;
    if (read_keyed(find_file(dirs, "memory.oom_control"), "oom_kill", v)) return v;
    if (read_keyed(find_file(dirs, "memory.events"), "oom_kill", v)) return v;
    return 0;
}

}  // namespace box

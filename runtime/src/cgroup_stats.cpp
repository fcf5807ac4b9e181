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

Json cgroup_stats(const std::vector<std::string>& dirs) {
    Json cpu = {{"usage", Json::object()}}, memory = {{"usage", Json::object()}}, pids = Json::object(),
         blkio = Json::object();
    uint64_t v = 0;
    if (auto f = find_file(dirs, "cpuacct.usage"); !f.empty() && read_u64(f, v)) {
        cpu["usage"]["total"] = v;
        auto stat = find_file(dirs, "cpuacct.stat");
        long hz = 100;  // USER_HZ
        if (read_keyed(stat, "user", v)) cpu["usage"]["user"] = v * (1000000000 / hz);
        if (read_keyed(stat, "system", v)) cpu["usage"]["kernel"] = v * (1000000000 / hz);
    } else if (auto s = find_file(dirs, "cpu.stat"); !s.empty() && read_keyed(s, "usage_usec", v)) {
        cpu["usage"]["total"] = v * 1000;
        if (read_keyed(s, "user_usec", v)) cpu["usage"]["user"] = v * 1000;
        if (read_keyed(s, "system_usec", v)) cpu["usage"]["kernel"] = v * 1000;
    }
    if (auto f = find_file(dirs, "memory.usage_in_bytes"); !f.empty() && read_u64(f, v)) {
        memory["usage"]["usage"] = v;
        if (read_u64(find_file(dirs, "memory.limit_in_bytes"), v)) memory["usage"]["limit"] = v;
        if (read_u64(find_file(dirs, "memory.max_usage_in_bytes"), v)) memory["usage"]["max"] = v;
        if (read_u64(find_file(dirs, "memory.failcnt"), v)) memory["usage"]["failcnt"] = v;
    } else if (auto c = find_file(dirs, "memory.current"); !c.empty() && read_u64(c, v)) {
        memory["usage"]["usage"] = v;
        if (read_u64(find_file(dirs, "memory.max"), v)) memory["usage"]["limit"] = v;
        if (read_u64(find_file(dirs, "memory.peak"), v)) memory["usage"]["max"] = v;
        if (read_keyed(find_file(dirs, "memory.events"), "max", v)) memory["usage"]["failcnt"] = v;
    }
    if (read_u64(find_file(dirs, "pids.current"), v)) pids["current"] = v;
    if (read_u64(find_file(dirs, "pids.max"), v)) pids["limit"] = v == UINT64_MAX ? 0 : v;
    if (auto f = find_file(dirs, "blkio.throttle.io_service_bytes"); !f.empty())
        blkio["ioServiceBytesRecursive"] = blkio_entries(f);
    return Json{{"cpu", cpu}, {"memory", memory}, {"pids", pids}, {"blkio", blkio}};
}

uint64_t cgroup_oom_kills(const std::vector<std::string>& dirs) {
    uint64_t v = 0;
    if (read_keyed(find_file(dirs, "memory.oom_control"), "oom_kill", v)) return v;
    if (read_keyed(find_file(dirs, "memory.events"), "oom_kill", v)) return v;
    return 0;
}

}  // namespace box

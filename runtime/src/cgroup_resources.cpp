#include "cgroup_resources.hpp"

#include <unistd.h>

#include <algorithm>

#include "error.hpp"
#include "files.hpp"
#include "log.hpp"

namespace box {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

void write_cg(const std::string& dir, const std::string& file, const std::string& value) {
    write_file(dir + "/" + file, value);
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

}  // namespace

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

namespace {

std::string dev(int64_t major, int64_t minor) { return std::to_string(major) + ":" + std::to_string(minor); }

// Writes the first of several candidate files that exists (blkio.weight or blkio.bfq.weight ...).
void write_first(const std::string& dir, std::initializer_list<const char*> files, const std::string& value,
                 const std::string& field) {
    for (const char* f : files)
        if (::access((dir + "/" + f).c_str(), F_OK) == 0) return write_cg(dir, f, value);
    throw Error("linux.resources." + field + ": not supported by this kernel (no " + *files.begin() + ")");
}

}  // namespace

// v1 and v2 blkio/io weights differ in range: 10..1000 against 1..10000.
uint64_t blkio_weight_to_io(uint16_t w) { return 1 + (static_cast<uint64_t>(w) - 10) * 9999 / 990; }

bool wants_memory(const Resources& r) {
    return r.memory_limit || r.memory_reservation || r.memory_swap || r.memory_swappiness || r.disable_oom_killer;
}

namespace {
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

}  // namespace

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
    // runc's words (ErrV1NoUnified): unified keys are written only on a pure v2 host.
    if (!r.unified.empty() && detect_cgroup_mode() != CgroupMode::V2)
        throw Error(std::string("linux.resources.unified: invalid configuration: cannot use unified on cgroup v1 "
                                "(this host is ") +
                    cgroup_mode_name(detect_cgroup_mode()) + "; unified needs a pure cgroup v2 host)");
    if (r.memory_kernel || r.memory_kernel_tcp)
        log::warn("linux.resources.memory.kernel and kernelTCP are deprecated and ignored (as runc does)");
}

void write_resources(const std::string& dir, const Hierarchy& h, const std::vector<Hierarchy>& all,
                     const Resources& r) {
    if (h.v2) {
        apply_v2(dir, h, r, v1_controllers(all));
    } else {
        apply_v1(dir, h, r);
    }
}

bool has_limits(const Resources& r) {
    return wants_memory(r) || wants_cpu(r) || wants_io(r) || r.cpu_cpus || r.cpu_mems || r.pids_limit ||
           !r.hugepage_limits.empty() || r.net_class_id || !r.net_priorities.empty() || !r.unified.empty();
}

}  // namespace box

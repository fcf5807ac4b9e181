#include "cgroup_resources.hpp"

#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "error.hpp"
#include "files.hpp"
#include "log.hpp"

namespace box {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
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

std::string dev(int64_t major, int64_t minor) { return std::to_string(major) + ":" + std::to_string(minor); }
std::string lim(int64_t v) { return v < 0 ? std::string("max") : std::to_string(v); }

bool wants_memory(const Resources& r) {
    return r.memory_limit || r.memory_reservation || r.memory_swap || r.memory_swappiness ||
           (r.disable_oom_killer && *r.disable_oom_killer);
}
bool wants_cpu(const Resources& r) {
    return r.cpu_shares || r.cpu_quota || r.cpu_period || r.cpu_rt_runtime || r.cpu_rt_period || r.cpu_idle;
}
bool wants_io(const Resources& r) {
    return r.blkio_weight || r.blkio_leaf_weight || !r.blkio_weight_devices.empty() || !r.throttle_read_bps.empty() ||
           !r.throttle_write_bps.empty() || !r.throttle_read_iops.empty() || !r.throttle_write_iops.empty();
}

std::vector<std::string> v1_controllers(const std::vector<Hierarchy>& hs) {
    std::vector<std::string> out;
    for (const auto& h : hs)
        if (!h.v2) out.insert(out.end(), h.controllers.begin(), h.controllers.end());
    return out;
}

// Collects the writes for one directory. Nothing is written here.
class Planner {
public:
    Planner(const std::string& dir, CgroupWrites& out) : dir_(dir), out_(out) {}

    void add(const std::string& file, const std::string& value, const std::string& field,
             const std::string& unset_line = "") {
        out_.push_back({dir_, file, value, field, false, unset_line});
    }
    // The first of several candidate files that exists (blkio.weight or blkio.bfq.weight ...).
    void add_first(std::initializer_list<std::string> files, const std::string& value, const std::string& field,
                   const std::string& unset_line = "") {
        for (const auto& f : files)
            if (exists(f)) return add(f, value, field, unset_line);
        throw Error("linux.resources." + field + ": not supported by this kernel (no " + *files.begin() + ")");
    }
    // Marks the last write as one the kernel may take only after the next (see CgroupWrite).
    void retry_after_next() { out_.back().retry_after_next = true; }

    bool exists(const std::string& file) const { return ::access((dir_ + "/" + file).c_str(), F_OK) == 0; }
    std::string current(const std::string& file) const {
        std::string text;
        if (!try_read_file(dir_ + "/" + file, text)) return {};
        return text.substr(0, text.find('\n'));
    }

private:
    const std::string& dir_;
    CgroupWrites& out_;
};

void plan_v1_memory(Planner& p, const Resources& r) {
    std::optional<int64_t> limit = r.memory_limit, swap = r.memory_swap;
    const char* memsw = "memory.memsw.limit_in_bytes";
    // As runc: unlimited memory with no word on swap means unlimited swap too.
    if (limit == -1 && !swap && p.exists(memsw)) swap = -1;
    if (limit > 0 && swap > 0 && *swap < *limit)
        throw Error("linux.resources.memory.swap: memory+swap (" + std::to_string(*swap) +
                    ") must not be below memory.limit (" + std::to_string(*limit) + ")");
    auto add_limit = [&] { p.add("memory.limit_in_bytes", std::to_string(*limit), "memory.limit"); };
    auto add_swap = [&] { p.add_first({memsw}, std::to_string(*swap), "memory.swap"); };
    if (limit && swap) {
        // The kernel keeps memory.limit <= memsw.limit at every step: when memsw goes above
        // today's limit it is written first, else the limit is lowered first.
        uint64_t current = 0;
        std::istringstream(p.current("memory.limit_in_bytes")) >> current;
        if (*swap == -1 || current < static_cast<uint64_t>(*swap)) {
            add_swap();
            add_limit();
        } else {
            add_limit();
            add_swap();
        }
    } else if (limit) {
        add_limit();
    } else if (swap) {
        add_swap();
    }
    if (r.memory_reservation)
        p.add("memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation), "memory.reservation");
    if (r.memory_swappiness) p.add("memory.swappiness", std::to_string(*r.memory_swappiness), "memory.swappiness");
    if (r.disable_oom_killer && *r.disable_oom_killer) p.add("memory.oom_control", "1", "memory.disableOOMKiller");
}

void plan_v1_cpu(Planner& p, const Resources& r) {
    if (r.cpu_shares) p.add("cpu.shares", std::to_string(*r.cpu_shares), "cpu.shares");
    // A period lowered under a quota may be refused until the quota is lowered too (as runc).
    if (r.cpu_period) {
        p.add("cpu.cfs_period_us", std::to_string(*r.cpu_period), "cpu.period");
        if (r.cpu_quota) p.retry_after_next();
    }
    if (r.cpu_quota) p.add("cpu.cfs_quota_us", std::to_string(*r.cpu_quota), "cpu.quota");
    if (r.cpu_rt_period) {
        p.add_first({"cpu.rt_period_us"}, std::to_string(*r.cpu_rt_period), "cpu.realtimePeriod");
        if (r.cpu_rt_runtime) p.retry_after_next();
    }
    if (r.cpu_rt_runtime) p.add_first({"cpu.rt_runtime_us"}, std::to_string(*r.cpu_rt_runtime), "cpu.realtimeRuntime");
    if (r.cpu_idle) p.add_first({"cpu.idle"}, std::to_string(*r.cpu_idle), "cpu.idle");
}

void plan_v1_blkio(Planner& p, const Resources& r) {
    if (r.blkio_weight)
        p.add_first({"blkio.weight", "blkio.bfq.weight"}, std::to_string(*r.blkio_weight), "blockIO.weight");
    if (r.blkio_leaf_weight)
        p.add_first({"blkio.leaf_weight"}, std::to_string(*r.blkio_leaf_weight), "blockIO.leafWeight");
    for (const auto& d : r.blkio_weight_devices) {
        std::string key = dev(d.major, d.minor);
        if (d.weight)
            p.add_first({"blkio.weight_device", "blkio.bfq.weight_device"}, key + " " + std::to_string(*d.weight),
                        "blockIO.weightDevice", key + " 0");
        if (d.leaf_weight)
            p.add_first({"blkio.leaf_weight_device"}, key + " " + std::to_string(*d.leaf_weight),
                        "blockIO.weightDevice", key + " 0");
    }
    auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* file, const char* field) {
        for (const auto& d : list) {
            std::string key = dev(d.major, d.minor);
            p.add(file, key + " " + std::to_string(d.rate), field, key + " 0");
        }
    };
    throttle(r.throttle_read_bps, "blkio.throttle.read_bps_device", "blockIO.throttleReadBpsDevice");
    throttle(r.throttle_write_bps, "blkio.throttle.write_bps_device", "blockIO.throttleWriteBpsDevice");
    throttle(r.throttle_read_iops, "blkio.throttle.read_iops_device", "blockIO.throttleReadIOPSDevice");
    throttle(r.throttle_write_iops, "blkio.throttle.write_iops_device", "blockIO.throttleWriteIOPSDevice");
}

void plan_v1(Planner& p, const Hierarchy& h, const Resources& r) {
    if (has(h.controllers, "devices") && !r.devices.empty()) {
        for (const auto& rule : with_default_devices(r.devices)) {
            if (rule.access.empty()) continue;  // grants or denies nothing
            if (rule.type == 'a' && !rule.allow) {
                p.add("devices.deny", "a", "devices");
                continue;
            }
            p.add(rule.allow ? "devices.allow" : "devices.deny", v1_device_rule(rule), "devices");
        }
    }
    if (has(h.controllers, "memory")) plan_v1_memory(p, r);
    if (has(h.controllers, "cpu")) plan_v1_cpu(p, r);
    if (has(h.controllers, "cpuset")) {
        if (r.cpu_cpus) p.add("cpuset.cpus", *r.cpu_cpus, "cpu.cpus");
        if (r.cpu_mems) p.add("cpuset.mems", *r.cpu_mems, "cpu.mems");
    }
    if (has(h.controllers, "pids") && r.pids_limit) p.add("pids.max", lim(*r.pids_limit), "pids.limit");
    if (has(h.controllers, "blkio")) plan_v1_blkio(p, r);
    if (has(h.controllers, "hugetlb"))
        for (const auto& l : r.hugepage_limits)
            p.add_first({"hugetlb." + l.page_size + ".limit_in_bytes"}, std::to_string(l.limit), "hugepageLimits");
    if (has(h.controllers, "net_cls") && r.net_class_id)
        p.add("net_cls.classid", std::to_string(*r.net_class_id), "network.classID");
    if (has(h.controllers, "net_prio"))
        for (const auto& [name, prio] : r.net_priorities)
            p.add("net_prio.ifpriomap", name + " " + std::to_string(prio), "network.priorities", name + " 0");
}

void plan_v2_memory(Planner& p, const Resources& r) {
    if (r.memory_swap) {
        // v1's swap is memory+swap, v2 counts swap alone: subtract the memory limit (given
        // here, or today's), which must be there and not above memory+swap (as runc).
        int64_t swap = *r.memory_swap;
        if (swap > 0) {
            int64_t memory = -1;
            if (r.memory_limit) {
                memory = *r.memory_limit;
            } else if (std::string cur = p.current("memory.max"); cur != "max") {
                std::istringstream(cur) >> memory;
            }
            if (memory <= 0) throw Error("linux.resources.memory.swap: a swap limit needs a memory limit (cgroup v2)");
            if (swap < memory)
                throw Error("linux.resources.memory.swap: memory+swap (" + std::to_string(swap) +
                            ") must not be below the memory limit (" + std::to_string(memory) + ")");
            swap -= memory;
        }
        p.add_first({"memory.swap.max"}, lim(swap), "memory.swap");
    } else if (r.memory_limit == -1 && p.exists("memory.swap.max")) {
        p.add("memory.swap.max", "max", "memory.swap");  // unlimited memory, unlimited swap (as runc)
    }
    if (r.memory_limit) p.add("memory.max", lim(*r.memory_limit), "memory.limit");
    if (r.memory_reservation) p.add("memory.low", lim(*r.memory_reservation), "memory.reservation");
    if (r.disable_oom_killer && *r.disable_oom_killer)
        throw Error("linux.resources.memory.disableOOMKiller: cgroup v2 has no way to disable the OOM killer");
}

void plan_v2_cpu(Planner& p, const Resources& r) {
    if (r.cpu_shares) p.add("cpu.weight", std::to_string(shares_to_weight(*r.cpu_shares)), "cpu.shares");
    if (r.cpu_quota || r.cpu_period) {
        // cpu.max is "QUOTA PERIOD": what is not given keeps today's value (runc resets the quota
        // to max when only the period is given).
        std::istringstream cur(p.current("cpu.max"));
        std::string quota = "max", period = "100000";
        cur >> quota >> period;
        if (r.cpu_quota) quota = lim(*r.cpu_quota);
        if (r.cpu_period) period = std::to_string(*r.cpu_period);
        p.add("cpu.max", quota + " " + period, r.cpu_quota ? "cpu.quota" : "cpu.period");
    }
    if (r.cpu_idle) p.add_first({"cpu.idle"}, std::to_string(*r.cpu_idle), "cpu.idle");
    if (r.cpu_rt_runtime || r.cpu_rt_period)
        throw Error("linux.resources.cpu.realtimeRuntime: realtime scheduling limits need cgroup v1");
}

void plan_v2_io(Planner& p, const Resources& r) {
    if (r.blkio_weight)
        p.add_first({"io.bfq.weight", "io.weight"}, std::to_string(blkio_weight_to_io(*r.blkio_weight)),
                    "blockIO.weight");
    for (const auto& d : r.blkio_weight_devices) {
        std::string key = dev(d.major, d.minor);
        if (d.weight)
            p.add_first({"io.bfq.weight", "io.weight"}, key + " " + std::to_string(blkio_weight_to_io(*d.weight)),
                        "blockIO.weightDevice", key + " default");
    }
    auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* key, const char* field) {
        for (const auto& d : list) {
            std::string device = dev(d.major, d.minor);
            p.add("io.max", device + " " + key + "=" + std::to_string(d.rate), field,
                  device + " rbps=max wbps=max riops=max wiops=max");
        }
    };
    throttle(r.throttle_read_bps, "rbps", "blockIO.throttleReadBpsDevice");
    throttle(r.throttle_write_bps, "wbps", "blockIO.throttleWriteBpsDevice");
    throttle(r.throttle_read_iops, "riops", "blockIO.throttleReadIOPSDevice");
    throttle(r.throttle_write_iops, "wiops", "blockIO.throttleWriteIOPSDevice");
}

// On a hybrid host v1 keeps the controllers it has; v2 takes only the rest.
void plan_v2(Planner& p, const Hierarchy& h, const Resources& r, const std::vector<std::string>& v1) {
    auto mine = [&](const char* ctrl) { return has(h.controllers, ctrl) && !has(v1, ctrl); };
    if (mine("memory")) plan_v2_memory(p, r);
    if (mine("cpu")) plan_v2_cpu(p, r);
    if (mine("cpuset")) {
        if (r.cpu_cpus) p.add("cpuset.cpus", *r.cpu_cpus, "cpu.cpus");
        if (r.cpu_mems) p.add("cpuset.mems", *r.cpu_mems, "cpu.mems");
    }
    if (mine("pids") && r.pids_limit) p.add("pids.max", lim(*r.pids_limit), "pids.limit");
    if (mine("io")) plan_v2_io(p, r);
    if (mine("hugetlb"))
        for (const auto& l : r.hugepage_limits)
            p.add_first({"hugetlb." + l.page_size + ".max"}, std::to_string(l.limit), "hugepageLimits");
    for (const auto& [k, v] : r.unified) p.add(k, v, "unified." + k);
}

}  // namespace

std::vector<DeviceRule> with_default_devices(const std::vector<DeviceRule>& rules) {
    auto all = rules;
    auto defaults = default_device_rules();
    all.insert(all.end(), defaults.begin(), defaults.end());
    return all;
}

uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    shares = std::clamp<uint64_t>(shares, 2, 262144);
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io(uint16_t w) {
    if (w == 0) return 0;
    uint64_t clamped = std::clamp<uint64_t>(w, 10, 1000);
    return 1 + (clamped - 10) * 9999 / 990;
}

bool has_limits(const Resources& r) {
    return wants_memory(r) || wants_cpu(r) || wants_io(r) || r.cpu_cpus || r.cpu_mems || r.pids_limit ||
           !r.hugepage_limits.empty() || r.net_class_id || !r.net_priorities.empty() || !r.unified.empty();
}

void check_controllers(const Resources& r, const std::vector<Hierarchy>& hs, const std::string& where) {
    auto available = [&](std::initializer_list<const char*> names) {
        for (const auto& h : hs)
            for (const char* n : names)
                if (has(h.controllers, n)) return true;
        return false;
    };
    auto need = [&](bool wanted, std::initializer_list<const char*> names, const char* field) {
        if (wanted && !available(names))
            throw Error(std::string("linux.resources.") + field + ": the " + *names.begin() +
                        " controller is not available " + where);
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

CgroupWrites plan_resource_writes(const std::string& dir, const Hierarchy& h, const std::vector<Hierarchy>& all,
                                  const Resources& r) {
    CgroupWrites out;
    Planner p(dir, out);
    if (h.v2) {
        plan_v2(p, h, r, v1_controllers(all));
    } else {
        plan_v1(p, h, r);
    }
    return out;
}

void write_resources(const std::string& dir, const Hierarchy& h, const std::vector<Hierarchy>& all,
                     const Resources& r) {
    write_cgroup_files(plan_resource_writes(dir, h, all, r), false);
}

}  // namespace box

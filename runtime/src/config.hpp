// The OCI runtime config (config.json) as box understands it, and its parser.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "json_reader.hpp"

namespace box {

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
};

struct Namespace {
    std::string type;  // pid, network, mount, ipc, uts, user, cgroup, time
    std::string path;  // empty: create a new one
};

struct Rlimit {
    int resource = -1;
    std::string type;  // RLIMIT_NOFILE ...
    uint64_t soft = 0;
    uint64_t hard = 0;
};

// The largest uid or gid box accepts, as runc does ("uids and gids must be in range
// 0-2147483647"): (uid_t)-1 means "leave unchanged" to setresuid, chown and setgroups.
constexpr uint32_t kMaxUserId = 2147483647;

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additional_gids;
};

// Each set is a list of capability numbers; absent sets stay absent (empty after exec).
struct Capabilities {
    std::vector<int> bounding, effective, inheritable, permitted, ambient;
    // Names box does not know, left out of the sets: the runtime spec (1.1+) says to warn, not
    // fail (leave_out_unavailable() warns).
    std::vector<std::string> unknown;
};

struct ConsoleSize {
    unsigned height = 0;
    unsigned width = 0;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
    std::string apparmor_profile;
    std::string selinux_label;
};

struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct Device {
    std::string path;
    char type = 'c';  // c, b, u, p
    int64_t major = 0;
    int64_t minor = 0;
    uint32_t file_mode = 0666;
    uint32_t uid = 0;
    uint32_t gid = 0;
};

struct DeviceRule {
    bool allow = false;
    char type = 'a';     // a, c, b
    int64_t major = -1;  // -1: any
    int64_t minor = -1;
    std::string access = "rwm";
};

struct WeightDevice {
    int64_t major = 0, minor = 0;
    std::optional<uint16_t> weight, leaf_weight;
};

struct ThrottleDevice {
    int64_t major = 0, minor = 0;
    uint64_t rate = 0;
};

struct HugepageLimit {
    std::string page_size;  // "2MB", "1GB"
    uint64_t limit = 0;
};

struct Resources {
    std::vector<DeviceRule> devices;
    std::optional<int64_t> memory_limit, memory_reservation, memory_swap;
    std::optional<uint64_t> memory_swappiness;
    std::optional<bool> disable_oom_killer;
    std::optional<uint64_t> cpu_shares, cpu_period;
    std::optional<int64_t> cpu_quota;
    std::optional<std::string> cpu_cpus, cpu_mems;
    std::optional<int64_t> pids_limit;
    std::optional<int64_t> memory_kernel, memory_kernel_tcp;
    std::optional<int64_t> cpu_rt_runtime;
    std::optional<uint64_t> cpu_rt_period;
    std::optional<int64_t> cpu_idle;
    std::optional<uint16_t> blkio_weight, blkio_leaf_weight;
    std::vector<WeightDevice> blkio_weight_devices;
    std::vector<ThrottleDevice> throttle_read_bps, throttle_write_bps, throttle_read_iops, throttle_write_iops;
    std::vector<HugepageLimit> hugepage_limits;
    std::optional<uint32_t> net_class_id;
    std::vector<std::pair<std::string, uint32_t>> net_priorities;
    std::map<std::string, std::string> unified;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::optional<std::vector<std::string>> env;  // absent: the runtime's own environment
    std::optional<int> timeout;
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
    bool empty() const {
        return prestart.empty() && create_runtime.empty() && create_container.empty() && start_container.empty() &&
               poststart.empty() && poststop.empty();
    }
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::vector<Device> devices;
    std::string cgroups_path;
    std::optional<Resources> resources;
    std::string rootfs_propagation;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> masked_paths, readonly_paths;
    std::optional<Json> seccomp;               // parsed by seccomp.cpp when the filter is built
    std::optional<unsigned long> personality;  // linux.personality.domain as a PER_* value
    std::string mount_label;                   // SELinux; refused (security_labels.hpp)

    const Namespace* find_namespace(const std::string& type) const;
};

struct Spec {
    std::string oci_version;
    std::string root_path;  // absolute after resolve_paths()
    bool root_readonly = false;
    std::optional<Process> process;
    std::string hostname;
    std::optional<std::string> domainname;
    std::vector<Mount> mounts;
    std::map<std::string, std::string> annotations;
    Hooks hooks;
    Linux linux;
    Json raw;  // the document as parsed (the state keeps the parts later commands need)
};

// Parses a whole config.json document; `label` prefixes errors (usually "config.json").
Spec parse_spec(const std::string& text, const std::string& label = "config.json");
// linux.resources (also the document `box update --resources` reads).
Resources parse_resources(const JsonReader& reader);
// A cpuset list as cpuset.cpus and cpuset.mems take it: "0-3,5" (empty allowed).
bool is_cpu_list(const std::string& text);
// linux.personality as the PER_* value for personality(2); exec applies it too, as runc does.
unsigned long parse_personality(const JsonReader& reader);
// The hooks of a config document (as kept in the state).
Hooks parse_hooks(const Json& config);
// Parses an OCI process object (config.json's "process", or exec --process FILE).
Process parse_process(const JsonReader& reader);

// Reads BUNDLE/config.json, parses it and resolves root.path against the bundle.
Spec load_bundle_spec(const std::string& bundle);

// Known namespace types (as in config.json) and their CLONE_* flag.
int namespace_clone_flag(const std::string& type);
// /proc/PID/ns/<name> for a config.json namespace type.
const char* namespace_proc_name(const std::string& type);

}  // namespace box

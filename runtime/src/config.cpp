#include "config.hpp"

#include <sched.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "capabilities.hpp"
#include "error.hpp"
#include "rlimits.hpp"

namespace box {
namespace {

struct NamespaceKind {
    const char* type;
    int flag;
    const char* proc_name;
};

constexpr NamespaceKind kNamespaces[] = {
    {"pid", CLONE_NEWPID, "pid"},          {"network", CLONE_NEWNET, "net"},
    {"mount", CLONE_NEWNS, "mnt"},         {"ipc", CLONE_NEWIPC, "ipc"},
    {"uts", CLONE_NEWUTS, "uts"},          {"user", CLONE_NEWUSER, "user"},
    {"cgroup", CLONE_NEWCGROUP, "cgroup"}, {"time", 0x00000080 /* CLONE_NEWTIME */, "time"},
};

uint32_t as_u32(const JsonReader& r) {
    uint64_t v = r.as_uint();
    if (v > UINT32_MAX) r.fail("value out of range");
    return static_cast<uint32_t>(v);
}

// A uid or gid: above kMaxUserId it would mean "unchanged" ((uid_t)-1) or not be one at all.
uint32_t as_user_id(const JsonReader& r) {
    uint64_t v = r.as_uint();
    if (v > kMaxUserId) r.fail("must be in range 0-" + std::to_string(kMaxUserId) + ", got " + std::to_string(v));
    return static_cast<uint32_t>(v);
}

std::vector<int> parse_capability_set(const JsonReader& r, std::vector<std::string>& unknown) {
    std::vector<int> out;
    for (const auto& item : r.as_array()) {
        std::string name = item.as_string();
        int cap = capability_from_name(name);
        if (cap < 0)
            unknown.push_back(name);
        else
            out.push_back(cap);
    }
    return out;
}

Capabilities parse_capabilities(const JsonReader& r) {
    Capabilities caps;
    if (auto v = r.get("bounding")) caps.bounding = parse_capability_set(*v, caps.unknown);
    if (auto v = r.get("effective")) caps.effective = parse_capability_set(*v, caps.unknown);
    if (auto v = r.get("inheritable")) caps.inheritable = parse_capability_set(*v, caps.unknown);
    if (auto v = r.get("permitted")) caps.permitted = parse_capability_set(*v, caps.unknown);
    if (auto v = r.get("ambient")) caps.ambient = parse_capability_set(*v, caps.unknown);
    return caps;
}

Mount parse_mount(const JsonReader& r) {
    Mount m;
    m.destination = r.at("destination").as_string();
    if (m.destination.empty()) r.at("destination").fail("must not be empty");
    if (m.destination[0] != '/') m.destination = "/" + m.destination;
    m.type = r.string_or("type", "");
    m.source = r.string_or("source", "");
    if (auto o = r.get("options")) m.options = o->as_string_array();
    return m;
}

Hook parse_hook(const JsonReader& r) {
    Hook h;
    h.path = r.at("path").as_string();
    if (h.path.empty() || h.path[0] != '/') r.at("path").fail("must be an absolute path");
    if (auto v = r.get("args")) h.args = v->as_string_array();
    if (auto v = r.get("env")) h.env = v->as_string_array();
    if (auto v = r.get("timeout")) {
        int64_t t = v->as_int();
        if (t <= 0) v->fail("must be a positive number of seconds");
        h.timeout = static_cast<int>(std::min<int64_t>(t, INT_MAX));
    }
    return h;
}

std::vector<Hook> parse_hook_list(const JsonReader& hooks, const char* key) {
    std::vector<Hook> out;
    if (auto v = hooks.get(key))
        for (const auto& item : v->as_array()) out.push_back(parse_hook(item));
    return out;
}

std::vector<IdMapping> parse_mappings(const JsonReader& r) {
    std::vector<IdMapping> out;
    for (const auto& item : r.as_array()) {
        IdMapping m{as_u32(item.at("containerID")), as_u32(item.at("hostID")), as_u32(item.at("size"))};
        if (m.size == 0) item.at("size").fail("mapping size must be greater than zero");
        out.push_back(m);
    }
    return out;
}

char parse_device_type(const JsonReader& r, bool allow_all) {
    std::string t = r.as_string();
    if (t == "c" || t == "b" || t == "u" || t == "p") return t[0];
    if (allow_all && t == "a") return 'a';
    r.fail("unknown device type " + quote(t));
}

Device parse_device(const JsonReader& r) {
    Device d;
    d.path = r.at("path").as_string();
    if (d.path.empty() || d.path[0] != '/') r.at("path").fail("must be an absolute path");
    d.type = parse_device_type(r.at("type"), false);
    if (d.type != 'p') {
        d.major = r.at("major").as_int();
        d.minor = r.at("minor").as_int();
    }
    if (auto v = r.get("fileMode")) d.file_mode = as_u32(*v);
    if (auto v = r.get("uid")) d.uid = as_user_id(*v);
    if (auto v = r.get("gid")) d.gid = as_user_id(*v);
    return d;
}

}  // namespace

const Namespace* Linux::find_namespace(const std::string& type) const {
    for (const auto& ns : namespaces)
        if (ns.type == type) return &ns;
    return nullptr;
}

int namespace_clone_flag(const std::string& type) {
    for (const auto& k : kNamespaces)
        if (type == k.type) return k.flag;
    return -1;
}

const char* namespace_proc_name(const std::string& type) {
    for (const auto& k : kNamespaces)
        if (type == k.type) return k.proc_name;
    return nullptr;
}

unsigned long parse_personality(const JsonReader& v) {
    auto domain = v.at("domain");
    std::string name = domain.as_string();
    if (auto f = v.get("flags"); f && !f->as_string_array().empty())
        f->fail("personality flags are not supported by box");
    if (name == "LINUX") return 0x0000;    // PER_LINUX
    if (name == "LINUX32") return 0x0008;  // PER_LINUX32
    domain.fail("unknown personality domain " + quote(name) + " (LINUX or LINUX32)");
}

bool is_cpu_list(const std::string& text) {
    // The kernel's list format: "", "N", "N-M", comma separated, each range ascending.
    size_t i = 0;
    auto number = [&](unsigned long& out) {
        size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        if (i == start || i - start > 9) return false;
        out = std::stoul(text.substr(start, i - start));
        return true;
    };
    while (i < text.size()) {
        unsigned long lo = 0, hi = 0;
        if (!number(lo)) return false;
        if (i < text.size() && text[i] == '-') {
            ++i;
            if (!number(hi) || hi < lo) return false;
        }
        if (i == text.size()) break;
        if (text[i] != ',' || ++i == text.size()) return false;
    }
    return true;
}

Resources parse_resources(const JsonReader& r) {
    Resources res;
    if (auto devices = r.get("devices")) {
        for (const auto& item : devices->as_array()) {
            DeviceRule rule;
            rule.allow = item.at("allow").as_bool();
            if (auto t = item.get("type")) rule.type = parse_device_type(*t, true);
            if (auto v = item.get("major")) rule.major = v->as_int();
            if (auto v = item.get("minor")) rule.minor = v->as_int();
            if (auto v = item.get("access")) {
                // As runc: the set of r, w and m in the string, in any order and repeated;
                // other letters ("rwa") grant nothing. With none of r, w, m runc fails
                // ("RWM" would deny nothing): box refuses it, naming it.
                std::string given = v->as_string();
                if (given.empty()) v->fail("must not be empty (a combination of r, w and m)");
                rule.access.clear();
                for (char c : {'r', 'w', 'm'})
                    if (given.find(c) != std::string::npos) rule.access += c;
                if (rule.access.empty()) v->fail(quote(given) + " has none of r, w and m");
            }
            res.devices.push_back(rule);
        }
    }
    // A 0 (or "") means "not set" to runc, and engines send it for every limit the user did not
    // give (Docker: cpu.shares 0, blockIO.weight 0, ...): such a value is not written at all.
    auto nonzero = [](std::optional<int64_t> v) { return v && *v == 0 ? std::nullopt : v; };
    if (auto mem = r.get("memory")) {
        auto signed_limit = [&](const char* key) -> std::optional<int64_t> {
            auto v = mem->get(key);
            if (!v) return std::nullopt;
            int64_t x = v->as_int();
            if (x < -1) v->fail("must be -1 (unlimited) or a non-negative number of bytes");
            return x;
        };
        res.memory_limit = nonzero(signed_limit("limit"));
        res.memory_reservation = nonzero(signed_limit("reservation"));
        res.memory_swap = nonzero(signed_limit("swap"));
        if (res.memory_limit && res.memory_swap && *res.memory_limit > 0 && *res.memory_swap > 0 &&
            *res.memory_swap < *res.memory_limit)
            mem->at("swap").fail("memory+swap (" + std::to_string(*res.memory_swap) +
                                 ") must not be below memory.limit (" + std::to_string(*res.memory_limit) + ")");
        if (auto v = mem->get("swappiness")) {
            // -1 (also as the unsigned 2^64-1 older engines send) leaves the kernel's default, as in runc.
            if (v->raw().is_number_integer() && v->raw().get<int64_t>() == -1) {
            } else if (v->raw().is_number_unsigned() && v->raw().get<uint64_t>() == UINT64_MAX) {
            } else {
                res.memory_swappiness = v->as_uint();
                if (*res.memory_swappiness > 100) v->fail("must be between 0 and 100");
            }
        }
        if (auto v = mem->get("disableOOMKiller"); v && v->as_bool()) res.disable_oom_killer = true;
        if (auto v = mem->get("kernel")) res.memory_kernel = nonzero(v->as_int());
        if (auto v = mem->get("kernelTCP")) res.memory_kernel_tcp = nonzero(v->as_int());
    }
    if (auto cpu = r.get("cpu")) {
        auto unsigned_value = [&](const char* key) -> std::optional<uint64_t> {
            auto v = cpu->get(key);
            if (!v || v->as_uint() == 0) return std::nullopt;
            return v->as_uint();
        };
        if ((res.cpu_shares = unsigned_value("shares")) && (*res.cpu_shares < 2 || *res.cpu_shares > 262144))
            cpu->at("shares").fail("must be between 2 and 262144 (the kernel's range), or 0 for the default");
        if (auto v = cpu->get("quota")) {
            res.cpu_quota = nonzero(v->as_int());
            if (res.cpu_quota && *res.cpu_quota < -1) v->fail("must be -1 (unlimited), positive, or 0 for unset");
        }
        res.cpu_period = unsigned_value("period");
        for (auto [key, field] : {std::pair{"cpus", &res.cpu_cpus}, std::pair{"mems", &res.cpu_mems}}) {
            if (auto v = cpu->get(key)) {
                std::string list = v->as_string();
                if (!is_cpu_list(list)) v->fail("must be a list like \"0-3,5\", got " + quote(list));
                if (!list.empty()) *field = list;
            }
        }
        if (auto v = cpu->get("realtimeRuntime")) {
            res.cpu_rt_runtime = nonzero(v->as_int());
            if (res.cpu_rt_runtime && *res.cpu_rt_runtime < -1) v->fail("must be -1 (unlimited) or positive");
        }
        res.cpu_rt_period = unsigned_value("realtimePeriod");
        if (auto v = cpu->get("idle")) {
            res.cpu_idle = v->as_int();
            if (*res.cpu_idle != 0 && *res.cpu_idle != 1) v->fail("must be 0 or 1");
        }
    }
    if (auto io = r.get("blockIO")) {
        auto weight = [](const std::optional<JsonReader>& v) -> std::optional<uint16_t> {
            if (!v) return std::nullopt;
            uint64_t w = v->as_uint();
            if (w == 0) return std::nullopt;
            if (w < 10 || w > 1000) v->fail("must be between 10 and 1000, or 0 for unset");
            return static_cast<uint16_t>(w);
        };
        res.blkio_weight = weight(io->get("weight"));
        res.blkio_leaf_weight = weight(io->get("leafWeight"));
        if (auto v = io->get("weightDevice"))
            for (const auto& d : v->as_array()) {
                WeightDevice wd{d.at("major").as_int(), d.at("minor").as_int(), weight(d.get("weight")),
                                weight(d.get("leafWeight"))};
                if (wd.weight || wd.leaf_weight) res.blkio_weight_devices.push_back(wd);
            }
        auto throttle = [&](const char* key, std::vector<ThrottleDevice>& out) {
            if (auto v = io->get(key))
                for (const auto& d : v->as_array())
                    out.push_back({d.at("major").as_int(), d.at("minor").as_int(), d.at("rate").as_uint()});
        };
        throttle("throttleReadBpsDevice", res.throttle_read_bps);
        throttle("throttleWriteBpsDevice", res.throttle_write_bps);
        throttle("throttleReadIOPSDevice", res.throttle_read_iops);
        throttle("throttleWriteIOPSDevice", res.throttle_write_iops);
    }
    if (auto hp = r.get("hugepageLimits"))
        for (const auto& h : hp->as_array()) {
            HugepageLimit l{h.at("pageSize").as_string(), h.at("limit").as_uint()};
            if (l.page_size.empty() || l.page_size.find('/') != std::string::npos)
                h.at("pageSize").fail("invalid page size");
            res.hugepage_limits.push_back(l);
        }
    if (auto net = r.get("network")) {
        if (auto v = net->get("classID")) {
            uint64_t id = v->as_uint();
            if (id > UINT32_MAX) v->fail("value out of range");
            res.net_class_id = static_cast<uint32_t>(id);
        }
        if (auto v = net->get("priorities"))
            for (const auto& p : v->as_array()) {
                uint64_t prio = p.at("priority").as_uint();
                if (prio > UINT32_MAX) p.at("priority").fail("value out of range");
                res.net_priorities.emplace_back(p.at("name").as_string(), static_cast<uint32_t>(prio));
            }
    }
    if (auto pids = r.get("pids")) {
        auto v = pids->at("limit");
        res.pids_limit = nonzero(v.as_int());
        if (res.pids_limit && *res.pids_limit < -1) v.fail("must be -1 (unlimited), positive, or 0 for unset");
    }
    if (auto unified = r.get("unified"))
        for (const auto& [k, v] : unified->as_object()) {
            if (k.find('/') != std::string::npos || k.find("..") != std::string::npos)
                v.fail("invalid cgroup file name");
            res.unified[k] = v.as_string();
        }
    return res;
}

Hooks parse_hooks(const Json& config) {
    Hooks hooks;
    if (!config.is_object()) return hooks;
    JsonReader r(config, "config.json");
    if (auto h = r.get("hooks")) {
        hooks.prestart = parse_hook_list(*h, "prestart");
        hooks.create_runtime = parse_hook_list(*h, "createRuntime");
        hooks.create_container = parse_hook_list(*h, "createContainer");
        hooks.start_container = parse_hook_list(*h, "startContainer");
        hooks.poststart = parse_hook_list(*h, "poststart");
        hooks.poststop = parse_hook_list(*h, "poststop");
    }
    return hooks;
}

Process parse_process(const JsonReader& r) {
    Process p;
    p.terminal = r.bool_or("terminal", false);
    if (auto cs = r.get("consoleSize")) p.console_size = ConsoleSize{as_u32(cs->at("height")), as_u32(cs->at("width"))};
    if (auto user = r.get("user")) {
        p.user.uid = user->get("uid") ? as_user_id(user->at("uid")) : 0;
        p.user.gid = user->get("gid") ? as_user_id(user->at("gid")) : 0;
        if (auto v = user->get("umask")) {
            p.user.umask = as_u32(*v);
            if (*p.user.umask > 0777) v->fail("must be between 0 and 0777");
        }
        if (auto v = user->get("additionalGids"))
            for (const auto& g : v->as_array()) p.user.additional_gids.push_back(as_user_id(g));
        if (auto v = user->get("username"); v && !v->as_string().empty())
            v->fail("user names are not resolved by the runtime; give uid and gid");
    }
    auto args = r.get("args");
    if (!args || args->as_array().empty())
        JsonReader(r.raw(), r.label(), r.child_path("args")).fail("must be a non-empty array");
    p.args = args->as_string_array();
    if (p.args[0].empty()) args->as_array()[0].fail("must not be empty");
    if (auto v = r.get("env")) {
        p.env = v->as_string_array();
        auto items = v->as_array();
        for (size_t i = 0; i < p.env.size(); ++i)
            if (p.env[i].find('=') == std::string::npos) items[i].fail("must have the form KEY=value");
    }
    auto cwd = r.get("cwd");
    if (cwd) {
        p.cwd = cwd->as_string();
        if (p.cwd.empty() || p.cwd[0] != '/') cwd->fail("must be an absolute path");
    }
    if (auto v = r.get("capabilities")) p.capabilities = parse_capabilities(*v);
    if (auto v = r.get("rlimits")) {
        std::set<int> seen;
        for (const auto& item : v->as_array()) {
            Rlimit l;
            l.type = item.at("type").as_string();
            l.resource = rlimit_from_name(l.type);
            if (l.resource < 0) item.at("type").fail("unknown rlimit " + quote(l.type));
            if (!seen.insert(l.resource).second) item.at("type").fail("duplicate rlimit " + quote(l.type));
            l.soft = item.at("soft").as_uint();
            l.hard = item.at("hard").as_uint();
            if (l.soft > l.hard)
                item.fail("soft limit " + std::to_string(l.soft) + " is above hard limit " + std::to_string(l.hard));
            p.rlimits.push_back(l);
        }
    }
    p.no_new_privileges = r.bool_or("noNewPrivileges", false);
    if (auto v = r.get("oomScoreAdj")) {
        int64_t adj = v->as_int();
        if (adj < -1000 || adj > 1000) v->fail("must be between -1000 and 1000, got " + std::to_string(adj));
        p.oom_score_adj = static_cast<int>(adj);
    }
    p.apparmor_profile = r.string_or("apparmorProfile", "");
    p.selinux_label = r.string_or("selinuxLabel", "");
    return p;
}

Spec parse_spec(const std::string& text, const std::string& label) {
    Json doc = parse_json(text, label);
    JsonReader r(doc, label);
    if (!doc.is_object()) r.fail("expected object, got " + std::string(json_type_name(doc)));
    Spec spec;
    spec.raw = doc;
    spec.oci_version = r.at("ociVersion").as_string();
    auto root = r.at("root");
    spec.root_path = root.at("path").as_string();
    if (spec.root_path.empty()) root.at("path").fail("must not be empty");
    spec.root_readonly = root.bool_or("readonly", false);
    if (auto p = r.get("process")) spec.process = parse_process(*p);
    spec.hostname = r.string_or("hostname", "");
    if (auto v = r.get("domainname")) spec.domainname = v->as_string();
    if (auto m = r.get("mounts"))
        for (const auto& item : m->as_array()) spec.mounts.push_back(parse_mount(item));
    if (auto a = r.get("annotations"))
        for (const auto& [k, v] : a->as_object()) spec.annotations[k] = v.as_string();
    spec.hooks = parse_hooks(doc);
    if (auto l = r.get("linux")) {
        Linux& lx = spec.linux;
        if (auto ns = l->get("namespaces")) {
            std::set<std::string> seen;
            for (const auto& item : ns->as_array()) {
                Namespace n;
                auto type = item.at("type");
                n.type = type.as_string();
                if (namespace_clone_flag(n.type) < 0) type.fail("unknown namespace type " + quote(n.type));
                if (!seen.insert(n.type).second) type.fail("duplicate namespace type " + quote(n.type));
                n.path = item.string_or("path", "");
                if (!n.path.empty() && n.path[0] != '/') item.at("path").fail("must be an absolute path");
                lx.namespaces.push_back(n);
            }
        }
        if (auto v = l->get("uidMappings")) lx.uid_mappings = parse_mappings(*v);
        if (auto v = l->get("gidMappings")) lx.gid_mappings = parse_mappings(*v);
        if (auto v = l->get("devices"))
            for (const auto& item : v->as_array()) lx.devices.push_back(parse_device(item));
        lx.cgroups_path = l->string_or("cgroupsPath", "");
        if (auto v = l->get("resources")) lx.resources = parse_resources(*v);
        if (auto v = l->get("rootfsPropagation")) {
            lx.rootfs_propagation = v->as_string();
            static const std::set<std::string> kProp = {"",       "private", "rprivate",   "slave",      "rslave",
                                                        "shared", "rshared", "unbindable", "runbindable"};
            if (!kProp.count(lx.rootfs_propagation)) v->fail("unknown propagation " + quote(lx.rootfs_propagation));
        }
        if (auto v = l->get("sysctl"))
            for (const auto& [k, val] : v->as_object()) lx.sysctl[k] = val.as_string();
        if (auto v = l->get("maskedPaths")) lx.masked_paths = v->as_string_array();
        if (auto v = l->get("readonlyPaths")) lx.readonly_paths = v->as_string_array();
        if (auto v = l->get("seccomp")) {
            v->as_object();  // type check now; the filter is compiled later
            lx.seccomp = v->raw();
        }
        if (auto v = l->get("intelRdt")) v->fail("not supported by box");
        // A time namespace would start with zero offsets: silently dropping them would lie to the container.
        if (auto v = l->get("timeOffsets")) v->fail("not supported by box");
        if (auto v = l->get("personality")) lx.personality = parse_personality(*v);
        lx.mount_label = l->string_or("mountLabel", "");
    }
    return spec;
}

Spec load_bundle_spec(const std::string& bundle) {
    struct stat st {};
    if (::stat(bundle.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
        throw Error("bundle " + quote(bundle) + " does not exist");
    std::string path = bundle + "/config.json";
    std::ifstream in(path);
    if (!in) throw Error("config.json not found in bundle " + quote(bundle));
    std::stringstream buf;
    buf << in.rdbuf();
    Spec spec = parse_spec(buf.str(), "config.json");
    if (spec.root_path[0] != '/') spec.root_path = bundle + "/" + spec.root_path;
    char resolved[PATH_MAX];
    if (!::realpath(spec.root_path.c_str(), resolved) || ::stat(resolved, &st) < 0 || !S_ISDIR(st.st_mode))
        throw Error("rootfs " + quote(spec.root_path) + " does not exist");
    spec.root_path = resolved;
    return spec;
}

}  // namespace box

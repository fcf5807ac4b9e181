#include "spec_template.hpp"

#include "version.hpp"

namespace box {

Json default_spec() {
    Json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    return Json{
        {"ociVersion", kOciVersion},
        {"process",
         {{"terminal", true},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"sh"}},
          {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
          {"cwd", "/"},
          {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
          {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "box"},
        {"mounts",
         {
             {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
             {{"destination", "/dev"},
              {"type", "tmpfs"},
              {"source", "tmpfs"},
              {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
             {{"destination", "/dev/pts"},
              {"type", "devpts"},
              {"source", "devpts"},
              {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
             {{"destination", "/dev/shm"},
              {"type", "tmpfs"},
              {"source", "shm"},
              {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
             {{"destination", "/dev/mqueue"},
              {"type", "mqueue"},
              {"source", "mqueue"},
              {"options", {"nosuid", "noexec", "nodev"}}},
             {{"destination", "/sys"},
              {"type", "sysfs"},
              {"source", "sysfs"},
              {"options", {"nosuid", "noexec", "nodev", "ro"}}},
             {{"destination", "/sys/fs/cgroup"},
              {"type", "cgroup"},
              {"source", "cgroup"},
              {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
         }},
        {"linux",
         {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
          {"namespaces",
           {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}}},
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
          {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
    };
}

Json rootless_spec(unsigned uid, unsigned gid) {
    Json spec = default_spec();
    // runc's rootless linux section, in its order: the mappings first, no resources
    // (no cgroup to apply them to) and no network namespace (the host's network stays
    // usable); a user namespace instead.
    const Json base = spec["linux"];
    Json namespaces = Json::array();
    for (const auto& ns : base["namespaces"])
        if (ns["type"] != "network") namespaces.push_back(ns);
    namespaces.push_back({{"type", "user"}});
    spec["linux"] = Json{
        {"uidMappings", {{{"containerID", 0}, {"hostID", uid}, {"size", 1}}}},
        {"gidMappings", {{{"containerID", 0}, {"hostID", gid}, {"size", 1}}}},
        {"namespaces", namespaces},
        {"maskedPaths", base["maskedPaths"]},
        {"readonlyPaths", base["readonlyPaths"]},
    };
    // sysfs cannot be mounted without a network namespace of our own: bind the host's.
    // devpts's gid=5 may not be mapped.
    for (auto& m : spec["mounts"]) {
        if (m["destination"] == "/sys") {
            m = {{"destination", "/sys"},
                 {"type", "none"},
                 {"source", "/sys"},
                 {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}};
        } else if (m["type"] == "devpts") {
            Json opts = Json::array();
            for (const auto& o : m["options"])
                if (o.get<std::string>().rfind("gid=", 0) != 0) opts.push_back(o);
            m["options"] = opts;
        }
    }
    return spec;
}

}  // namespace box

#include "mounts.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "bind_sources.hpp"
#include "cgroups.hpp"
#include "devices.hpp"
#include "error.hpp"
#include "tree.hpp"

namespace box {
namespace {

struct OptionFlag {
    const char* name;
    bool clear;
    unsigned long flag;
};

constexpr OptionFlag kFlags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"acl", false, MS_POSIXACL},
    {"noacl", true, MS_POSIXACL},
    {"iversion", false, MS_I_VERSION},
    {"noiversion", true, MS_I_VERSION},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"defaults", false, 0},
};

// The recursive options (runc 1.1's list): MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE).
struct RecursiveOption {
    const char* name;
    bool clear;
    uint64_t attr;
};

constexpr RecursiveOption kRecursive[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

// The access-time mode is one value (the kernel wants MOUNT_ATTR__ATIME cleared to set it);
// "not noatime" and "not strictatime" mean the default, relatime; "norelatime" strictatime.
constexpr std::pair<const char*, uint64_t> kRecursiveAtime[] = {
    {"rnoatime", MOUNT_ATTR_NOATIME},         {"ratime", MOUNT_ATTR_RELATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME},       {"rnorelatime", MOUNT_ATTR_STRICTATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", MOUNT_ATTR_RELATIME},
};

constexpr std::pair<const char*, unsigned long> kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int sys_openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve) {
    open_how how{};
    how.flags = flags;
    how.resolve = resolve;
    return static_cast<int>(syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

void do_mount(const char* source, const std::string& target, const char* type, unsigned long flags, const char* data,
              const std::string& what) {
    if (::mount(source, target.c_str(), type, flags, data) < 0) throw_errno(what);
}

// Flags a bind mount inherits from its source that an unprivileged remount may not drop.
unsigned long locked_flags(const std::string& path) {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) < 0) return 0;
    unsigned long f = 0;
    if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) f |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (st.f_flag & ST_RDONLY) f |= MS_RDONLY;
    if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

// Mount the cgroup filesystem the way the host has it: cgroup2, or a tmpfs of v1 hierarchies.
void mount_cgroups(int rootfd, const Mount& m, const MountOptions& opts, const RootfsContext& ctx,
                   const std::string& what) {
    unsigned long flags = opts.flags & ~MS_RDONLY;
    UniqueFd target = open_in_root(rootfd, m.destination, true, false);
    CgroupMode mode = detect_cgroup_mode();
    auto leaf_for = [&](const std::string& mountpoint) -> std::string {
        for (const auto& d : ctx.cgroup_dirs)
            if (d.rfind(mountpoint + "/", 0) == 0 || d == mountpoint) return d;
        return mountpoint;
    };
    if (mode == CgroupMode::V2) {
        if (ctx.cgroup_namespace) {
            do_mount("cgroup2", fd_path(target.get()), "cgroup2", opts.flags, nullptr, what);
        } else {
            do_mount(leaf_for("/sys/fs/cgroup").c_str(), fd_path(target.get()), nullptr, MS_BIND | MS_REC, nullptr,
                     what);
            UniqueFd mounted = open_in_root(rootfd, m.destination, false, false);
            do_mount(nullptr, fd_path(mounted.get()), nullptr, MS_REMOUNT | MS_BIND | opts.flags, nullptr, what);
        }
        return;
    }
    do_mount("tmpfs", fd_path(target.get()), "tmpfs", flags, "mode=755", what);
    // The tmpfs is ours and new, and no container process runs yet: nothing in it can be a
    // symlink, so each hierarchy's directory is made and opened relative to it (no walk from
    // the root per hierarchy).
    UniqueFd tmpfs = open_in_root(rootfd, m.destination, false, false);
    auto open_sub = [&](const std::string& name, const std::string& step) {
        UniqueFd fd(::openat(tmpfs.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) throw_errno(what + " (" + name + ", " + step + ")");
        return fd;
    };
    for (const auto& h : cgroup_hierarchies()) {
        std::string name = h.mountpoint.substr(h.mountpoint.rfind('/') + 1);
        if (::mkdirat(tmpfs.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
            throw_errno(what + " (" + name + ", mkdir)");
        UniqueFd sub = open_sub(name, "open");
        do_mount(leaf_for(h.mountpoint).c_str(), fd_path(sub.get()), nullptr, MS_BIND, nullptr,
                 what + " (" + name + ")");
        UniqueFd mounted = open_sub(name, "open the bind mount");  // the lookup enters the new mount
        do_mount(nullptr, fd_path(mounted.get()), nullptr, MS_REMOUNT | MS_BIND | opts.flags, nullptr,
                 what + " (" + name + ")");
    }
    if (opts.flags & MS_RDONLY)
        do_mount(nullptr, fd_path(tmpfs.get()), nullptr, MS_REMOUNT | opts.flags, "mode=755", what);
}

// rro, rnosuid ...: the new mount and every mount below it (an rbind brings the submounts).
void apply_recursive_options(int rootfd, const Mount& m, const MountOptions& opts, const std::string& what) {
    if (opts.attr_set == 0 && opts.attr_clr == 0) return;
    UniqueFd mounted = open_in_root(rootfd, m.destination, false, false);
    mount_attr attr{};
    attr.attr_set = opts.attr_set;
    attr.attr_clr = opts.attr_clr;
    if (::mount_setattr(mounted.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        throw_errno(what + " (recursive options)");
}

// proc and sysfs go on an ordinary directory of the rootfs, as runc requires: a symlink there
// would put the container's /proc (which masked and read-only paths rely on) elsewhere.
UniqueFd ordinary_directory(int rootfd, const Mount& m, size_t index) {
    std::string dest = m.destination;
    while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
    size_t slash = dest.rfind('/');
    std::string leaf = dest.substr(slash + 1);
    UniqueFd parent = open_in_root(rootfd, slash == 0 ? "/" : dest.substr(0, slash), true, false);
    std::string what = "mounts[" + std::to_string(index) + "]: filesystem " + quote(m.type) +
                       " must be mounted on an ordinary directory";
    struct stat st {};
    if (leaf.empty() || leaf == "." || leaf == "..") throw Error(what + ", not " + quote(m.destination));
    if (::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT) throw_errno(what);
        if (::mkdirat(parent.get(), leaf.c_str(), 0755) < 0 && errno != EEXIST) throw_errno(what);
    } else if (!S_ISDIR(st.st_mode)) {
        throw Error(what + ": " + quote(m.destination) + " in the rootfs is " +
                    (S_ISLNK(st.st_mode) ? "a symlink" : "not a directory"));
    }
    UniqueFd dir(::openat(parent.get(), leaf.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) throw_errno(what + ": " + quote(m.destination));
    return dir;
}

void mount_one(int rootfd, const Mount& m, size_t index, const RootfsContext& ctx) {
    std::string what = "mounts[" + std::to_string(index) + "]: mounting " + (m.type.empty() ? "bind" : m.type) +
                       " on " + quote(m.destination);
    auto config_error = [&](const std::string& field, const std::string& why) {
        return Error("config.json: mounts[" + std::to_string(index) + "]." + field + ": " + why);
    };
    MountOptions opts = parse_mount_options(m.options);
    if (m.type == "cgroup" || m.type == "cgroup2") {
        mount_cgroups(rootfd, m, opts, ctx, what);
        apply_recursive_options(rootfd, m, opts, what);
        return;
    }
    if (is_bind_mount(m)) {
        std::string source = bind_source_path(m, index, ctx.bundle);
        struct stat st {};
        if (index < ctx.bind_sources.size() && ctx.bind_sources[index]) {
            // Opened by box create, as the caller: bound through the fd, not the path.
            if (::fstat(ctx.bind_sources[index].get(), &st) < 0) throw_errno(what + ": " + quote(source));
            source = fd_path(ctx.bind_sources[index].get());
        } else if (::stat(source.c_str(), &st) < 0) {
            throw config_error("source", quote(source) + " does not exist");
        }
        UniqueFd target = open_in_root(rootfd, m.destination, true, !S_ISDIR(st.st_mode));
        do_mount(source.c_str(), fd_path(target.get()), nullptr, MS_BIND | (opts.recursive ? MS_REC : 0), nullptr,
                 what);
        // Options other than the bind itself need a remount of the new mount.
        unsigned long extra = opts.flags & ~(MS_REMOUNT);
        UniqueFd mounted = open_in_root(rootfd, m.destination, false, false);
        if (extra) {
            unsigned long flags = MS_REMOUNT | MS_BIND | extra;
            if (ctx.in_user_namespace) flags |= locked_flags(source) & ~MS_RDONLY;
            do_mount(nullptr, fd_path(mounted.get()), nullptr, flags, nullptr, what + " (remount)");
        }
        apply_recursive_options(rootfd, m, opts, what);
        if (opts.propagation)
            do_mount(nullptr, fd_path(mounted.get()), nullptr, opts.propagation, nullptr, what + " (propagation)");
        return;
    }
    if (m.type.empty()) throw config_error("type", "required for a mount that is not a bind mount");
    UniqueFd target = (m.type == "proc" || m.type == "sysfs") ? ordinary_directory(rootfd, m, index)
                                                              : open_in_root(rootfd, m.destination, true, false);
    std::string source = m.source.empty() ? m.type : m.source;
    UniqueFd covered;
    if (opts.copy_up) {
        if (m.type != "tmpfs") throw config_error("options", "tmpcopyup needs a tmpfs mount");
        covered.reset(::openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!covered) throw_errno(what + " (tmpcopyup)");
    }
    const char* data = opts.data.empty() ? nullptr : opts.data.c_str();
    if (::mount(source.c_str(), fd_path(target.get()).c_str(), m.type.c_str(), opts.flags, data) < 0) {
        int err = errno;
        // Without its own network namespace a user namespace cannot mount sysfs: bind the host's.
        if (m.type == "sysfs" && (err == EPERM || err == EBUSY) && ctx.in_user_namespace) {
            do_mount("/sys", fd_path(target.get()), nullptr, MS_BIND | MS_REC, nullptr, what);
            UniqueFd mounted = open_in_root(rootfd, m.destination, false, false);
            do_mount(nullptr, fd_path(mounted.get()), nullptr, MS_REMOUNT | MS_BIND | opts.flags | locked_flags("/sys"),
                     nullptr, what);
        } else if (m.type == "devpts" && err == EINVAL && opts.data.find("gid=") != std::string::npos &&
                   ctx.in_user_namespace) {
            // gid 5 (tty) is often not mapped in a user namespace: mount without it, as runc does.
            std::string d2;
            size_t start = 0;
            while (start <= opts.data.size()) {
                size_t end = opts.data.find(',', start);
                std::string part = opts.data.substr(start, end == std::string::npos ? std::string::npos : end - start);
                if (part.rfind("gid=", 0) != 0 && !part.empty()) d2 += (d2.empty() ? "" : ",") + part;
                if (end == std::string::npos) break;
                start = end + 1;
            }
            do_mount(source.c_str(), fd_path(target.get()), m.type.c_str(), opts.flags, d2.c_str(), what);
        } else {
            throw_errno(what, err);
        }
    }
    if (covered) {
        UniqueFd mounted(::open(fd_path(open_in_root(rootfd, m.destination, false, false).get()).c_str(),
                                O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!mounted) throw_errno(what + " (tmpcopyup)");
        copy_tree(covered.get(), mounted.get(), what + " (tmpcopyup)");
    }
    apply_recursive_options(rootfd, m, opts, what);
    if (opts.propagation) {
        UniqueFd mounted = open_in_root(rootfd, m.destination, false, false);
        do_mount(nullptr, fd_path(mounted.get()), nullptr, opts.propagation, nullptr, what + " (propagation)");
    }
}

bool spec_mounts(const Spec& spec, const std::string& dest, const char* type) {
    for (const auto& m : spec.mounts)
        if (m.destination == dest && (type == nullptr || m.type == type)) return true;
    return false;
}

void remount_readonly(const std::string& path, unsigned long extra) {
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | extra | (locked_flags(path) & ~MS_RDONLY);
    if (::mount(nullptr, path.c_str(), nullptr, flags, nullptr) < 0)
        throw_errno("making " + quote(path) + " read-only");
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions out;
    for (const auto& o : options) {
        bool known = false;
        for (const auto& f : kFlags)
            if (o == f.name) {
                if (f.clear)
                    out.flags &= ~f.flag;
                else
                    out.flags |= f.flag;
                known = true;
            }
        for (const auto& [name, flag] : kPropagation)
            if (o == name) {
                out.propagation = flag;
                known = true;
            }
        for (const auto& r : kRecursive)
            if (o == r.name) {
                (r.clear ? out.attr_clr : out.attr_set) |= r.attr;
                (r.clear ? out.attr_set : out.attr_clr) &= ~r.attr;
                known = true;
            }
        for (const auto& [name, attr] : kRecursiveAtime)
            if (o == name) {
                out.attr_set = (out.attr_set & ~MOUNT_ATTR__ATIME) | attr;
                out.attr_clr |= MOUNT_ATTR__ATIME;
                known = true;
            }
        if (o == "bind") out.bind = known = true;
        if (o == "tmpcopyup") out.copy_up = known = true;
        if (o == "rbind") out.bind = out.recursive = known = true;
        if (!known && !o.empty()) out.data += (out.data.empty() ? "" : ",") + o;
    }
    return out;
}

bool is_bind_mount(const Mount& m) {
    // A cgroup mount is made as the host has cgroupfs, whatever its options say (mount_cgroups).
    if (m.type == "cgroup" || m.type == "cgroup2") return false;
    return m.type == "bind" || parse_mount_options(m.options).bind;
}

std::vector<std::string> known_mount_options() {
    std::vector<std::string> out = {"bind", "rbind", "tmpcopyup"};
    for (const auto& f : kFlags) out.emplace_back(f.name);
    for (const auto& [name, flag] : kPropagation) out.emplace_back(name);
    for (const auto& r : kRecursive) out.emplace_back(r.name);
    for (const auto& [name, attr] : kRecursiveAtime) out.emplace_back(name);
    std::sort(out.begin(), out.end());
    return out;
}

void validate_mount_options(const std::vector<Mount>& mounts) {
    for (size_t i = 0; i < mounts.size(); ++i) {
        const Mount& m = mounts[i];
        MountOptions opts = parse_mount_options(m.options);
        // Other filesystems get the rest as their data, and the kernel refuses what they do not know.
        if (!opts.bind && m.type != "bind" && m.type != "cgroup" && m.type != "cgroup2") continue;
        for (size_t j = 0; j < m.options.size(); ++j)
            if (!m.options[j].empty() && !parse_mount_options({m.options[j]}).data.empty())
                throw Error("config.json: mounts[" + std::to_string(i) + "].options[" + std::to_string(j) +
                            "]: unknown mount option " + quote(m.options[j]) + " (see box features)");
    }
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

namespace {

// The usual case of open_in_root's creation: only the leaf is missing. Resolves the parent
// once and makes the leaf in it; an empty fd sends the caller to the walk, which also
// handles a missing parent and a dangling symlink at the leaf (mkdirat gives EEXIST).
UniqueFd create_leaf_in_existing_parent(int rootfd, const std::string& path, bool leaf_is_file) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    size_t slash = p.rfind('/');
    std::string parent = slash == std::string::npos || slash == 0 ? "/" : p.substr(0, slash);
    std::string leaf = slash == std::string::npos ? p : p.substr(slash + 1);
    if (leaf.empty() || leaf == "." || leaf == "..") return {};
    UniqueFd dir(
        sys_openat2(rootfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
    if (!dir) return {};
    int rc =
        leaf_is_file ? ::mknodat(dir.get(), leaf.c_str(), S_IFREG | 0644, 0) : ::mkdirat(dir.get(), leaf.c_str(), 0755);
    if (rc < 0) return {};
    // Made just now: opened without following anything, in the parent resolved in the root.
    return UniqueFd(::openat(dir.get(), leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
}

}  // namespace

UniqueFd open_in_root(int rootfd, const std::string& path, bool create, bool leaf_is_file) {
    const uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd = sys_openat2(rootfd, path, O_PATH | O_CLOEXEC, resolve);
    if (fd >= 0 || errno != ENOENT || !create) {
        if (fd < 0) throw_errno("resolving " + quote(path) + " in the container's root");
        return UniqueFd(fd);
    }
    if (UniqueFd leaf = create_leaf_in_existing_parent(rootfd, path, leaf_is_file)) return leaf;
    // Create each missing component, resolving the parent inside the root every time.
    // A dangling symlink is followed the same way: its target is created inside the root.
    std::string todo = path, prefix;
    for (int links = 0; links < 40;) {
        size_t start = todo.find_first_not_of('/');
        if (start == std::string::npos) break;
        size_t end = todo.find('/', start);
        std::string part = todo.substr(start, end == std::string::npos ? std::string::npos : end - start);
        todo = end == std::string::npos ? "" : todo.substr(end);
        if (part == ".") continue;
        std::string parent = prefix.empty() ? "/" : prefix;
        std::string here = prefix + "/" + part;
        int probe = sys_openat2(rootfd, here, O_PATH | O_CLOEXEC, resolve);
        if (probe >= 0) {
            ::close(probe);
            prefix = here;
            continue;
        }
        if (errno != ENOENT) throw_errno("resolving " + quote(here) + " in the container's root");
        UniqueFd parent_fd(sys_openat2(rootfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, resolve));
        if (!parent_fd) throw_errno("resolving " + quote(parent) + " in the container's root");
        char target[4096];
        ssize_t n = ::readlinkat(parent_fd.get(), part.c_str(), target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            ++links;
            // Absolute targets are relative to the container's root; relative ones to the parent.
            todo = (target[0] == '/' ? std::string(target) : parent + "/" + target) + todo;
            prefix.clear();
            continue;
        }
        bool leaf = todo.find_first_not_of('/') == std::string::npos;
        int rc = (leaf && leaf_is_file) ? ::mknodat(parent_fd.get(), part.c_str(), S_IFREG | 0644, 0)
                                        : ::mkdirat(parent_fd.get(), part.c_str(), 0755);
        if (rc < 0 && errno != EEXIST) throw_errno("creating " + quote(here) + " in the container's root");
        prefix = here;
    }
    fd = sys_openat2(rootfd, path, O_PATH | O_CLOEXEC, resolve);
    if (fd < 0) throw_errno("resolving " + quote(path) + " in the container's root");
    return UniqueFd(fd);
}

void setup_rootfs(const RootfsContext& ctx) {
    const Spec& spec = ctx.spec;
    // Nothing we mount may propagate back to the host.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0) throw_errno("making / a slave mount");
    if (!spec.linux.rootfs_propagation.empty()) {
        auto o = parse_mount_options({spec.linux.rootfs_propagation});
        if (o.propagation & (MS_PRIVATE | MS_UNBINDABLE))
            do_mount(nullptr, "/", nullptr, o.propagation | MS_REC, nullptr, "setting rootfsPropagation");
    }
    do_mount(spec.root_path.c_str(), spec.root_path, nullptr, MS_BIND | MS_REC, nullptr,
             "bind-mounting the rootfs " + quote(spec.root_path));
    UniqueFd rootfd(::open(spec.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootfd) throw_errno("opening the rootfs " + quote(spec.root_path));
    bool cgroups_ready = false;
    auto cgroups_now = [&] {
        if (!cgroups_ready && ctx.before_cgroups) ctx.before_cgroups();
        cgroups_ready = true;
    };
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
        if (spec.mounts[i].type == "cgroup" || spec.mounts[i].type == "cgroup2") cgroups_now();
        mount_one(rootfd.get(), spec.mounts[i], i, ctx);
    }
    cgroups_now();
    // A /dev bound from the host is the host's business; a fresh one gets devices and links.
    bool dev_bound = false;
    for (const auto& m : spec.mounts)
        if (m.destination == "/dev" && is_bind_mount(m)) dev_bound = true;
    if (!dev_bound) {
        create_devices(rootfd.get(), spec.linux.devices, ctx.in_user_namespace);
        create_dev_symlinks(rootfd.get(), spec_mounts(spec, "/dev/pts", "devpts"));
    }
}

void chroot_into(const std::string& rootfs) {
    if (::chdir(rootfs.c_str()) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0)
        throw_errno("entering the rootfs " + quote(rootfs) + " (chroot)");
}

void pivot_into_rootfs(const std::string& rootfs) {
    UniqueFd oldroot(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    UniqueFd newroot(::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!oldroot || !newroot) throw_errno("opening roots for pivot_root");
    if (::fchdir(newroot.get()) < 0) throw_errno("entering the rootfs");
    // pivot_root(".", ".") stacks the old root on top of the new one; then detach it.
    if (syscall(SYS_pivot_root, ".", ".") < 0) throw_errno("pivot_root into " + quote(rootfs));
    if (::fchdir(oldroot.get()) < 0) throw_errno("fchdir to the old root");
    if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) throw_errno("making the old root a slave");
    if (::umount2(".", MNT_DETACH) < 0) throw_errno("detaching the old root");
    if (::chdir("/") < 0) throw_errno("chdir to the new root");
}

void finish_rootfs(const Spec& spec) {
    UniqueFd rootfd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    // Paths are mounted over through /proc/self/fd, which needs the container's own /proc.
    if ((!spec.linux.readonly_paths.empty() || !spec.linux.masked_paths.empty()) && ::access("/proc/self/fd", F_OK) < 0)
        throw Error(std::string("linux.") + (spec.linux.masked_paths.empty() ? "readonlyPaths" : "maskedPaths") +
                    ": box needs a proc mount at /proc in the container to apply them (mounts has none)");
    // A symlink is followed, inside the root (as runc does after pivot_root): its target is
    // what gets protected.
    const uint64_t in_root = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (const auto& p : spec.linux.readonly_paths) {
        int fd = sys_openat2(rootfd.get(), p, O_PATH | O_CLOEXEC, in_root);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            throw_errno("linux.readonlyPaths: " + quote(p));
        }
        UniqueFd target(fd);
        do_mount(fd_path(target.get()).c_str(), fd_path(target.get()), nullptr, MS_BIND | MS_REC, nullptr,
                 "linux.readonlyPaths: " + quote(p));
        UniqueFd mounted(sys_openat2(rootfd.get(), p, O_PATH | O_CLOEXEC, in_root));
        if (!mounted) throw_errno("linux.readonlyPaths: " + quote(p));
        remount_readonly(fd_path(mounted.get()), MS_REC);
    }
    for (const auto& p : spec.linux.masked_paths) {
        int fd = sys_openat2(rootfd.get(), p, O_PATH | O_CLOEXEC, in_root);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            throw_errno("linux.maskedPaths: " + quote(p));
        }
        UniqueFd target(fd);
        struct stat st {};
        if (::fstat(target.get(), &st) < 0) throw_errno("linux.maskedPaths: " + quote(p));
        if (S_ISDIR(st.st_mode)) {
            do_mount("tmpfs", fd_path(target.get()), "tmpfs", MS_RDONLY, "size=0k,mode=0555",
                     "linux.maskedPaths: " + quote(p));
        } else {
            do_mount("/dev/null", fd_path(target.get()), nullptr, MS_BIND, nullptr, "linux.maskedPaths: " + quote(p));
        }
    }
    if (spec.root_readonly) remount_readonly("/", 0);
    if (!spec.linux.rootfs_propagation.empty()) {
        auto o = parse_mount_options({spec.linux.rootfs_propagation});
        do_mount(nullptr, "/", nullptr, o.propagation, nullptr, "setting rootfsPropagation on /");
    }
}

}  // namespace box

#include "devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "error.hpp"
#include "mounts.hpp"

namespace box {
namespace {

void split_parent(const std::string& path, std::string& parent, std::string& name) {
    auto pos = path.rfind('/');
    parent = pos == 0 ? "/" : path.substr(0, pos);
    name = path.substr(pos + 1);
}

// The parent directory of the last device made: consecutive devices in the same directory
// (all the default ones are in /dev) resolve it once.
struct ParentDir {
    std::string path;
    UniqueFd fd;
};

void create_device(int rootfd, const Device& d, bool bind_from_host, ParentDir& last) {
    std::string parent, name;
    split_parent(d.path, parent, name);
    if (!last.fd || last.path != parent) {
        last.fd = open_in_root(rootfd, parent, true, false);
        last.path = parent;
    }
    int dir = last.fd.get();
    ::unlinkat(dir, name.c_str(), 0);
    if (bind_from_host) {
        if (::mknodat(dir, name.c_str(), S_IFREG | 0644, 0) < 0 && errno != EEXIST)
            throw_errno("creating mount point for device " + d.path);
        UniqueFd target = open_in_root(rootfd, d.path, false, true);
        if (::mount(d.path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
            throw_errno("bind-mounting device " + d.path + " from the host");
        return;
    }
    mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
    dev_t dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    if (::mknodat(dir, name.c_str(), type | (d.file_mode & 07777), dev) < 0)
        throw_errno("linux.devices: creating " + d.path);
    if (::fchownat(dir, name.c_str(), d.uid, d.gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno("linux.devices: chown of " + d.path);
    // mknod is subject to the umask; set the mode the config asked for exactly.
    if (::fchmodat(dir, name.c_str(), d.file_mode & 07777, 0) < 0) throw_errno("linux.devices: chmod of " + d.path);
}

}  // namespace

std::vector<Device> default_devices() {
    return {
        {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
        {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
        {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
    };
}

void create_devices(int rootfd, const std::vector<Device>& extra, bool bind_from_host) {
    ParentDir last;
    for (const auto& d : default_devices()) create_device(rootfd, d, bind_from_host, last);
    for (const auto& d : extra) {
        bool is_default = false;
        for (const auto& def : default_devices()) is_default = is_default || def.path == d.path;
        if (is_default && bind_from_host) continue;
        create_device(rootfd, d, bind_from_host && d.type != 'p', last);
    }
}

void create_dev_symlinks(int rootfd, bool have_devpts) {
    UniqueFd dev = open_in_root(rootfd, "/dev", true, false);
    struct Link {
        const char* target;
        const char* name;
    };
    const Link links[] = {
        {"/proc/self/fd", "fd"},
        {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
    };
    for (const auto& l : links)
        if (::symlinkat(l.target, dev.get(), l.name) < 0 && errno != EEXIST)
            throw_errno(std::string("creating /dev/") + l.name);
    if (::access("/proc/kcore", F_OK) == 0) ::symlinkat("/proc/kcore", dev.get(), "core");
    if (have_devpts) {
        ::unlinkat(dev.get(), "ptmx", 0);
        if (::symlinkat("pts/ptmx", dev.get(), "ptmx") < 0) throw_errno("creating /dev/ptmx");
    }
}

}  // namespace box

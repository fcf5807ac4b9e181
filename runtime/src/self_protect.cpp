#include "self_protect.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fd.hpp"
#include "log.hpp"

extern char** environ;

namespace box {
namespace {

constexpr const char* kStartedExeEnv = "_BOX_EXE";

std::string& kept_started_exe() {
    static std::string path;
    return path;
}

bool sealed_memfd(int fd) {
    int seals = ::fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & F_SEAL_WRITE);
}

[[noreturn]] void exec_from(int fd, char** argv) {
    // The copy does not know where box was installed; its helpers are found beside that
    // (box-systemd, systemd_bridge.hpp).
    char path[4096];
    ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0 && path[0] == '/') {
        path[n] = '\0';
        ::setenv(kStartedExeEnv, path, 1);
    }
    syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
    // Falling through would run unprotected; better to stop with a clear reason.
    log::error(std::string("cannot re-execute box from a read-only copy of itself: ") + std::strerror(errno));
    _exit(1);
}

}  // namespace

void take_started_exe_from_env() {
    if (const char* path = std::getenv(kStartedExeEnv)) {
        if (*path == '/') kept_started_exe() = path;
        ::unsetenv(kStartedExeEnv);
    }
}

std::string started_exe() {
    if (!kept_started_exe().empty()) return kept_started_exe();
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0 || buf[0] != '/') return {};
    return std::string(buf, static_cast<size_t>(n));
}

void ensure_readonly_self(char** argv) {
    UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self) return;
    struct statvfs vfs {};
    if (::fstatvfs(self.get(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) return;  // already read-only
    if (sealed_memfd(self.get())) return;

    // A detached, read-only bind mount of the binary: no copy, nothing attached anywhere.
    UniqueFd tree(
        static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
    if (tree) {
        mount_attr attr{};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) == 0)
            exec_from(tree.get(), argv);
    }
    // Without CAP_SYS_ADMIN: a binary we cannot write is safe from our containers too.
    if (::access("/proc/self/exe", W_OK) != 0) return;
    UniqueFd copy(::memfd_create("box", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!copy) return;
    struct stat st {};
    if (::fstat(self.get(), &st) < 0) return;
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = ::sendfile(copy.get(), self.get(), nullptr, static_cast<size_t>(left));
        if (n <= 0) return;
        left -= n;
    }
    if (::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) return;
    exec_from(copy.get(), argv);
}

}  // namespace box

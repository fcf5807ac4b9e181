#include "files.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "error.hpp"
#include "fd.hpp"

namespace box {

namespace {
bool read_all(int fd, std::string& out) {
    out.clear();
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return true;
        out.append(buf, static_cast<size_t>(n));
    }
}
}  // namespace

bool try_read_file(const std::string& path, std::string& out) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return fd && read_all(fd.get(), out);
}

bool try_read_file_at(int dir_fd, const std::string& name, std::string& out) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    return fd && read_all(fd.get(), out);
}

std::string read_file(const std::string& path) {
    std::string out;
    if (!try_read_file(path, out)) throw_errno("reading " + path);
    return out;
}

void write_file(const std::string& path, const std::string& content) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd) throw_errno("opening " + path);
    ssize_t n = ::write(fd.get(), content.data(), content.size());
    if (n < 0) throw_errno("writing " + quote(content) + " to " + path);
}

bool write_all(int fd, const std::string& content) {
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += static_cast<size_t>(n);
    }
    return true;
}

namespace {

std::string random_suffix() {
    uint64_t r = 0;
    if (::getrandom(&r, sizeof r, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof r))
        r = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(::clock());
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
    return buf;
}

// Moves tmp to name: rename, or with Replace::No one that fails when name exists.
int move_into_place(int dir_fd, const std::string& tmp, const std::string& name, Replace replace) {
    if (replace == Replace::Yes) return ::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str());
    if (::renameat2(dir_fd, tmp.c_str(), dir_fd, name.c_str(), RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    // A file system without RENAME_NOREPLACE: a hard link never replaces either.
    if (::linkat(dir_fd, tmp.c_str(), dir_fd, name.c_str(), 0) < 0) return -1;
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return 0;
}

}  // namespace

void write_file_atomic_at(int dir_fd, const std::string& name, const std::string& content, unsigned mode,
                          Durability durability, Replace replace, const std::string& label) {
    const std::string& shown = label.empty() ? name : label;
    std::string tmp;
    UniqueFd fd;
    for (int attempt = 0; !fd; ++attempt) {
        tmp = "." + name + "." + random_suffix() + ".tmp";
        fd.reset(::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
        if (!fd && (errno != EEXIST || attempt == 100)) throw_errno("writing " + shown);
    }
    auto fail = [&](const std::string& what) {
        int err = errno;
        ::unlinkat(dir_fd, tmp.c_str(), 0);
        throw_errno(what, err);
    };
    if (!write_all(fd.get(), content)) fail("writing " + shown);
    if (durability == Durability::Synced && ::fsync(fd.get()) < 0) fail("syncing " + shown);
    fd.reset();
    if (move_into_place(dir_fd, tmp, name, replace) < 0) fail("writing " + shown);
}

void write_file_atomic(const std::string& path, const std::string& content, unsigned mode, Durability durability,
                       Replace replace) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    UniqueFd dir_fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) throw_errno("writing " + path);
    write_file_atomic_at(dir_fd.get(), path.substr(slash + 1), content, mode, durability, replace, path);
}

void mkdir_p(const std::string& path, unsigned mode) {
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), mode) < 0 && errno != EEXIST) throw_errno("creating directory " + cur);
    }
}

}  // namespace box

namespace box {

namespace {
std::string absolute_pid_file(const std::string& path) {
    if (path[0] == '/') return path;
    char* cwd = ::getcwd(nullptr, 0);
    std::string abs = std::string(cwd ? cwd : ".") + "/" + path;
    std::free(cwd);
    return abs;
}
}  // namespace

void check_pid_file(const std::string& path) {
    if (path.empty()) return;
    std::string abs = absolute_pid_file(path);
    std::string parent = abs.substr(0, abs.rfind('/'));
    struct stat st {};
    if (!parent.empty() && ::stat(parent.c_str(), &st) < 0) throw_errno("--pid-file " + quote(path));
    if (!parent.empty() && !S_ISDIR(st.st_mode)) throw_errno("--pid-file " + quote(path), ENOTDIR);
}

void write_pid_file(const std::string& path, pid_t pid) {
    if (path.empty()) return;
    std::string abs = absolute_pid_file(path);
    check_pid_file(path);
    try {
        write_file_atomic(abs, std::to_string(pid), 0644);
    } catch (const Error& e) {
        throw Error("--pid-file " + quote(path) + ": " + e.what());
    }
}

}  // namespace box

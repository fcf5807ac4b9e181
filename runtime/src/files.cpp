#include "files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "error.hpp"
#include "fd.hpp"

namespace box {

bool try_read_file(const std::string& path, std::string& out) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    out.clear();
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return true;
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

void write_file_atomic(const std::string& path, const std::string& content, unsigned mode, Durability durability) {
    std::string tmp = path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) throw_errno("writing " + tmp);
    if (!write_all(fd.get(), content)) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw_errno("writing " + tmp, err);
    }
    if (durability == Durability::Synced && ::fsync(fd.get()) < 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw_errno("syncing " + tmp, err);
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw_errno("renaming " + tmp, err);
    }
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

#include "tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <vector>

#include "error.hpp"
#include "fd.hpp"

namespace box {
namespace {

struct DirId {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const DirId&) const = default;
};

DirId id_of(int fd, const std::string& what) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) throw_errno(what);
    return {st.st_dev, st.st_ino};
}

// The names in a directory, read at once so that no directory stream stays open.
std::vector<std::string> list_names(int fd, const std::string& what) {
    int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
    if (!d) {
        int err = errno;
        if (dup >= 0) ::close(dup);
        throw_errno(what, err);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> dir(d, ::closedir);
    ::rewinddir(d);  // the dup shares its offset with fd
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
        errno = 0;
    }
    if (errno != 0) throw_errno(what);
    return names;
}

UniqueFd open_child_dir(int parent, const std::string& name, const std::string& what) {
    UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno(what + ": " + name);
    return fd;
}

// Back up one level; the parent must still be the directory we came down from.
UniqueFd open_parent(int fd, const DirId& expected, const std::string& what) {
    UniqueFd parent(::openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent) throw_errno(what);
    if (!(id_of(parent.get(), what) == expected)) throw Error(what + ": the tree was moved while box walked it");
    return parent;
}

// Back up to the level now on top of stack: the top directory itself is reused, not
// reached through "..", which would land on whatever is mounted over it (tmpcopyup's
// source is the directory under the new tmpfs).
template <typename Stack>
UniqueFd climb(int fd, int top, const Stack& stack, const DirId& expected, const std::string& what) {
    if (stack.size() > 1) return open_parent(fd, expected, what);
    UniqueFd again(::fcntl(top, F_DUPFD_CLOEXEC, 0));
    if (!again) throw_errno(what);
    return again;
}

// Copies one entry that is not a directory.
void copy_leaf(int from, int to, const std::string& name, const struct stat& st, const std::string& what) {
    if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = ::readlinkat(from, name.c_str(), target.data(), target.size());
        if (n < 0) throw_errno(what + ": " + name);
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), to, name.c_str()) < 0) throw_errno(what + ": " + name);
    } else if (S_ISREG(st.st_mode)) {
        UniqueFd src(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd dst(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!src || !dst) throw_errno(what + ": " + name);
        for (off_t left = st.st_size; left > 0;) {
            ssize_t n = ::sendfile(dst.get(), src.get(), nullptr, static_cast<size_t>(left));
            if (n < 0) throw_errno(what + ": " + name);
            if (n == 0) break;
            left -= n;
        }
    } else {
        return;  // device nodes, fifos and sockets are not copied
    }
    ::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    if (!S_ISLNK(st.st_mode)) ::fchmodat(to, name.c_str(), st.st_mode & 07777, 0);
}

}  // namespace

void copy_tree(int from, int to, const std::string& what) {
    struct Level {
        std::vector<std::string> names;
        size_t next = 0;
        DirId src, dst;
        std::optional<struct stat> attrs;  // applied once the directory is complete
    };
    UniqueFd src(::fcntl(from, F_DUPFD_CLOEXEC, 0)), dst(::fcntl(to, F_DUPFD_CLOEXEC, 0));
    if (!src || !dst) throw_errno(what);
    std::vector<Level> stack;
    stack.push_back({list_names(src.get(), what), 0, id_of(src.get(), what), id_of(dst.get(), what), std::nullopt});
    while (!stack.empty()) {
        Level& level = stack.back();
        if (level.next == level.names.size()) {
            if (level.attrs) {
                // Owner first: chown clears the set-id bits that chmod then restores.
                ::fchown(dst.get(), level.attrs->st_uid, level.attrs->st_gid);
                ::fchmod(dst.get(), level.attrs->st_mode & 07777);
            }
            stack.pop_back();
            if (stack.empty()) break;
            src = climb(src.get(), from, stack, stack.back().src, what);
            dst = climb(dst.get(), to, stack, stack.back().dst, what);
            continue;
        }
        const std::string name = level.names[level.next++];
        struct stat st {};
        if (::fstatat(src.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw_errno(what + ": " + name);
        if (!S_ISDIR(st.st_mode)) {
            copy_leaf(src.get(), dst.get(), name, st, what);
            continue;
        }
        if (::mkdirat(dst.get(), name.c_str(), 0700) < 0 && errno != EEXIST) throw_errno(what + ": " + name);
        UniqueFd child_src = open_child_dir(src.get(), name, what);
        UniqueFd child_dst = open_child_dir(dst.get(), name, what);
        src = std::move(child_src);
        dst = std::move(child_dst);
        stack.push_back({list_names(src.get(), what), 0, id_of(src.get(), what), id_of(dst.get(), what), st});
    }
}

void remove_tree_contents(int dir, const std::string& what) {
    struct Level {
        std::vector<std::string> names;
        size_t next = 0;
        DirId id;
        std::string name;  // in its parent
    };
    UniqueFd cur(::fcntl(dir, F_DUPFD_CLOEXEC, 0));
    if (!cur) throw_errno(what);
    std::vector<Level> stack;
    stack.push_back({list_names(cur.get(), what), 0, id_of(cur.get(), what), ""});
    while (!stack.empty()) {
        Level& level = stack.back();
        if (level.next == level.names.size()) {
            std::string name = level.name;
            stack.pop_back();
            if (stack.empty()) break;
            cur = climb(cur.get(), dir, stack, stack.back().id, what);
            if (::unlinkat(cur.get(), name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
                throw_errno(what + ": " + name);
            continue;
        }
        const std::string name = level.names[level.next++];
        if (::unlinkat(cur.get(), name.c_str(), 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR) throw_errno(what + ": " + name);
        UniqueFd child = open_child_dir(cur.get(), name, what);
        cur = std::move(child);
        stack.push_back({list_names(cur.get(), what), 0, id_of(cur.get(), what), name});
    }
}

}  // namespace box

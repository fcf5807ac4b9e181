#include "state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sstream>

#include "cgroups.hpp"
#include "error.hpp"
#include "files.hpp"
#include "proc.hpp"
#include "timestamp.hpp"
#include "tree.hpp"
#include "version.hpp"

namespace box {

const char* status_name(Status s) {
    switch (s) {
        case Status::Creating: return "creating";
        case Status::Created: return "created";
        case Status::Running: return "running";
        case Status::Paused: return "paused";
        case Status::Stopped: return "stopped";
    }
    return "unknown";
}

void validate_container_id(const std::string& id) {
    auto bad = [&](const std::string& why) { throw Error("invalid container id " + quote(id) + ": " + why); };
    if (id.empty()) bad("must not be empty");
    if (id.size() > 1024) bad("longer than 1024 characters");
    if (id == "." || id == ".." || id.find("..") != std::string::npos) bad("must not contain \"..\"");
    if (id.find('/') != std::string::npos) bad("must not contain \"/\"");
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != '+')
            bad("only letters, digits, '_', '-', '.' and '+' are allowed");
}

namespace {

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// What to tell a caller whose --root cannot be trusted.
std::string root_advice() {
    return ::geteuid() == 0 ? "set --root to a directory of your own"
                            : "set XDG_RUNTIME_DIR or --root to a directory of your own";
}

}  // namespace

int StateStore::root_fd() const {
    if (root_fd_) return root_fd_.get();
    UniqueFd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return -1;
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) throw_errno("--root " + quote(root_));
    uid_t me = ::geteuid();
    if (st.st_uid != me)
        throw Error("--root " + quote(root_) + " is owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
                    std::to_string(me) + ": another user could hide or forge containers there; " + root_advice());
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        throw Error("--root " + quote(root_) + " is writable by group or others (mode " + octal_mode(st.st_mode) +
                    "): another user could hide or forge containers there; " + root_advice());
    // A root reached through a symlink that others could have planted (as in /tmp) is not ours.
    struct stat lst {};
    size_t slash = root_.find_last_of('/', root_.find_last_not_of('/'));
    std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : root_.substr(0, slash);
    struct stat pst {};
    if (::lstat(root_.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode) && ::stat(parent.c_str(), &pst) == 0 &&
        (pst.st_mode & S_IWOTH))
        throw Error("--root " + quote(root_) + " is a symbolic link in " + quote(parent) +
                    ", which others can write; " + root_advice());
    root_fd_ = std::move(fd);
    return root_fd_.get();
}

void StateStore::create_dir(const std::string& id) const {
    if (::mkdir(root_.c_str(), 0700) < 0 && errno != EEXIST) {
        int err = errno;
        if (err == ENOENT) {
            mkdir_p(root_, 0700);
        } else {
            throw_errno("cannot create state root " + quote(root_), err);
        }
    }
    int root = root_fd();
    if (root < 0) throw_errno("cannot create state directory " + quote(dir(id)));
    if (::mkdirat(root, id.c_str(), 0711) < 0) {
        if (errno == EEXIST) throw Error("container " + quote(id) + " already exists");
        throw_errno("cannot create state directory " + quote(dir(id)));
    }
}

UniqueFd StateStore::open_dir(const std::string& id, bool missing_ok) const {
    validate_container_id(id);
    auto missing = [&]() -> UniqueFd {
        if (missing_ok) return UniqueFd();
        throw Error("container " + quote(id) + " does not exist");
    };
    int root = root_fd();
    if (root < 0) {
        if (errno == ENOENT) return missing();
        throw_errno("--root " + quote(root_) + " (container " + quote(id) + ")");
    }
    UniqueFd fd(::openat(root, id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd) {
        int err = errno;
        if (err == ENOENT) return missing();
        if (::fstatat(root, id.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
            throw Error("container " + quote(id) + ": " + quote(dir(id)) + " is " +
                        (S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory") + ", not a state directory");
        throw_errno("container " + quote(id) + ": opening " + quote(dir(id)), err);
    }
    if (::fstat(fd.get(), &st) < 0) throw_errno("container " + quote(id) + ": " + quote(dir(id)));
    if (st.st_uid != ::geteuid())
        throw Error("container " + quote(id) + ": " + quote(dir(id)) + " is owned by uid " + std::to_string(st.st_uid) +
                    ", not by uid " + std::to_string(::geteuid()));
    return fd;
}

void StateStore::save(const ContainerState& s, bool init_recorded) const {
    Json j = {
        {"id", s.id},
        {"phase", s.phase},
        {"pid", s.pid},
        {"pidStartTime", s.pid_start_time},
        {"creatorPid", s.creator_pid},
        {"creatorStartTime", s.creator_start_time},
        {"bundle", s.bundle},
        {"rootfs", s.rootfs},
        {"created", s.created},
        {"owner", s.owner},
        {"cgroupDirs", s.cgroup_dirs},
        {"ownPidNamespace", s.own_pid_ns},
        {"ownUserNamespace", s.own_user_ns},
        {"namespaces", s.namespaces},
    };
    if (s.personality) j["personality"] = *s.personality;
    UniqueFd d = open_dir(s.id);
    if (s.pid > 0 && !init_recorded)
        write_file_atomic_at(d.get(), "init", std::to_string(s.pid) + " " + std::to_string(s.pid_start_time) + "\n",
                             0600, Durability::Unsynced, Replace::Yes, dir(s.id) + "/init");
    write_file_atomic_at(d.get(), "state.json", dump_json(j), 0600, Durability::Unsynced, Replace::Yes,
                         dir(s.id) + "/state.json");
}

namespace {

// The config parts kept beside state.json; a part the config does not have has no file.
constexpr const char* kAnnotationsFile = "annotations.json";
constexpr const char* kHooksFile = "hooks.json";
constexpr const char* kProcessFile = "process.json";
constexpr const char* kSeccompFile = "seccomp.json";

// The part in DIR_FD/NAME, or nullopt when there is none; throws naming the file when it
// cannot be read or is not JSON.
std::optional<Json> read_part_at(int dir_fd, const std::string& dir, const char* name) {
    std::string path = dir + "/" + name, text;
    if (dir_fd < 0) return std::nullopt;
    if (!try_read_file_at(dir_fd, name, text)) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("container state " + quote(path) + " is unreadable");
    }
    try {
        return Json::parse(text);
    } catch (const Json::exception& e) {
        throw Error("container state " + quote(path) + " is corrupt: " + e.what());
    }
}

}  // namespace

void StateStore::save_config_parts(const std::string& id, const Spec& spec) const {
    UniqueFd d = open_dir(id);
    auto save_part = [&](const char* name, const Json& part) {
        write_file_atomic_at(d.get(), name, dump_json(part), 0600, Durability::Unsynced, Replace::Yes,
                             dir(id) + "/" + name);
    };
    if (!spec.annotations.empty()) save_part(kAnnotationsFile, spec.annotations);
    // Only the hooks run after create.
    Json hooks = Json::object();
    if (auto h = spec.raw.find("hooks"); h != spec.raw.end() && h->is_object())
        for (const char* when : {"poststart", "poststop"})
            if (auto list = h->find(when); list != h->end()) hooks[when] = *list;
    if (!hooks.empty()) save_part(kHooksFile, hooks);
    if (auto p = spec.raw.find("process"); p != spec.raw.end()) save_part(kProcessFile, *p);
    if (spec.linux.seccomp) save_part(kSeccompFile, *spec.linux.seccomp);
}

std::optional<Json> StateStore::read_part(const std::string& id, const char* name) const {
    UniqueFd d = open_dir(id, true);
    return read_part_at(d.get(), dir(id), name);
}

void StateStore::read_annotations(ContainerState& s) const {
    if (s.legacy_config) return;  // the old state.json held them; load() read them
    s.annotations.clear();
    auto part = read_part(s.id, kAnnotationsFile);
    if (!part) return;
    try {
        for (const auto& [k, v] : part->items()) s.annotations[k] = v.get<std::string>();
    } catch (const Json::exception& e) {
        throw Error("container state " + quote(dir(s.id) + "/" + kAnnotationsFile) + " is corrupt: " + e.what());
    }
}

Hooks StateStore::hooks(const ContainerState& s) const {
    if (s.legacy_config) return parse_hooks(*s.legacy_config);
    auto part = read_part(s.id, kHooksFile);
    if (!part) return {};
    return parse_hooks(Json{{"hooks", *part}});
}

Json StateStore::process_defaults(const ContainerState& s) const {
    if (s.legacy_config) return s.legacy_config->value("process", Json::object());
    return read_part(s.id, kProcessFile).value_or(Json::object());
}

std::optional<Json> StateStore::seccomp(const ContainerState& s) const {
    if (s.legacy_config) {
        auto lx = s.legacy_config->find("linux");
        if (lx == s.legacy_config->end() || !lx->is_object()) return std::nullopt;
        auto sc = lx->find("seccomp");
        if (sc == lx->end() || sc->is_null()) return std::nullopt;
        return *sc;
    }
    return read_part(s.id, kSeccompFile);
}

std::optional<std::pair<pid_t, uint64_t>> StateStore::init_record(const std::string& id) const {
    std::string text;
    UniqueFd d = open_dir(id, true);
    if (!d || !try_read_file_at(d.get(), "init", text)) return std::nullopt;
    long long pid = 0;
    unsigned long long start = 0;
    if (std::sscanf(text.c_str(), "%lld %llu", &pid, &start) != 2 || pid <= 0) return std::nullopt;
    return std::make_pair(static_cast<pid_t>(pid), static_cast<uint64_t>(start));
}

void StateStore::save_cgroups_created(const std::string& id, const CgroupPlacement& placement) const {
    // The unit first: a create killed in between leaves a unit to stop rather than dirs alone.
    UniqueFd d = open_dir(id);
    if (!placement.systemd_unit.empty())
        write_file_atomic_at(d.get(), "systemd-unit",
                             placement.systemd_unit + "\n" + (placement.systemd_user ? "user\n" : "system\n"), 0600,
                             Durability::Unsynced, Replace::Yes, dir(id) + "/systemd-unit");
    else
        ::unlinkat(d.get(), "systemd-unit", 0);
    std::string text;
    for (const auto& dir_made : placement.created) text += dir_made + "\n";
    write_file_atomic_at(d.get(), "cgroups", text, 0600, Durability::Unsynced, Replace::Yes, dir(id) + "/cgroups");
}

void StateStore::load_cgroups_created(ContainerState& st) const {
    std::string text;
    st.cgroups_created.clear();
    st.systemd_unit.clear();
    st.systemd_user = false;
    UniqueFd d = open_dir(st.id, true);
    if (!d) return;
    if (try_read_file_at(d.get(), "cgroups", text)) {
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line))
            if (is_below_cgroup_root(line)) st.cgroups_created.push_back(line);
    }
    if (try_read_file_at(d.get(), "systemd-unit", text)) {
        std::istringstream in(text);
        std::string bus;
        std::getline(in, st.systemd_unit);
        std::getline(in, bus);
        st.systemd_user = bus == "user";
    }
}

namespace {

// A state.json from before the split kept the whole config.json under "config": what exec
// needs of linux.* comes from it, and the other parts are read from it (StateStore::hooks ...).
void read_legacy_config(const JsonReader& config, ContainerState& s) {
    s.legacy_config = config.raw();
    if (auto lx = config.get("linux")) {
        if (auto ns = lx->get("namespaces"))
            for (const auto& n : ns->as_array()) s.namespaces.push_back(n.at("type").as_string());
        if (auto p = lx->get("personality")) s.personality = parse_personality(*p);
    }
}

}  // namespace

ContainerState StateStore::load(const std::string& id) const {
    UniqueFd d = open_dir(id);
    std::string text;
    if (!try_read_file_at(d.get(), "state.json", text)) {
        if (errno != ENOENT)
            throw_errno("state of container " + quote(id) + " is unreadable (" + dir(id) + "/state.json)");
        // The directory exists without a state file: a create that died before writing it.
        ContainerState s;
        s.id = id;
        return s;
    }
    try {
        Json j = parse_json(text, "state.json");
        JsonReader r(j, "state.json");
        ContainerState s;
        s.id = r.at("id").as_string();
        if (s.id != id) r.at("id").fail("does not match the directory name");
        s.phase = r.at("phase").as_string();
        s.pid = static_cast<pid_t>(r.at("pid").as_int());
        s.pid_start_time = r.at("pidStartTime").as_uint();
        s.creator_pid = static_cast<pid_t>(r.at("creatorPid").as_int());
        s.creator_start_time = r.at("creatorStartTime").as_uint();
        s.bundle = r.at("bundle").as_string();
        s.rootfs = r.string_or("rootfs", "");
        s.created = r.string_or("created", "");
        s.owner = static_cast<uint32_t>(r.at("owner").as_uint());
        if (auto c = r.get("cgroupDirs")) s.cgroup_dirs = c->as_string_array();
        if (auto n = r.get("ownPidNamespace")) s.own_pid_ns = n->as_bool();
        if (auto n = r.get("ownUserNamespace")) s.own_user_ns = n->as_bool();
        if (auto n = r.get("namespaces")) s.namespaces = n->as_string_array();
        if (auto p = r.get("personality")) s.personality = p->as_uint();
        load_cgroups_created(s);
        if (auto c = r.get("config")) read_legacy_config(*c, s);
        if (auto a = r.get("annotations"))  // only in the old shape
            for (const auto& [k, v] : a->as_object()) s.annotations[k] = v.as_string();
        return s;
    } catch (const Json::exception& e) {
        throw Error("state of container " + quote(id) + " is corrupt (" + dir(id) + "/state.json): " + e.what());
    } catch (const Error& e) {
        throw Error("state of container " + quote(id) + " is corrupt (" + dir(id) + "/state.json): " + e.what());
    }
}

std::vector<std::string> StateStore::ids() const {
    std::vector<std::string> out;
    int root = root_fd();
    if (root < 0) {
        if (errno == ENOENT) return out;  // nothing was ever created here
        throw_errno("--root " + quote(root_));
    }
    int fd = ::openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (!d) {
        if (fd >= 0) ::close(fd);
        throw_errno("--root " + quote(root_));
    }
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        // Symlinks are listed so that list can warn about them (load refuses them).
        if (e->d_type != DT_DIR && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN) continue;
        out.push_back(name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

void StateStore::remove(const std::string& id) const {
    UniqueFd d = open_dir(id, true);
    if (!d) return;
    // Whatever else is in there (a stray file, an interrupted write) goes too: a directory
    // that cannot be removed would block the id for good.
    remove_tree_contents(d.get(), "removing " + dir(id));
    if (::unlinkat(root_fd(), id.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) throw_errno("removing " + dir(id));
}

Status StateStore::status(const ContainerState& s) const {
    bool init_alive = s.pid > 0 && process_is(s.pid, s.pid_start_time);
    if (s.phase == "creating") {
        if (init_alive || (s.pid == 0 && s.creator_pid > 0 && process_is(s.creator_pid, s.creator_start_time)))
            return Status::Creating;
        return Status::Stopped;
    }
    if (!init_alive) return Status::Stopped;
    if (!s.cgroups_created.empty() && cgroup_is_frozen(s.cgroups_created)) return Status::Paused;
    UniqueFd d = open_dir(s.id, true);
    if (d && ::faccessat(d.get(), "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0) return Status::Created;
    return Status::Running;
}

ContainerLock::ContainerLock(const StateStore& store, const std::string& id) {
    fd_ = store.open_dir(id);
    while (::flock(fd_.get(), LOCK_EX) < 0)
        if (errno != EINTR) throw_errno("locking container " + quote(id));
    // It may have been deleted while we waited for the lock.
    struct stat st {};
    if (::fstat(fd_.get(), &st) < 0 || st.st_nlink == 0) throw Error("container " + quote(id) + " does not exist");
}

Json oci_state_json(const ContainerState& s, Status status, const std::string& owner) {
    // runc's field order; annotations only when there are any (omitempty), before owner.
    Json j = {
        {"ociVersion", kOciVersion},     {"id", s.id},         {"pid", status == Status::Stopped ? 0 : s.pid},
        {"status", status_name(status)}, {"bundle", s.bundle}, {"rootfs", s.rootfs},
        {"created", s.created},
    };
    if (!s.annotations.empty()) j["annotations"] = s.annotations;
    j["owner"] = owner;
    return j;
}

}  // namespace box

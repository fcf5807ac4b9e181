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

void StateStore::create_dir(const std::string& id) const {
    if (::mkdir(root_.c_str(), 0700) < 0 && errno != EEXIST) {
        int err = errno;
        if (err == ENOENT) {
            mkdir_p(root_, 0700);
        } else {
            throw_errno("cannot create state root " + quote(root_), err);
        }
    }
    if (::mkdir(dir(id).c_str(), 0711) < 0) {
        if (errno == EEXIST) throw Error("container " + quote(id) + " already exists");
        throw_errno("cannot create state directory " + quote(dir(id)));
    }
}

void StateStore::save(const ContainerState& s, bool durable) const {
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
        {"annotations", s.annotations},
        {"cgroupDirs", s.cgroup_dirs},
        {"ownPidNamespace", s.own_pid_ns},
        {"ownUserNamespace", s.own_user_ns},
        {"config", s.config},
    };
    if (s.pid > 0)
        write_file_atomic(dir(s.id) + "/init", std::to_string(s.pid) + " " + std::to_string(s.pid_start_time) + "\n",
                          0600, Durability::Unsynced);
    write_file_atomic(dir(s.id) + "/state.json", dump_json(j), 0600,
                      durable ? Durability::Synced : Durability::Unsynced);
}

std::optional<std::pair<pid_t, uint64_t>> StateStore::init_record(const std::string& id) const {
    std::string text;
    if (!try_read_file(dir(id) + "/init", text)) return std::nullopt;
    long long pid = 0;
    unsigned long long start = 0;
    if (std::sscanf(text.c_str(), "%lld %llu", &pid, &start) != 2 || pid <= 0) return std::nullopt;
    return std::make_pair(static_cast<pid_t>(pid), static_cast<uint64_t>(start));
}

void StateStore::save_cgroups_created(const std::string& id, const std::vector<std::string>& dirs) const {
    std::string text;
    for (const auto& d : dirs) text += d + "\n";
    write_file_atomic(dir(id) + "/cgroups", text, 0600, Durability::Unsynced);
}

std::vector<std::string> StateStore::cgroups_created(const std::string& id) const {
    std::string text;
    std::vector<std::string> out;
    if (!try_read_file(dir(id) + "/cgroups", text)) return out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (is_below_cgroup_root(line)) out.push_back(line);
    return out;
}

ContainerState StateStore::load(const std::string& id) const {
    validate_container_id(id);
    std::string text;
    if (!try_read_file(dir(id) + "/state.json", text)) {
        struct stat st {};
        if (::stat(dir(id).c_str(), &st) < 0) {
            if (errno == ENOTDIR) throw_errno("--root " + quote(root_) + " (container " + quote(id) + ")");
            throw Error("container " + quote(id) + " does not exist");
        }
        // The directory exists without a state file: a create that died before writing it.
        ContainerState s;
        s.id = id;
        return s;
    }
    try {
        Json j = Json::parse(text);
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
        if (auto a = r.get("annotations"))
            for (const auto& [k, v] : a->as_object()) s.annotations[k] = v.as_string();
        if (auto c = r.get("cgroupDirs")) s.cgroup_dirs = c->as_string_array();
        if (auto n = r.get("ownPidNamespace")) s.own_pid_ns = n->as_bool();
        if (auto n = r.get("ownUserNamespace")) s.own_user_ns = n->as_bool();
        s.cgroups_created = cgroups_created(id);
        if (auto c = r.get("config")) s.config = c->raw();
        return s;
    } catch (const Json::exception& e) {
        throw Error("state of container " + quote(id) + " is corrupt (" + dir(id) + "/state.json): " + e.what());
    } catch (const Error& e) {
        throw Error("state of container " + quote(id) + " is corrupt (" + dir(id) + "/state.json): " + e.what());
    }
}

std::vector<std::string> StateStore::ids() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(root_.c_str());
    if (!d) {
        if (errno == ENOENT) return out;  // nothing was ever created here
        throw_errno("--root " + quote(root_));
    }
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
        out.push_back(name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

void StateStore::remove(const std::string& id) const {
    std::string d = dir(id);
    for (const char* name : {"state.json", "state.json.tmp", "init", "init.tmp", "cgroups", "cgroups.tmp", "exec.fifo"})
        ::unlink((d + "/" + name).c_str());
    if (::rmdir(d.c_str()) < 0 && errno != ENOENT) throw_errno("removing " + d);
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
    if (::access(fifo_path(s.id).c_str(), F_OK) == 0) return Status::Created;
    return Status::Running;
}

ContainerLock::ContainerLock(const StateStore& store, const std::string& id) {
    validate_container_id(id);
    fd_.reset(::open(store.dir(id).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) {
        // ENOTDIR: --root itself (or the id's entry) is not a directory; say so rather than "no such container".
        if (errno == ENOTDIR) throw_errno("--root " + quote(store.root()) + " (container " + quote(id) + ")");
        throw Error("container " + quote(id) + " does not exist");
    }
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

// Container state on disk under --root/ID/, and the status derived from it.
// The status is never stored: it is worked out from the init pid, its start time,
// the exec fifo and the freezer, so a stale file or a reused pid cannot lie.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cgroups.hpp"
#include "config.hpp"
#include "fd.hpp"
#include "json_reader.hpp"

namespace box {

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* status_name(Status s);

struct ContainerState {
    std::string id;
    std::string phase = "creating";  // "creating" until init reported ready, then "created"
    pid_t pid = 0;                   // the container's init
    uint64_t pid_start_time = 0;
    pid_t creator_pid = 0;  // the `box create` that is (or was) setting it up
    uint64_t creator_start_time = 0;
    std::string bundle;
    std::string rootfs;
    std::string created;  // RFC 3339 with nanoseconds
    uint32_t owner = 0;
    // Read from annotations.json only by the commands that print the OCI state (read_annotations).
    std::map<std::string, std::string> annotations;
    std::vector<std::string> cgroup_dirs;  // absolute directories, one per hierarchy
    // Those of cgroup_dirs that box made (kept in --root/ID/cgroups): the only cgroups whose
    // processes box signals and that it freezes, limits or removes.
    std::vector<std::string> cgroups_created;
    // The transient unit systemd made for it (kept in --root/ID/systemd-unit) when it was created
    // with the systemd cgroup driver: then every later command goes through systemd too.
    std::string systemd_unit;
    bool systemd_user = false;  // the unit is the user's systemd's (rootless)
    // Whether the container has pid and user namespaces of its own (not joined by path): then
    // every process in them is the container's.
    bool own_pid_ns = false;
    bool own_user_ns = false;
    // What exec needs of linux.*: the namespace types to join and the execution domain.
    std::vector<std::string> namespaces;
    std::optional<unsigned long> personality;
    // A state written by a box before the state was split: the whole config.json, from which
    // the parts kept apart now are read instead.
    std::optional<Json> legacy_config;
};

// Throws Error naming the id when it is empty, has '/', is '.' or '..', or odd characters.
void validate_container_id(const std::string& id);

// --root and every --root/ID must be directories owned by the caller, and --root must not
// be writable by group or others: whoever can write there can hide, forge or redirect the
// caller's containers. An entry is opened without following symlinks, and everything
// inside it is reached relative to that fd.
class StateStore {
public:
    explicit StateStore(std::string root) : root_(std::move(root)) {}
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;
    const std::string& root() const { return root_; }
    // Paths, for messages and tests; the store itself works relative to directory fds.
    std::string dir(const std::string& id) const { return root_ + "/" + id; }
    std::string fifo_path(const std::string& id) const { return dir(id) + "/exec.fifo"; }

    // Creates --root and --root/ID; throws "already exists" when the id is taken.
    void create_dir(const std::string& id) const;
    // --root/ID, checked as above; throws naming the id ("does not exist", "is a symbolic link", ...).
    // With missing_ok an id that does not exist gives an empty fd.
    UniqueFd open_dir(const std::string& id, bool missing_ok = false) const;
    // Atomic (a reader sees the old or the new file) but not fsynced, like runc's: the
    // container's processes and cgroups do not survive a power loss either, and an
    // fsync on a disk-backed --root cost 1-17 ms per create here.
    // The init file (pid and start time, read by the other commands) is written with the
    // first save that knows the pid; later saves of the same create pass init_recorded.
    void save(const ContainerState& state, bool init_recorded = false) const;
    // Throws "container \"ID\" does not exist" or a clear error for a corrupt file.
    ContainerState load(const std::string& id) const;
    // The entries of --root that may be containers (directories, and symlinks to report).
    std::vector<std::string> ids() const;
    // Removes --root/ID with everything in it (never through a symlink).
    void remove(const std::string& id) const;
    // The init's pid and start time, kept apart from state.json (--root/ID/init) so that
    // `delete --force` can still stop the init of a container whose state file is damaged.
    std::optional<std::pair<pid_t, uint64_t>> init_record(const std::string& id) const;

    // The cgroups box made for the container, one directory a line in --root/ID/cgroups,
    // also kept apart from state.json so that a damaged state file does not hide them.
    // The systemd unit, if any, likewise in --root/ID/systemd-unit.
    void save_cgroups_created(const std::string& id, const CgroupPlacement& placement) const;
    // Fills in st.cgroups_created and st.systemd_unit from those files.
    void load_cgroups_created(ContainerState& st) const;

    // The parts of config.json that commands after create need, each in a file of its own
    // under --root/ID so that state.json stays small whatever the config holds, and each
    // command reads only what it uses: annotations.json (state, list, hooks), hooks.json
    // (poststart, poststop), process.json and seccomp.json (exec). Written once by create.
    void save_config_parts(const std::string& id, const Spec& spec) const;
    void read_annotations(ContainerState& state) const;
    Hooks hooks(const ContainerState& state) const;
    // config.json's process object (exec's defaults), or {} when there was none.
    Json process_defaults(const ContainerState& state) const;
    std::optional<Json> seccomp(const ContainerState& state) const;

    Status status(const ContainerState& state) const;

private:
    // --root opened and checked (once); -1 with errno set when it cannot be opened.
    int root_fd() const;
    // The config part NAME of container ID (save_config_parts), nullopt when it has none.
    std::optional<Json> read_part(const std::string& id, const char* name) const;

    std::string root_;
    mutable UniqueFd root_fd_;
};

// An exclusive flock on --root/ID, held for the lifetime of the object.
class ContainerLock {
public:
    ContainerLock(const StateStore& store, const std::string& id);
    int dir_fd() const { return fd_.get(); }

private:
    UniqueFd fd_;
};

// The OCI state document (ociVersion, id, status, pid, bundle, annotations, ...).
// owner is "" in `state` and the owner's user name in `list`, as in runc.
Json oci_state_json(const ContainerState& state, Status status, const std::string& owner = "");

}  // namespace box

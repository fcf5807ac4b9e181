// Container operations: the library behind every command. Each takes the state lock
// where it changes a container, and leaves nothing behind when it fails.
#pragma once
#include <string>
#include <vector>

#include "config.hpp"
#include "fd.hpp"
#include "json_reader.hpp"
#include "state.hpp"

namespace box {

struct CreateOptions {
    std::string id;
    std::string bundle;  // empty: the current directory
    std::string pid_file;
    std::string console_socket;
    unsigned preserve_fds = 0;
};

struct ExecOptions {
    std::string id;
    std::string process_file;       // --process: an OCI process object, used as it is
    std::vector<std::string> args;  // the command, when there is no --process
    bool tty = false;
    std::string console_socket;
    bool detach = false;
    std::string pid_file;
    std::string cwd;
    std::vector<std::string> env;
    std::string user;  // UID[:GID] or a name from the container's /etc/passwd
    std::vector<uint32_t> additional_gids;
    std::vector<std::string> caps;
    bool no_new_privs = false;
    unsigned preserve_fds = 0;
    std::string process_label;
    std::string apparmor;
    bool ignore_paused = false;
    std::vector<std::string> cgroups;  // --cgroup [CONTROLLER:]PATH (cgroup_sub.hpp)
};

struct ListEntry {
    ContainerState state;
    Status status = Status::Stopped;
    std::string error;  // set when the state could not be read
};

class Runtime {
public:
    Runtime(std::string root, bool systemd_cgroup) : store_(std::move(root)), systemd_cgroup_(systemd_cgroup) {}

    void create(const CreateOptions& opts);
    void start(const std::string& id);
    Json state(const std::string& id) const;
    void kill(const std::string& id, int sig, bool all);
    void remove(const std::string& id, bool force);
    // Foreground run returns the container's exit status (128+N for signal N).
    int run(const CreateOptions& opts, bool detach, bool keep);
    // with_annotations: read each container's annotations too (for the OCI state documents).
    std::vector<ListEntry> list(bool with_annotations) const;
    std::vector<pid_t> pids(const std::string& id) const;
    void update(const std::string& id, const Resources& resources);
    Json stats(const std::string& id) const;
    // Prints JSON events: one stats event with once, else stats every interval and OOM events.
    void events(const std::string& id, bool once, int interval_ms);
    // Foreground exec returns the process's exit status; --detach returns 0 once it runs.
    int exec(const ExecOptions& opts);
    void pause(const std::string& id);
    void resume(const std::string& id);

    const StateStore& store() const { return store_; }

private:
    // Sets the container up to the point where init waits; returns the init pid.
    // With relay_socket (foreground `run`) a terminal without --console-socket is allowed: the
    // pty master then arrives on *relay_socket.
    pid_t create_container(const CreateOptions& opts, bool wait_for_start, UniqueFd* relay_socket = nullptr);
    void destroy(const ContainerState& state);
    // Runs the poststart hooks kept for the container (hooks.json), if any.
    void run_poststart(ContainerState state) const;

    StateStore store_;
    bool systemd_cgroup_;
};

// The default --root: /run/box for root; rootless $XDG_RUNTIME_DIR/box, else /tmp/box-UID.
std::string default_state_root();
// Running without root: an unprivileged user, or root of a user namespace such a user
// made (runc's rule); such a runtime does without cgroups it cannot create.
bool runs_rootless();

}  // namespace box

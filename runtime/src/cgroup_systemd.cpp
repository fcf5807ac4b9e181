// The systemd cgroup driver (runc's libcontainer/cgroups/systemd): box asks systemd for a
// transient scope holding the init (StartTransientUnit, Delegate=yes, linux.resources as unit
// properties), joins the hierarchies systemd does not manage itself, and writes the limits to
// the files too, as runc does (what systemd cannot express, and the exact values).
#include "cgroup_systemd.hpp"

#include <signal.h>
#include <unistd.h>

#include <sstream>

#include "cgroup_resources.hpp"
#include "error.hpp"
#include "files.hpp"
#include "log.hpp"
#include "systemd_bridge.hpp"
#include "systemd_unit.hpp"

namespace box {
namespace {

SystemdCgroupApi host_api() {
    return detect_cgroup_mode() == CgroupMode::V2 ? SystemdCgroupApi::Unified : SystemdCgroupApi::Legacy;
}

constexpr const char* kNotDelegated =
    "in the scope the user's systemd made (rootless: a user's systemd is delegated no cgroup v1 "
    "controller, and on cgroup v2 only those user@.service's Delegate= names)";

// Rootless: what the user's systemd delegated to the scope whose directories are dirs: the
// hierarchies it made them in, and on cgroup v2 only the controllers enabled there.
std::vector<Hierarchy> delegated_hierarchies(const std::vector<std::string>& dirs) {
    std::vector<Hierarchy> out;
    for (const auto& h : cgroup_hierarchies()) {
        for (const auto& dir : dirs) {
            if (dir.compare(0, h.mountpoint.size() + 1, h.mountpoint + "/") != 0) continue;
            Hierarchy d = h;
            if (h.v2) {
                std::string text, c;
                d.controllers.clear();
                if (try_read_file(dir + "/cgroup.controllers", text))
                    for (std::istringstream in(text); in >> c;) d.controllers.push_back(c);
            }
            out.push_back(std::move(d));
            break;
        }
    }
    return out;
}

class SystemdManager : public CgroupManager {
public:
    SystemdManager(std::string id, SystemdScope scope, bool user)
        : id_(std::move(id)), scope_(std::move(scope)), bridge_(user), user_(user) {}
    SystemdManager(CgroupPlacement recorded, bool user) : bridge_(user), user_(user), started_(true) {
        placement_ = std::move(recorded);
    }

    const char* driver() const override { return "systemd"; }

    CgroupPlacement plan() override {
        // The cgroups are known once systemd has made the scope; the unit is what to undo.
        placement_ = {};
        placement_.systemd_unit = scope_.unit;
        placement_.systemd_user = user_;
        return placement_;
    }

    void create(const std::optional<Resources>& resources) override {
        // Refuse what the files would refuse before systemd is asked for anything.
        if (resources) check_controllers(*resources, cgroup_hierarchies());
        SystemdBridge::helper_path();
    }

    void place_init(pid_t pid, const std::optional<Resources>& resources) override {
        auto props = systemd_scope_properties(id_, scope_, pid, resources, host_api());
        std::string cgroup = bridge_.start(scope_.unit, props);
        started_ = true;
        if (cgroup.empty() || cgroup[0] != '/') throw Error("systemd: " + scope_.unit + " has no cgroup");
        // The scope in every hierarchy: systemd made it in those it manages; box makes it in the
        // others (freezer, cpuset, net_cls ... on cgroup v1) and moves the init there.
        std::vector<std::string> made;
        try {
            for (const auto& h : cgroup_hierarchies()) {
                std::string dir = h.mountpoint + cgroup;
                if (::access(dir.c_str(), F_OK) != 0) {
                    if (user_) continue;  // the user's systemd delegates only what it manages
                    join_cgroup_dir(h, dir, pid, made);
                }
                placement_.dirs.push_back(dir);
                placement_.created.push_back(dir);
            }
            // What the user's systemd cannot apply is refused, not silently dropped.
            auto hierarchies = user_ ? delegated_hierarchies(placement_.dirs) : cgroup_hierarchies();
            if (resources && user_) check_controllers(*resources, hierarchies, kNotDelegated);
            if (resources)
                for (const auto& h : hierarchies) write_new_cgroup_resources(h.mountpoint + cgroup, h, *resources);
        } catch (...) {
            placement_.created.insert(placement_.created.end(), made.begin(), made.end());
            throw;
        }
    }

    void update(const Resources& resources) override {
        if (user_)
            check_controllers(resources, delegated_hierarchies(placement_.dirs), kNotDelegated);
        else
            check_controllers(resources, cgroup_hierarchies());
        auto props = systemd_resource_properties(resources, host_api());
        if (!props.empty()) {
            // systemd writes the whole cgroup again, device rules included (deny all, then the
            // allow list): freeze meanwhile so that no process meets a device it may use denied
            // (runc's freezeBeforeSet).
            bool was_frozen = frozen();
            if (!was_frozen) set_frozen(true);
            try {
                bridge_.set(placement_.systemd_unit, props);
            } catch (...) {
                if (!was_frozen) set_frozen(false);
                throw;
            }
            if (!was_frozen) set_frozen(false);
        }
        ContainerCgroup::apply(placement_.created, resources);
    }

    void destroy() override {
        if (!placement_.systemd_unit.empty() && started_) {
            // SIGKILL first: systemd's stop sends SIGTERM and waits up to its stop timeout.
            for (pid_t p : pids()) ::kill(p, SIGKILL);
            bridge_.stop(placement_.systemd_unit);
        }
        // What box made itself, and anything systemd left (a cgroup made below the scope).
        cgroup_destroy(placement_.created);
    }

private:
    std::string id_;
    SystemdScope scope_;
    SystemdBridge bridge_;
    bool user_ = false;
    // Whether the unit is ours to stop: a create whose start failed (a unit of that name
    // exists) must not stop someone else's.
    bool started_ = false;
};

}  // namespace

std::unique_ptr<CgroupManager> make_systemd_manager(const std::string& cgroups_path, const std::string& id,
                                                    bool rootless) {
    // systemd marks itself running with /run/systemd/system (sd_booted(3)); runc checks the same.
    if (::access("/run/systemd/system", F_OK) != 0)
        throw Error(
            "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), "
            "cannot use the systemd cgroup driver");
    return std::make_unique<SystemdManager>(id, systemd_scope_for(cgroups_path, id, rootless), rootless);
}

std::unique_ptr<CgroupManager> systemd_manager_for(const CgroupPlacement& recorded) {
    return std::make_unique<SystemdManager>(recorded, recorded.systemd_user);
}

}  // namespace box

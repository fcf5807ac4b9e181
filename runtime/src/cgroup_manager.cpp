#include "cgroup_manager.hpp"

#include <algorithm>

#include "cgroup_resources.hpp"
#include "cgroup_systemd.hpp"
#include "error.hpp"
#include "log.hpp"
#include "state.hpp"

namespace box {
namespace {

// cgroupfs: box makes the directories under /sys/fs/cgroup itself (runc's fs driver).
class CgroupfsManager : public CgroupManager {
public:
    CgroupfsManager(std::string path, bool rootless) : path_(std::move(path)), rootless_(rootless) {}
    explicit CgroupfsManager(CgroupPlacement recorded) { placement_ = std::move(recorded); }

    const char* driver() const override { return "cgroupfs"; }

    CgroupPlacement plan() override {
        placement_ = ContainerCgroup::plan(path_);
        return placement_;
    }

    void create(const std::optional<Resources>& resources) override {
        placement_ = {};
        // Rootless without a delegated cgroup: run without one, unless limits were asked for.
        if (!rootless_ || (resources && has_limits(*resources))) {
            try {
                placement_ = ContainerCgroup::create(path_, resources);
            } catch (const Error& e) {
                if (!rootless_) throw;
                throw Error(std::string("cgroup resources were requested but cannot be set without root: ") + e.what());
            }
            return;
        }
        try {
            placement_ = ContainerCgroup::create(path_, std::nullopt);
        } catch (const Error& e) {
            log::debug(std::string("rootless: running without a cgroup: ") + e.what());
        }
    }

    void update(const Resources& resources) override { ContainerCgroup::apply(placement_.created, resources); }

    void destroy() override { cgroup_destroy(placement_.created); }

private:
    std::string path_;
    bool rootless_ = false;
};

}  // namespace

std::unique_ptr<CgroupManager> CgroupManager::for_create(const std::string& cgroups_path, const std::string& id,
                                                         bool systemd, bool rootless) {
    if (systemd) return make_systemd_manager(cgroups_path, id, rootless);
    return std::make_unique<CgroupfsManager>(ContainerCgroup::resolve_path(cgroups_path, id), rootless);
}

std::unique_ptr<CgroupManager> CgroupManager::for_container(const ContainerState& st) {
    CgroupPlacement recorded{st.cgroup_dirs, st.cgroups_created, st.systemd_unit, st.systemd_user};
    if (!recorded.systemd_unit.empty()) return systemd_manager_for(recorded);
    return std::make_unique<CgroupfsManager>(std::move(recorded));
}

bool CgroupManager::frozen() const { return owns_cgroup() && cgroup_is_frozen(placement_.created); }

void CgroupManager::set_frozen(bool frozen) { cgroup_set_frozen(placement_.created, frozen); }

std::vector<pid_t> CgroupManager::pids() const { return cgroup_tree_pids(placement_.created); }

}  // namespace box

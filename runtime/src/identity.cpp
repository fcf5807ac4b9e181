#include "identity.hpp"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"

namespace box {

void drop_supplementary_groups(bool setgroups_allowed) {
    if (setgroups_allowed && ::setgroups(0, nullptr) < 0) throw_errno("dropping supplementary groups");
}

void apply_user(const User& user, bool setgroups_allowed) {
    if (setgroups_allowed || !user.additional_gids.empty()) {
        std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
        if (::setgroups(groups.size(), groups.data()) < 0) throw_errno("process.user.additionalGids: setgroups");
    }
    // Keep the permitted set across the uid change; the capability sets are applied right after.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw_errno("PR_SET_KEEPCAPS");
    if (::setresgid(user.gid, user.gid, user.gid) < 0)
        throw_errno("process.user.gid: setting gid " + std::to_string(user.gid));
    if (::setresuid(user.uid, user.uid, user.uid) < 0)
        throw_errno("process.user.uid: setting uid " + std::to_string(user.uid));
    ::umask(user.umask.value_or(022));
}

}  // namespace box

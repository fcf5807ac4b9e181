#include "rlimits.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <utility>

#include "error.hpp"
#include "rlimit_names.hpp"

namespace box {

int rlimit_from_name(const std::string& name) {
    for (const auto& [n, v] : kRlimitNames)
        if (name == n) return v;
    return -1;
}

std::vector<std::string> all_rlimit_names() {
    std::vector<std::string> out;
    for (const auto& [n, v] : kRlimitNames) out.emplace_back(n);
    return out;
}

void apply_rlimits(const std::vector<Rlimit>& rlimits) {
    for (const auto& r : rlimits) {
        rlimit lim{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
        if (setrlimit(r.resource, &lim) < 0) {
            int err = errno;
            std::string hint;
            if (err == EPERM) {
                rlimit cur{};
                getrlimit(r.resource, &cur);
                hint = " (the hard limit cannot be raised above the current " + std::to_string(cur.rlim_max) +
                       " without CAP_SYS_RESOURCE)";
            }
            throw_errno(
                "setting " + r.type + " to soft " + std::to_string(r.soft) + ", hard " + std::to_string(r.hard) + hint,
                err);
        }
    }
}

}  // namespace box

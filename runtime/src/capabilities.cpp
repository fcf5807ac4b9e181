#include "capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <set>

#include "capability_names.hpp"
#include "error.hpp"
#include "log.hpp"

namespace box {
namespace {

uint64_t mask_of(const std::vector<int>& caps) {
    uint64_t mask = 0;
    for (int c : caps)
        if (c >= 0 && c < 64 && c <= last_capability()) mask |= uint64_t{1} << c;
    return mask;
}

}  // namespace

int capability_from_name(const std::string& name) {
    for (size_t i = 0; i < kCapabilityNames.size(); ++i)
        if (name == kCapabilityNames[i]) return static_cast<int>(i);
    return -1;
}

std::string capability_name(int cap) {
    if (cap >= 0 && static_cast<size_t>(cap) < kCapabilityNames.size()) return kCapabilityNames[cap];
    return "CAP_" + std::to_string(cap);
}

int last_capability() {
    static int last = [] {
        std::ifstream in("/proc/sys/kernel/cap_last_cap");
        int v = -1;
        if (in >> v) return v;
        return static_cast<int>(kCapabilityNames.size()) - 1;
    }();
    return last;
}

std::vector<std::string> all_capability_names() {
    std::vector<std::string> out;
    for (int c = 0; c <= last_capability() && static_cast<size_t>(c) < kCapabilityNames.size(); ++c)
        out.push_back(kCapabilityNames[c]);
    return out;
}

void leave_out_unavailable(Capabilities& caps) {
    std::set<std::string> left_out(caps.unknown.begin(), caps.unknown.end());
    caps.unknown.clear();
    auto unavailable = [&](int c) {
        if (c <= last_capability() && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) return false;
        left_out.insert(capability_name(c));
        return true;
    };
    for (auto* set : {&caps.bounding, &caps.effective, &caps.inheritable, &caps.permitted, &caps.ambient})
        std::erase_if(*set, unavailable);
    if (left_out.empty()) return;
    std::string names;
    for (const auto& n : left_out) names += (names.empty() ? "" : " ") + n;
    log::warn("ignoring unknown or unavailable capabilities: [" + names + "]");
}

void drop_bounding_set(const Capabilities& caps) {
    uint64_t keep = mask_of(caps.bounding);
    for (int c = 0; c <= last_capability(); ++c) {
        if (keep & (uint64_t{1} << c)) continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            throw_errno("dropping " + capability_name(c) + " from the bounding set");
    }
}

void apply_capability_sets(const Capabilities& caps) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    uint64_t eff = mask_of(caps.effective), perm = mask_of(caps.permitted), inh = mask_of(caps.inheritable);
    data[0].effective = static_cast<uint32_t>(eff);
    data[1].effective = static_cast<uint32_t>(eff >> 32);
    data[0].permitted = static_cast<uint32_t>(perm);
    data[1].permitted = static_cast<uint32_t>(perm >> 32);
    data[0].inheritable = static_cast<uint32_t>(inh);
    data[1].inheritable = static_cast<uint32_t>(inh >> 32);
    if (syscall(SYS_capset, &header, data) < 0) throw_errno("setting capabilities");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        throw_errno("clearing ambient capabilities");
    for (int c : caps.ambient) {
        if (c > last_capability()) continue;
        // As runc does: an ambient capability outside permitted and inheritable is skipped.
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
            log::debug("ambient capability " + capability_name(c) +
                       " not raised: it is not in the permitted and inheritable sets");
    }
}

}  // namespace box

#include "sysctl.hpp"

#include <algorithm>

#include "error.hpp"
#include "files.hpp"

namespace box {
namespace {

bool owns_new(const Linux& linux, const char* type) {
    const Namespace* ns = linux.find_namespace(type);
    return ns != nullptr;
}

}  // namespace

void validate_sysctls(const Linux& linux) {
    static const char* kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                 "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (const auto& [key, value] : linux.sysctl) {
        std::string k = key;
        std::replace(k.begin(), k.end(), '/', '.');
        // (the prefix is built here, not in the lambda: clang cannot capture a structured binding)
        std::string prefix = "config.json: linux.sysctl: " + quote(key) + " ";
        auto refused = [&](const std::string& why) { return Error(prefix + why); };
        if (k.empty() || k.find("..") != std::string::npos || k.front() == '.' || k.back() == '.')
            throw refused("is not a valid sysctl name");
        bool ipc = std::find(std::begin(kIpc), std::end(kIpc), k) != std::end(kIpc) || k.rfind("fs.mqueue.", 0) == 0;
        if (ipc) {
            if (!owns_new(linux, "ipc")) throw refused("needs an ipc namespace");
            continue;
        }
        if (k.rfind("net.", 0) == 0) {
            if (!owns_new(linux, "network")) throw refused("needs a network namespace");
            continue;
        }
        if (k == "kernel.hostname" || k == "kernel.domainname") {
            if (!owns_new(linux, "uts")) throw refused("needs a uts namespace");
            continue;
        }
        throw refused("is not namespaced and would change the host");
    }
}

void apply_sysctls(const std::map<std::string, std::string>& sysctl) {
    for (const auto& [key, value] : sysctl) {
        std::string path = key;
        std::replace(path.begin(), path.end(), '.', '/');
        try {
            write_file("/proc/sys/" + path, value);
        } catch (const Error& e) {
            throw Error("linux.sysctl: " + quote(key) + ": " + e.what());
        }
    }
}

}  // namespace box

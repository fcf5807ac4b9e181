#include "sysctl.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "error.hpp"
#include "files.hpp"
#include "namespaces.hpp"

namespace box {

void validate_sysctls(const Spec& spec) {
    const Linux& linux = spec.linux;
    static const char* kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                 "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (const auto& [key, value] : linux.sysctl) {
        std::string k = key;
        std::replace(k.begin(), k.end(), '/', '.');
        // (the prefix is built here, not in the lambda: clang cannot capture a structured binding)
        std::string prefix = "config.json: linux.sysctl: " + quote(key) + " ";
        auto refused = [&](const std::string& why) { return Error(prefix + why); };
        auto require = [&](const char* type, const char* name) {
            const Namespace* ns = linux.find_namespace(type);
            if (is_containers_own(ns)) return;
            if (ns == nullptr) throw refused(std::string("needs ") + name + " namespace");
            throw refused(std::string("needs ") + name + " namespace of its own: " + quote(ns->path) +
                          " is the runtime's own (the host's)");
        };
        if (k.empty() || k.find("..") != std::string::npos || k.front() == '.' || k.back() == '.')
            throw refused("is not a valid sysctl name");
        bool ipc = std::find(std::begin(kIpc), std::end(kIpc), k) != std::end(kIpc) || k.rfind("fs.mqueue.", 0) == 0;
        if (ipc) {
            require("ipc", "an ipc");
            continue;
        }
        if (k.rfind("net.", 0) == 0) {
            require("network", "a network");
            continue;
        }
        if (k == "kernel.hostname" || k == "kernel.domainname") {
            // Two values for one setting: runc's words (runc 1.1 refuses kernel.hostname even alone).
            bool host = k == "kernel.hostname";
            if (host ? !spec.hostname.empty() : spec.domainname.has_value())
                throw refused(std::string("is not allowed as it conflicts with the OCI ") +
                              (host ? "\"hostname\"" : "\"domainname\"") + " field");
            require("uts", "a uts");
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

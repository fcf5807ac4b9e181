// Lookups in a passwd(5) file: the host's, or a container's from inside its mount namespace.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace box {

struct PasswdEntry {
    std::string name;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string home;
};

// The first entry with this uid; nullopt when there is none (or no readable file).
std::optional<PasswdEntry> passwd_by_uid(uint32_t uid, const char* path = "/etc/passwd");

// A user's name as runc's list shows an owner: the name, or "#UID" when it has none.
std::string owner_name(uint32_t uid);

}  // namespace box

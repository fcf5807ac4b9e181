// Lookups in a passwd(5) or group(5) file: the host's, or a container's from inside its
// mount namespace.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace box {

struct PasswdEntry {
    std::string name;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string home;
};

// The first entry with this uid; nullopt when there is none (or no readable file).
std::optional<PasswdEntry> passwd_by_uid(uint32_t uid, const char* path = "/etc/passwd");

// The fields (split at ':') of the first entry named name whose fields at id_fields are
// numbers (digits; their range is the caller's to check); nullopt when there is none (or no
// readable file). For exec --user NAME (ids at 2 and 3) and NAME:GROUP (the gid at 2).
std::optional<std::vector<std::string>> entry_named(const std::string& name, std::initializer_list<size_t> id_fields,
                                                    const char* path);

// A user's name as runc's list shows an owner: the name, or "#UID" when it has none.
std::string owner_name(uint32_t uid);

}  // namespace box

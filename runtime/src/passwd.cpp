#include "passwd.hpp"

#include <fstream>
#include <vector>

namespace box {
namespace {

std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> f;
    size_t start = 0;
    for (;;) {
        size_t end = line.find(':', start);
        f.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) return f;
        start = end + 1;
    }
}

bool is_number(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

std::optional<uint32_t> parse_id(const std::string& s) {
    if (s.size() > 10 || !is_number(s)) return std::nullopt;
    unsigned long v = std::stoul(s);
    if (v > UINT32_MAX) return std::nullopt;
    return static_cast<uint32_t>(v);
}

}  // namespace

std::optional<PasswdEntry> passwd_by_uid(uint32_t uid, const char* path) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        auto f = split_fields(line);
        if (f.size() < 6) continue;
        auto entry_uid = parse_id(f[2]), entry_gid = parse_id(f[3]);
        if (entry_uid && entry_gid && *entry_uid == uid) return PasswdEntry{f[0], uid, *entry_gid, f[5]};
    }
    return std::nullopt;
}

std::optional<std::vector<std::string>> entry_named(const std::string& name, std::initializer_list<size_t> id_fields,
                                                    const char* path) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        auto f = split_fields(line);
        if (f[0] != name) continue;
        bool ids = true;
        for (size_t i : id_fields) ids = ids && i < f.size() && is_number(f[i]);
        if (ids) return f;
    }
    return std::nullopt;
}

std::string owner_name(uint32_t uid) {
    auto entry = passwd_by_uid(uid);
    return entry ? entry->name : "#" + std::to_string(uid);
}

}  // namespace box

#include "error.hpp"

#include <cerrno>
#include <cstring>

namespace box {

void throw_errno(const std::string& what, int err) { throw Error(what + ": " + std::strerror(err)); }

void throw_errno(const std::string& what) { throw_errno(what, errno); }

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            out += '?';
            continue;
        }
        out += c;
    }
    return out + "\"";
}

}  // namespace box

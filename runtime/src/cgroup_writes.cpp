#include "cgroup_writes.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>

#include "error.hpp"
#include "fd.hpp"
#include "files.hpp"
#include "log.hpp"

namespace box {
namespace {

// 0, or the errno of the failed open or write.
int write_value(const std::string& path, const std::string& value) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd) return errno;
    if (::write(fd.get(), value.data(), value.size()) < 0) return errno;
    return 0;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// The line of text that starts with "KEY " (or "KEY\n"), without the newline.
std::optional<std::string> line_of(const std::string& text, const std::string& key) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + " ", 0) == 0) return line;
    return std::nullopt;
}

// What puts the file back as it is now; nullopt for a file that cannot be read (devices.allow).
std::optional<std::string> undo_value(const CgroupWrite& w) {
    std::string text;
    if (!try_read_file(w.path(), text)) return std::nullopt;
    if (w.file == "memory.oom_control") {  // "oom_kill_disable 0\nunder_oom 0 ..."
        auto line = line_of(text, "oom_kill_disable");
        return line ? line->substr(line->find(' ') + 1) : "0";
    }
    if (!w.unset_line.empty()) {
        std::string key = w.value.substr(0, w.value.find(' '));
        return line_of(text, key).value_or(w.unset_line);
    }
    // Multi-line files (io.weight: "default 100\n8:0 50") start with their single value.
    return trimmed(text.substr(0, text.find('\n')));
}

[[noreturn]] void fail(const CgroupWrite& w, int err) {
    std::string msg =
        "linux.resources." + w.field + ": writing " + quote(w.value) + " to " + w.path() + ": " + std::strerror(err);
    std::string usage;
    if (err == EBUSY && w.file == "memory.limit_in_bytes" && try_read_file(w.dir + "/memory.usage_in_bytes", usage))
        msg += " (current usage: " + trimmed(usage) + ")";
    throw Error(msg);
}

}  // namespace

void write_cgroup_files(const CgroupWrites& writes, bool undo_on_failure) {
    struct Done {
        const CgroupWrite* write;
        std::optional<std::string> old;
    };
    std::vector<Done> done;
    auto write = [&](const CgroupWrite& w) {
        std::optional<std::string> old;
        if (undo_on_failure) old = undo_value(w);
        int err = write_value(w.path(), w.value);
        if (err == 0) done.push_back({&w, old});
        return err;
    };
    try {
        for (size_t i = 0; i < writes.size(); ++i) {
            const CgroupWrite& w = writes[i];
            int err = write(w);
            if (err == EINVAL && w.retry_after_next && i + 1 < writes.size()) {
                const CgroupWrite& next = writes[++i];
                if (int next_err = write(next)) fail(next, next_err);
                err = write(w);
            }
            if (err) fail(w, err);
        }
    } catch (const Error&) {
        if (!undo_on_failure) throw;
        for (auto it = done.rbegin(); it != done.rend(); ++it) {
            const CgroupWrite& w = *it->write;
            if (!it->old || write_value(w.path(), *it->old) != 0)
                log::warn("could not put " + w.path() + " back" + (it->old ? " to " + quote(*it->old) : ""));
        }
        throw;
    }
}

}  // namespace box

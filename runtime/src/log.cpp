#include "log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "fd.hpp"
#include "json_reader.hpp"
#include "timestamp.hpp"

namespace box::log {
namespace {

struct Sink {
    UniqueFd file;
    Format format = Format::Text;
    bool debug = false;
};

Sink& sink() {
    static Sink s;
    return s;
}

void write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

void emit(const char* level, const std::string& msg, bool to_stderr) {
    Sink& s = sink();
    if (s.file) {
        std::string line;
        if (s.format == Format::Json) {
            line = dump_json(nlohmann::json{{"level", level}, {"msg", msg}, {"time", now_rfc3339_nanos()}}) + "\n";
        } else {
            line =
                "time=\"" + now_rfc3339_nanos() + "\" level=" + level + " msg=" + dump_json(nlohmann::json(msg)) + "\n";
        }
        write_all(s.file.get(), line);
    }
    if (to_stderr)
        write_all(STDERR_FILENO,
                  std::string("box: ") + (std::string(level) == "error" ? "" : std::string(level) + ": ") + msg + "\n");
}

}  // namespace

void configure(const std::string& path, Format format, bool debug) {
    Sink& s = sink();
    s.format = format;
    s.debug = debug;
    if (!path.empty()) {
        int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            s.file.reset(fd);
        else
            std::fprintf(stderr, "box: warning: cannot open log file %s\n", path.c_str());
    }
}

bool debug_enabled() { return sink().debug; }

void debug(const std::string& msg) {
    if (sink().debug) emit("debug", msg, !sink().file);
}
void info(const std::string& msg) { emit("info", msg, false); }
void warn(const std::string& msg) { emit("warning", msg, true); }
void error(const std::string& msg) { emit("error", msg, true); }

}  // namespace box::log

#include "log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>

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

// A logfmt value as logrus (runc's logger) writes it: bare when it is only letters, digits
// and -._/@^+ (or empty), otherwise quoted with Go's %q escapes.
std::string logfmt_value(const std::string& s) {
    bool bare = true;
    for (unsigned char c : s)
        if (!std::isalnum(c) && (c == 0 || !std::strchr("-._/@^+", c))) bare = false;
    if (bare) return s;
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\a': out += "\\a"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\v': out += "\\v"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "\\x%02x", c);
                    out += hex;
                } else {
                    out += static_cast<char>(c);  // UTF-8 passes through, as Go prints it
                }
        }
    }
    return out + "\"";
}

// One line in runc's --log format: logrus text (time="..." level=... msg=...) or JSON.
std::string log_line(Format format, const char* level, const std::string& msg) {
    if (format == Format::Json)
        return dump_json(Json{{"level", level}, {"msg", msg}, {"time", now_rfc3339_nanos()}}) + "\n";
    return "time=" + logfmt_value(now_rfc3339_nanos()) + " level=" + level + " msg=" + logfmt_value(msg) + "\n";
}

void emit(const char* level, const std::string& msg, bool to_stderr) {
    Sink& s = sink();
    if (s.file) write_all(s.file.get(), log_line(s.format, level, msg));
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

// Without --log, debug lines go to stderr in the --log format, as runc --debug writes them.
void debug(const std::string& msg) {
    Sink& s = sink();
    if (!s.debug) return;
    if (s.file)
        emit("debug", msg, false);
    else
        write_all(STDERR_FILENO, log_line(s.format, "debug", msg));
}
void info(const std::string& msg) { emit("info", msg, false); }
void warn(const std::string& msg) { emit("warning", msg, true); }
void error(const std::string& msg) { emit("error", msg, true); }

}  // namespace box::log

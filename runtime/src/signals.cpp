#include "signals.hpp"

#include <csignal>
#include <cstdlib>
#include <utility>

#include "error.hpp"

namespace box {
namespace {

const std::pair<const char*, int> kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

}  // namespace

int parse_signal(const std::string& text) {
    if (all_digits(text)) {
        if (text.size() <= 3) {
            int n = std::atoi(text.c_str());
            if (n >= 1 && n <= SIGRTMAX) return n;
        }
        throw Error("unknown signal " + quote(text));
    }
    std::string name;
    for (char c : text) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.rfind("SIG", 0) == 0) name = name.substr(3);
    for (const auto& [n, v] : kSignals)
        if (name == n) return v;
    auto rt = [&](const char* prefix, int base, int dir) -> int {
        std::string p = prefix;
        if (name.rfind(p, 0) != 0) return -1;
        std::string rest = name.substr(p.size());
        if (rest.empty()) return base;
        if ((rest[0] == '+' || rest[0] == '-') && all_digits(rest.substr(1))) {
            int off = std::atoi(rest.c_str() + 1);
            if ((rest[0] == '+') != (dir > 0)) return -1;
            int sig = base + dir * off;
            if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
        }
        return -1;
    };
    if (int s = rt("RTMIN", SIGRTMIN, 1); s > 0) return s;
    if (int s = rt("RTMAX", SIGRTMAX, -1); s > 0) return s;
    throw Error("unknown signal " + quote(text));
}

std::string signal_name(int sig) {
    for (const auto& [n, v] : kSignals)
        if (v == sig) return std::string("SIG") + n;
    return "signal " + std::to_string(sig);
}

}  // namespace box

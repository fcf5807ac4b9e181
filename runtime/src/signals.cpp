#include "signals.hpp"

#include <cerrno>
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

// runc's list: what a terminal, a shell or a supervisor sends to the foreground job.
constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGUSR1, SIGUSR2,   SIGTERM, SIGALRM, SIGCONT, SIGTSTP,
                              SIGTTIN, SIGTTOU, SIGWINCH, SIGPWR,  SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGIO};

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

}  // namespace

int parse_signal(const std::string& text) {
    if (all_digits(text)) {
        if (text.size() <= 3) {
            int n = std::atoi(text.c_str());
            if (n >= 0 && n <= SIGRTMAX) return n;  // 0: is it alive? (as kill(2))
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

sigset_t forwarded_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kForwarded) sigaddset(&set, s);
    sigaddset(&set, SIGCHLD);
    return set;
}

int forward_signals_until_exit(const sigset_t& signals, pid_t target, const ReapFn& reap) {
    for (;;) {
        siginfo_t info{};
        int sig = sigwaitinfo(&signals, &info);
        if (sig < 0) {
            if (errno == EINTR) continue;
            throw_errno("waiting for signals");
        }
        if (sig != SIGCHLD) {
            ::kill(target, sig);
            continue;
        }
        if (auto code = reap()) return *code;
    }
}

}  // namespace box

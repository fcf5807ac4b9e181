#include "tty_relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "error.hpp"
#include "unix_socket.hpp"

namespace box {
namespace {

constexpr size_t kChunk = 16 * 1024;

int host_terminal_fd() {
    for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
        if (::isatty(fd)) return fd;
    return -1;
}

// The caller's terminal in raw mode for as long as this lives: every key goes to the container's
// terminal, which does the echoing and line editing. Output processing stays on, as runc leaves it.
class RawMode {
public:
    explicit RawMode(int fd) {
        if (fd < 0 || ::tcgetattr(fd, &saved_) < 0) return;
        termios raw = saved_;
        ::cfmakeraw(&raw);
        raw.c_oflag |= OPOST;
        if (::tcsetattr(fd, TCSANOW, &raw) == 0) fd_ = fd;
    }
    RawMode(const RawMode&) = delete;
    RawMode& operator=(const RawMode&) = delete;
    ~RawMode() {
        if (fd_ >= 0) ::tcsetattr(fd_, TCSANOW, &saved_);
    }

private:
    int fd_ = -1;
    termios saved_{};
};

// SIGPIPE ignored while relaying: a closed stdout must not kill box before it restores the terminal.
class IgnoreSigpipe {
public:
    IgnoreSigpipe() {
        struct sigaction ign {};
        ign.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ign, &saved_);
    }
    IgnoreSigpipe(const IgnoreSigpipe&) = delete;
    IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;
    ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &saved_, nullptr); }

private:
    struct sigaction saved_ {};
};

void resize_to_host(int master) {
    int host = host_terminal_fd();
    winsize ws{};
    if (host >= 0 && ::ioctl(host, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) ::ioctl(master, TIOCSWINSZ, &ws);
}

// Writes everything to stdout, waiting when it is non-blocking; false once it is gone.
bool write_out(const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(STDOUT_FILENO, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd p{STDOUT_FILENO, POLLOUT, 0};
            ::poll(&p, 1, -1);
            continue;
        }
        if (n <= 0) return false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

class Relay {
public:
    Relay(int master, pid_t target, const ReapFn& reap) : master_(master), target_(target), reap_(reap) {}

    // Returns the exit status once the process has exited and its output is drained.
    int run(int sigfd) {
        for (;;) {
            pollfd fds[3] = {
                {sigfd, POLLIN, 0},
                {master_open_ ? master_ : -1, static_cast<short>(POLLIN | (pending_.empty() ? 0 : POLLOUT)), 0},
                {stdin_open_ && pending_.size() < kChunk ? STDIN_FILENO : -1, POLLIN, 0}};
            if (::poll(fds, 3, -1) < 0) {
                if (errno == EINTR) continue;
                throw_errno("waiting for the terminal");
            }
            if (fds[0].revents)
                if (auto code = take_signals(sigfd)) {
                    drain();
                    return *code;
                }
            if (fds[1].revents & POLLOUT) send_input();
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) read_output();
            if (fds[2].revents) read_input();
        }
    }

private:
    std::optional<int> take_signals(int sigfd) {
        signalfd_siginfo info{};
        while (::read(sigfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            int sig = static_cast<int>(info.ssi_signo);
            if (sig == SIGCHLD) {
                if (auto code = reap_()) return code;
            } else if (sig == SIGWINCH) {
                resize_to_host(master_);
            } else {
                ::kill(target_, sig);
            }
        }
        return std::nullopt;
    }

    // What the process wrote; the terminal is closed once no process in the container holds it.
    void read_output() {
        char buf[kChunk];
        ssize_t n = ::read(master_, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        if (n <= 0) {
            master_open_ = false;
            pending_.clear();
            return;
        }
        if (stdout_open_) stdout_open_ = write_out(buf, static_cast<size_t>(n));
    }

    void drain() {
        while (master_open_) {
            char buf[kChunk];
            ssize_t n = ::read(master_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;
            if (stdout_open_) stdout_open_ = write_out(buf, static_cast<size_t>(n));
        }
    }

    void read_input() {
        char buf[kChunk];
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf - pending_.size());
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        // End of input (or a terminal we may no longer read): the process keeps running, as with runc.
        if (n <= 0) {
            stdin_open_ = false;
            return;
        }
        pending_.append(buf, static_cast<size_t>(n));
    }

    void send_input() {
        ssize_t n = ::write(master_, pending_.data(), pending_.size());
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        if (n < 0) {
            pending_.clear();
            stdin_open_ = false;
            return;
        }
        pending_.erase(0, static_cast<size_t>(n));
    }

    int master_;
    pid_t target_;
    const ReapFn& reap_;
    std::string pending_;  // read from stdin, not yet taken by the terminal
    bool master_open_ = true;
    bool stdin_open_ = true;
    bool stdout_open_ = true;
};

}  // namespace

std::optional<ConsoleSize> host_terminal_size() {
    int host = host_terminal_fd();
    winsize ws{};
    if (host < 0 || ::ioctl(host, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col) return std::nullopt;
    return ConsoleSize{ws.ws_row, ws.ws_col};
}

UniqueFd receive_terminal(int sock) {
    char byte;
    std::vector<UniqueFd> fds;
    size_t n = receive_with_fds(sock, &byte, 1, fds, "receiving the container's terminal");
    if (n == 0 || fds.size() != 1) throw Error("the container's init sent no terminal");
    return std::move(fds[0]);
}

int relay_terminal(UniqueFd master, const sigset_t& signals, pid_t target, const ReapFn& reap) {
    UniqueFd sigfd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigfd) throw_errno("signalfd");
    int flags = ::fcntl(master.get(), F_GETFL);
    if (flags < 0 || ::fcntl(master.get(), F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("the terminal's master");
    resize_to_host(master.get());
    IgnoreSigpipe no_sigpipe;
    RawMode raw(::isatty(STDIN_FILENO) ? STDIN_FILENO : -1);
    return Relay(master.get(), target, reap).run(sigfd.get());
}

}  // namespace box

// box-recvtty: a console-socket receiver for tests, like runc's recvtty.
//
//   box-recvtty [--input TEXT] [--input-after STR] [--winsize FILE] [--wait-ms N] SOCKET_PATH OUTFILE
//
// Creates OUTFILE (empty), listens on the unix socket SOCKET_PATH, accepts one connection and
// receives the pty master fd that box sends with SCM_RIGHTS. Then, if given, it writes TEXT to
// the master (at once, or once the output contains STR), and copies everything read from the
// master into OUTFILE until the terminal is closed (EIO/EOF on the master).
//
// The socket is bound under a temporary name and renamed to SOCKET_PATH once it listens, so a
// caller may connect as soon as SOCKET_PATH exists. --winsize FILE writes "ROWS COLS" of the
// terminal, as received, to FILE. --wait-ms N (default 20000) bounds the whole run.
//
// Exit status: 0 when the terminal was closed, 124 on timeout (OUTFILE holds what was read),
// 1 on any other error, 2 for usage errors. Messages go to stderr as "box-recvtty: ...".
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "tool_support.hpp"
#include "unix_socket.hpp"

namespace {

using box::UniqueFd;
using namespace box::tools;

constexpr int kTimeoutExit = 124;

struct Timeout : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Options {
    std::optional<std::string> input;
    std::string input_after;
    std::string winsize_file;
    long wait_ms = 20000;
    std::string socket_path;
    std::string out_file;
};

class Deadline {
public:
    explicit Deadline(long ms) : end_(now_ms() + ms) {}
    // Milliseconds left for poll(); throws once the time is up.
    int left(const char* waiting_for) const {
        long left = end_ - now_ms();
        if (left <= 0) throw Timeout(std::string("timed out waiting for ") + waiting_for);
        return static_cast<int>(left);
    }

private:
    long end_;
};

// Waits until fd is readable (or has hung up); returns the revents.
short wait_readable(int fd, const Deadline& deadline, const char* waiting_for) {
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, deadline.left(waiting_for));
        if (r < 0) {
            if (errno == EINTR) continue;
            fail_errno("poll");
        }
        if (r > 0) return p.revents;
    }
}

void write_all(int fd, std::string_view data, const char* what) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno(std::string("writing ") + what);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

UniqueFd accept_one(int listener, const Deadline& deadline) {
    wait_readable(listener, deadline, "a connection on the console socket");
    UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) fail_errno("accept");
    return conn;
}

// Receives one fd sent with SCM_RIGHTS; the message payload itself is ignored.
UniqueFd receive_fd(int conn, const Deadline& deadline) {
    for (;;) {
        wait_readable(conn, deadline, "the terminal fd");
        char data[256];
        std::vector<UniqueFd> fds;
        size_t n = box::receive_with_fds(conn, data, sizeof data, fds, "recvmsg");
        if (!fds.empty()) return std::move(fds.front());  // only the first fd is the terminal
        if (n == 0) throw Failure("the console socket was closed without sending a terminal fd");
    }
}

void report_winsize(int master, const std::string& file) {
    winsize ws{};
    if (::ioctl(master, TIOCGWINSZ, &ws) < 0) fail_errno("TIOCGWINSZ");
    UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out) fail_errno("opening " + file);
    write_all(out.get(), std::to_string(ws.ws_row) + " " + std::to_string(ws.ws_col) + "\n", file.c_str());
}

// Copies the terminal's output into out until it is closed, writing the input once due.
void relay(int master, int out, const Options& opts, const Deadline& deadline) {
    std::string seen;  // output so far, kept only while waiting for --input-after
    bool input_due = opts.input.has_value();
    auto maybe_send_input = [&] {
        if (!input_due) return;
        if (!opts.input_after.empty() && seen.find(opts.input_after) == std::string::npos) return;
        write_all(master, *opts.input, "the input to the terminal");
        input_due = false;
        seen.clear();
    };
    maybe_send_input();
    for (;;) {
        wait_readable(master, deadline, "the terminal to close");
        char buf[8192];
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            if (errno == EIO) return;  // every copy of the terminal's peer is closed
            fail_errno("reading the terminal");
        }
        if (n == 0) return;
        write_all(out, std::string_view(buf, static_cast<size_t>(n)), opts.out_file.c_str());
        if (input_due) {
            seen.append(buf, static_cast<size_t>(n));
            maybe_send_input();
        }
    }
}

Options parse(int argc, char** argv) {
    Options o;
    int i = 1;
    auto value = [&](const char* flag) -> std::string {
        if (i + 1 >= argc) throw Usage(std::string(flag) + " needs a value");
        return argv[++i];
    };
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (a.size() < 2 || a[0] != '-') break;
        if (a == "--input") {
            o.input = value("--input");
        } else if (a == "--input-after") {
            o.input_after = value("--input-after");
        } else if (a == "--winsize") {
            o.winsize_file = value("--winsize");
        } else if (a == "--wait-ms") {
            o.wait_ms = number_option("--wait-ms", value("--wait-ms"), 1);
        } else {
            throw Usage("unknown option " + a);
        }
    }
    if (argc - i != 2) throw Usage("expected SOCKET_PATH OUTFILE");
    o.socket_path = argv[i];
    o.out_file = argv[i + 1];
    if (!o.input_after.empty() && !o.input) throw Usage("--input-after needs --input");
    return o;
}

int run(const Options& opts) {
    Deadline deadline(opts.wait_ms);
    UniqueFd out(::open(opts.out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out) fail_errno("opening " + opts.out_file);
    UniqueFd master;
    {
        UniqueFd listener = listen_on(opts.socket_path, 1);
        UniqueFd conn;
        try {
            conn = accept_one(listener.get(), deadline);
        } catch (...) {
            ::unlink(opts.socket_path.c_str());
            throw;
        }
        // One connection only: later ones find no socket.
        ::unlink(opts.socket_path.c_str());
        listener.reset();
        master = receive_fd(conn.get(), deadline);
    }
    if (!opts.winsize_file.empty()) report_winsize(master.get(), opts.winsize_file);
    relay(master.get(), out.get(), opts, deadline);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const Usage& e) {
        std::cerr << "box-recvtty: " << e.what() << "\n"
                  << "usage: box-recvtty [--input TEXT] [--input-after STR] [--winsize FILE] [--wait-ms N] SOCKET_PATH "
                     "OUTFILE\n";
        return 2;
    } catch (const Timeout& e) {
        std::cerr << "box-recvtty: " << e.what() << "\n";
        return kTimeoutExit;
    } catch (const std::exception& e) {
        std::cerr << "box-recvtty: " << e.what() << "\n";
        return 1;
    }
}

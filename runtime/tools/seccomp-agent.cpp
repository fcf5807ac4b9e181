// box-seccomp-agent: a seccomp user-notification agent for tests, like runc's
// contrib/cmd/seccompagent.
//
//   box-seccomp-agent [--mkdir-errno N] [--wait-ms N] SOCKET_PATH STATE_FILE
//
// Creates STATE_FILE (empty) and listens on the unix socket SOCKET_PATH (bound under a
// temporary name and renamed into place once it listens: a runtime may connect as soon as
// SOCKET_PATH exists). From each connection it reads what the runtime sends for
// linux.seccomp.listenerPath: the container process state (JSON, up to EOF) with the seccomp
// notify fd (SCM_RIGHTS). It appends the JSON as one line to STATE_FILE and from then on
// answers that fd's notifications:
//   mkdir, mkdirat  fail with errno N (default EPERM); with N = 0 they return 0 without
//                   creating anything
//   anything else   carries on as if it had not been notified (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
// It serves any number of connections until it is killed or --wait-ms N (default 60000)
// have passed. Exit status: 0 at the time limit, 1 on errors, 2 for usage errors; messages go
// to stderr as "box-seccomp-agent: ...".
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fd.hpp"
#include "tool_support.hpp"
#include "unix_socket.hpp"

namespace {

using box::UniqueFd;
using namespace box::tools;

#if defined(__x86_64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kNativeArch = 0;  // not checked
#endif

struct Options {
    int mkdir_errno = EPERM;
    long wait_ms = 60000;
    std::string socket_path;
    std::string state_file;
};

bool is_mkdir(const seccomp_data& d) {
    if (kNativeArch != 0 && d.arch != kNativeArch) return false;
#ifdef __NR_mkdir
    if (d.nr == __NR_mkdir) return true;
#endif
    return d.nr == __NR_mkdirat;
}

// Reads the container process state up to EOF (5 s at most) and the first fd sent with it.
UniqueFd receive_state(int conn, std::string& state) {
    UniqueFd received;
    for (;;) {
        pollfd p{conn, POLLIN, 0};
        int r = ::poll(&p, 1, 5000);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail_errno("poll");
        if (r == 0) throw Failure("timed out reading the container process state");
        char buf[4096];
        std::vector<UniqueFd> fds;
        size_t n = box::receive_with_fds(conn, buf, sizeof buf, fds, "recvmsg");
        // "fds": ["seccompFd"]: the first one is the listener; the others are closed
        if (!received && !fds.empty()) received = std::move(fds.front());
        if (n == 0) break;
        state.append(buf, n);
        if (state.size() > (1 << 20)) throw Failure("container process state larger than 1 MiB");
    }
    if (!received) throw Failure("the runtime sent no fd with the container process state");
    return received;
}

void append_line(const std::string& file, std::string line) {
    std::replace(line.begin(), line.end(), '\n', ' ');
    line += '\n';
    UniqueFd out(::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!out || ::write(out.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        fail_errno("writing " + file);
}

class Responder {
public:
    explicit Responder(int mkdir_errno) : mkdir_errno_(mkdir_errno) {
        seccomp_notif_sizes sizes{};
        if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) fail_errno("SECCOMP_GET_NOTIF_SIZES");
        req_.resize(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
        resp_.resize(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
    }

    // Answers one notification from listener.
    void answer(int listener) {
        std::fill(req_.begin(), req_.end(), 0);  // the kernel wants it zeroed
        auto* req = reinterpret_cast<seccomp_notif*>(req_.data());
        if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
            if (errno == EINTR || errno == ENOENT) return;  // the caller went away meanwhile
            fail_errno("SECCOMP_IOCTL_NOTIF_RECV");
        }
        std::fill(resp_.begin(), resp_.end(), 0);
        auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_.data());
        resp->id = req->id;
        if (is_mkdir(req->data))
            resp->error = -mkdir_errno_;  // 0: success, val 0, nothing done
        else
            resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
            fail_errno("SECCOMP_IOCTL_NOTIF_SEND");
    }

private:
    int mkdir_errno_;
    std::vector<char> req_, resp_;
};

int run(const Options& opts) {
    long deadline = now_ms() + opts.wait_ms;
    if (!UniqueFd(::open(opts.state_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)))
        fail_errno("creating " + opts.state_file);
    Responder responder(opts.mkdir_errno);
    UniqueFd sock = listen_on(opts.socket_path, 16);
    std::vector<UniqueFd> listeners;
    for (;;) {
        std::vector<pollfd> fds{{sock.get(), POLLIN, 0}};
        for (const auto& l : listeners) fds.push_back({l.get(), POLLIN, 0});
        long left = deadline - now_ms();
        if (left <= 0) break;
        int r = ::poll(fds.data(), fds.size(), static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail_errno("poll");
        // Notifications first; a listener that hung up has no filtered process left.
        for (size_t i = 1; i < fds.size(); ++i) {
            if (fds[i].revents & POLLIN)
                responder.answer(fds[i].fd);
            else if (fds[i].revents & (POLLHUP | POLLERR | POLLNVAL))
                listeners[i - 1].reset();
        }
        std::erase_if(listeners, [](const UniqueFd& l) { return !l; });
        if (fds[0].revents & POLLIN) {
            UniqueFd conn(::accept4(sock.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!conn) fail_errno("accept");
            std::string state;
            UniqueFd listener = receive_state(conn.get(), state);
            append_line(opts.state_file, state);
            listeners.push_back(std::move(listener));
        }
    }
    ::unlink(opts.socket_path.c_str());
    return 0;
}

Options parse(int argc, char** argv) {
    Options o;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) throw Usage(a + " needs a value");
        if (a == "--mkdir-errno")
            o.mkdir_errno = static_cast<int>(std::min(number_option(a, argv[++i], 0), 4095L));
        else if (a == "--wait-ms")
            o.wait_ms = number_option(a, argv[++i], 1);
        else
            throw Usage("unknown option " + a);
    }
    if (argc - i != 2) throw Usage("expected SOCKET_PATH STATE_FILE");
    o.socket_path = argv[i];
    o.state_file = argv[i + 1];
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const Usage& e) {
        std::cerr << "box-seccomp-agent: " << e.what() << "\n"
                  << "usage: box-seccomp-agent [--mkdir-errno N] [--wait-ms N] SOCKET_PATH STATE_FILE\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "box-seccomp-agent: " << e.what() << "\n";
        return 1;
    }
}

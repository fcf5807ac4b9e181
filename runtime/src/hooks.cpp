#include "hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "fd.hpp"
#include "files.hpp"
#include "log.hpp"

namespace box {
namespace {

long now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void run_hook(const Hook& hook, const std::string& stage, const std::string& state) {
    // The state reaches the hook's stdin from a memory file, not a pipe: all of it is there
    // however large, and a hook that exits without reading it cannot kill us with SIGPIPE.
    UniqueFd state_in(::memfd_create("hook-state", MFD_CLOEXEC));
    if (!state_in || !write_all(state_in.get(), state) || ::lseek(state_in.get(), 0, SEEK_SET) < 0)
        throw_errno(stage + " hook " + hook.path + ": passing the state");
    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0) throw_errno(stage + " hook: pipe");
    UniqueFd out_r(out[0]), out_w(out[1]);
    std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    // Without "env" a hook gets box's own environment, as runc and crun give theirs.
    std::vector<std::string> env = hook.env.value_or(std::vector<std::string>{});
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    char** hook_environ = hook.env ? envp.data() : environ;
    pid_t pid = ::fork();
    if (pid < 0) throw_errno(stage + " hook " + hook.path + ": fork");
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(state_in.get(), 0);
        ::dup2(out_w.get(), 1);
        ::dup2(out_w.get(), 2);
        ::execve(hook.path.c_str(), argv.data(), hook_environ);
        std::string msg = std::string("cannot execute: ") + std::strerror(errno);
        (void)!::write(2, msg.data(), msg.size());
        _exit(127);
    }
    state_in.reset();
    out_w.reset();
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    std::string output;
    long deadline = hook.timeout ? now_ms() + *hook.timeout * 1000L : -1;
    bool timed_out = false, exited = false;
    while (!exited || out_r) {
        pollfd fds[2] = {{out_r ? out_r.get() : -1, POLLIN, 0}, {exited ? -1 : pidfd.get(), POLLIN, 0}};
        int wait = deadline < 0 ? -1 : static_cast<int>(std::max(0L, deadline - now_ms()));
        int r = ::poll(fds, 2, wait);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) {
            timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        if (fds[0].revents) {
            char buf[4096];
            ssize_t n = ::read(out_r.get(), buf, sizeof buf);
            if (n <= 0)
                out_r.reset();
            else if (output.size() < 4096)
                output.append(buf, static_cast<size_t>(n));
        }
        if (fds[1].revents) exited = true;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    // Errors are one line: the hook's own lines are joined.
    for (size_t pos; (pos = output.find('\n')) != std::string::npos;) output.replace(pos, 1, " | ");
    std::string detail = output.empty() ? "" : ": " + output;
    if (timed_out)
        throw Error(stage + " hook " + hook.path + " timed out after " + std::to_string(*hook.timeout) + "s" + detail);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        throw Error(stage + " hook " + hook.path + " failed with exit status " + std::to_string(WEXITSTATUS(status)) +
                    detail);
    if (WIFSIGNALED(status))
        throw Error(stage + " hook " + hook.path + " was killed by signal " + std::to_string(WTERMSIG(status)) +
                    detail);
}

}  // namespace

void run_hooks(const std::vector<Hook>& hooks, const std::string& stage, const Json& state) {
    if (hooks.empty()) return;
    std::string text = dump_json(state);
    for (const auto& h : hooks) run_hook(h, stage, text);
}

void run_hooks_warn(const std::vector<Hook>& hooks, const std::string& stage, const Json& state) {
    try {
        run_hooks(hooks, stage, state);
    } catch (const Error& e) {
        log::warn(e.what());
    }
}

}  // namespace box

#include "seccomp.hpp"

#include <seccomp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <memory>

#include "error.hpp"
#include "log.hpp"
#include "unix_socket.hpp"
#include "version.hpp"

namespace box {
namespace {

constexpr const char* kLabel = "config.json";
constexpr const char* kNotify = "SCMP_ACT_NOTIFY";
// The container process hands its notify listener to box with this syscall: a rule that
// notified it would wait for an agent that cannot have the listener yet.
constexpr const char* kHandOverSyscall = "sendmsg";

struct ActionName {
    const char* name;
    uint32_t action;
    bool takes_errno;
};

const ActionName kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(EPERM), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(EPERM), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

const std::pair<const char*, scmp_compare> kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

const std::pair<const char*, const char*> kArches[] = {
    {"SCMP_ARCH_X86", "x86"},       {"SCMP_ARCH_X86_64", "x86_64"},   {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},       {"SCMP_ARCH_AARCH64", "aarch64"}, {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"}, {"SCMP_ARCH_MIPSEL", "mipsel"},   {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_PPC", "ppc"},       {"SCMP_ARCH_PPC64", "ppc64"},     {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_S390", "s390"},     {"SCMP_ARCH_S390X", "s390x"},     {"SCMP_ARCH_RISCV64", "riscv64"},
};

uint32_t parse_action(const JsonReader& r, std::optional<JsonReader> errno_ret) {
    std::string name = r.as_string();
    for (const auto& a : kActions) {
        if (name != a.name) continue;
        if (!a.takes_errno) return a.action;
        uint32_t ret = EPERM;
        if (errno_ret) ret = static_cast<uint32_t>(errno_ret->as_uint());
        return name == "SCMP_ACT_ERRNO" ? SCMP_ACT_ERRNO(ret) : SCMP_ACT_TRACE(ret);
    }
    r.fail("unknown seccomp action " + quote(name));
}

scmp_compare parse_op(const JsonReader& r) {
    std::string name = r.as_string();
    for (const auto& [n, op] : kOps)
        if (name == n) return op;
    r.fail("unknown seccomp operator " + quote(name));
}

uint32_t parse_arch(const JsonReader& r) {
    std::string name = r.as_string();
    for (const auto& [n, lib] : kArches)
        if (name == n) {
            uint32_t token = seccomp_arch_resolve_name(lib);
            if (token == 0) r.fail("architecture " + quote(name) + " is not known to this libseccomp");
            return token;
        }
    r.fail("unknown seccomp architecture " + quote(name));
}

struct FilterDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};

// Parses the whole description; with ctx set, also adds the rules to it. Returns whether
// SCMP_ACT_NOTIFY rules were added to ctx (without ctx: whether there are any).
bool build(const Json& seccomp, scmp_filter_ctx ctx) {
    JsonReader r(seccomp, kLabel, "linux.seccomp");
    uint32_t def = parse_action(r.at("defaultAction"), r.get("defaultErrnoRet"));
    // Like runc: the runtime's own syscalls between loading and handing the listener over
    // would wait for an agent that has no listener yet.
    if (def == SCMP_ACT_NOTIFY) r.at("defaultAction").fail("SCMP_ACT_NOTIFY cannot be used as the default action");
    std::string listener_path;
    if (auto lp = r.get("listenerPath")) {
        listener_path = lp->as_string();
        if (listener_path.size() >= sizeof(sockaddr_un{}.sun_path))
            lp->fail("socket path of " + std::to_string(listener_path.size()) + " bytes is too long (at most " +
                     std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + ")");
    }
    if (auto md = r.get("listenerMetadata")) md->as_string();
    bool notify_declared = false, notify_added = false;
    if (auto arches = r.get("architectures"))
        for (const auto& a : arches->as_array()) {
            uint32_t token = parse_arch(a);
            if (ctx) {
                int rc = seccomp_arch_add(ctx, token);
                if (rc < 0 && rc != -EEXIST) throw_errno("linux.seccomp: adding architecture " + a.as_string(), -rc);
            }
        }
    if (auto flags = r.get("flags"))
        for (const auto& f : flags->as_array()) {
            std::string name = f.as_string();
            if (name == "SECCOMP_FILTER_FLAG_LOG") {
                if (ctx) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
            } else if (name == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
                if (ctx) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
            } else if (name == "SECCOMP_FILTER_FLAG_TSYNC") {
                if (ctx) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
            } else {
                f.fail("unknown seccomp flag " + quote(name));
            }
        }
    if (auto syscalls = r.get("syscalls"))
        for (const auto& sc : syscalls->as_array()) {
            uint32_t action = parse_action(sc.at("action"), sc.get("errnoRet"));
            bool notify = action == SCMP_ACT_NOTIFY;
            notify_declared = notify_declared || notify;
            std::vector<scmp_arg_cmp> cmps;
            if (auto args = sc.get("args"))
                for (const auto& a : args->as_array()) {
                    uint64_t index = a.at("index").as_uint();
                    if (index > 5) a.at("index").fail("syscall argument index must be between 0 and 5");
                    scmp_arg_cmp c{};
                    c.arg = static_cast<unsigned>(index);
                    c.op = parse_op(a.at("op"));
                    c.datum_a = a.at("value").as_uint();
                    c.datum_b = a.get("valueTwo") ? a.at("valueTwo").as_uint() : 0;
                    cmps.push_back(c);
                }
            for (const auto& name_r : sc.at("names").as_array()) {
                std::string name = name_r.as_string();
                if (notify && name == kHandOverSyscall)
                    name_r.fail(std::string("SCMP_ACT_NOTIFY cannot be used for ") + kHandOverSyscall +
                                ": the container process hands the notify listener to box with it");
                int nr = seccomp_syscall_resolve_name(name.c_str());
                if (nr == __NR_SCMP_ERROR) {
                    // Like runc: a syscall this kernel or libseccomp does not know is skipped.
                    if (ctx) log::debug("seccomp: skipping unknown syscall " + name);
                    continue;
                }
                if (!ctx || action == def) continue;
                int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
                if (rc < 0) throw_errno("linux.seccomp: adding a rule for " + name, -rc);
                notify_added = notify_added || notify;
            }
        }
    if (notify_declared && listener_path.empty())
        throw Error(std::string(kLabel) + ": linux.seccomp.listenerPath: required when a rule uses " + kNotify +
                    " (the unix socket of the agent that receives the notify listener)");
    return ctx ? notify_added : notify_declared;
}

}  // namespace

void validate_seccomp(const Json& seccomp) { build(seccomp, nullptr); }

bool seccomp_notifies(const Json& seccomp) {
    auto syscalls = seccomp.find("syscalls");
    if (syscalls == seccomp.end() || !syscalls->is_array()) return false;
    for (const auto& sc : *syscalls)
        if (sc.is_object() && sc.value("action", Json()) == kNotify) return true;
    return false;
}

UniqueFd load_seccomp(const Json& seccomp) {
    // Detect the kernel's seccomp API now: libseccomp would otherwise probe it (with syscalls)
    // in seccomp_notify_fd, under the filter, before the listener is handed over.
    seccomp_api_get();
    JsonReader r(seccomp, kLabel, "linux.seccomp");
    uint32_t def = parse_action(r.at("defaultAction"), r.get("defaultErrnoRet"));
    std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(def));
    if (!ctx) throw Error("linux.seccomp: cannot initialise the filter");
    // Do not let libseccomp set no_new_privs on its own: that is process.noNewPrivileges' job.
    seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
    bool notify = build(seccomp, ctx.get());
    int rc = seccomp_load(ctx.get());
    if (rc < 0) throw_errno("linux.seccomp: loading the filter", -rc);
    if (!notify) return {};
    // The kernel creates the listener O_CLOEXEC; no syscall may come between here and the
    // hand-over that a rule could notify.
    int fd = seccomp_notify_fd(ctx.get());
    if (fd < 0) throw_errno("linux.seccomp: getting the SCMP_ACT_NOTIFY listener", -fd);
    return UniqueFd(fd);
}

void send_seccomp_listener(const Json& seccomp, int listener, pid_t pid, const Json& state) {
    JsonReader r(seccomp, kLabel, "linux.seccomp");
    std::string path = r.string_or("listenerPath", "");
    std::string what = "linux.seccomp.listenerPath " + quote(path);
    if (path.empty()) throw Error("linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
    Json msg = {{"ociVersion", state.value("ociVersion", kOciVersion)}, {"fds", {"seccompFd"}}, {"pid", pid}};
    if (std::string md = r.string_or("listenerMetadata", ""); !md.empty()) msg["metadata"] = md;
    msg["state"] = state;
    std::string body = dump_json(msg);

    UniqueFd sock = connect_unix_socket(path, what + ": connecting");
    // The fd goes with the first bytes; the rest of a long state may need more calls.
    send_with_fd(sock.get(), body.data(), body.size(), listener, what + ": sending the container process state");
}

std::string libseccomp_version() {
    const scmp_version* v = seccomp_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

std::vector<std::string> seccomp_actions() {
    std::vector<std::string> out;
    for (const auto& a : kActions) out.emplace_back(a.name);
    return out;
}

std::vector<std::string> seccomp_architectures() {
    std::vector<std::string> out;
    for (const auto& [n, lib] : kArches) out.emplace_back(n);
    return out;
}

std::vector<std::string> seccomp_operators() {
    std::vector<std::string> out;
    for (const auto& [n, op] : kOps) out.emplace_back(n);
    return out;
}

}  // namespace box

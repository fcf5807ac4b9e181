#include "seccomp.hpp"

#include <seccomp.h>

#include <cerrno>
#include <memory>

#include "error.hpp"
#include "log.hpp"

namespace box {
namespace {

constexpr const char* kLabel = "config.json";

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
    if (name == "SCMP_ACT_NOTIFY") r.fail("SCMP_ACT_NOTIFY is not supported by box yet");
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

// Parses the whole description; with ctx set, also adds the rules to it.
void build(const Json& seccomp, scmp_filter_ctx ctx) {
    JsonReader r(seccomp, kLabel, "linux.seccomp");
    uint32_t def = parse_action(r.at("defaultAction"), r.get("defaultErrnoRet"));
    (void)def;
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
                int nr = seccomp_syscall_resolve_name(name.c_str());
                if (nr == __NR_SCMP_ERROR) {
                    // Like runc: a syscall this kernel or libseccomp does not know is skipped.
                    if (ctx) log::debug("seccomp: skipping unknown syscall " + name);
                    continue;
                }
                if (!ctx || action == def) continue;
                int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
                if (rc < 0) throw_errno("linux.seccomp: adding a rule for " + name, -rc);
            }
        }
}

}  // namespace

void validate_seccomp(const Json& seccomp) { build(seccomp, nullptr); }

void load_seccomp(const Json& seccomp) {
    JsonReader r(seccomp, kLabel, "linux.seccomp");
    uint32_t def = parse_action(r.at("defaultAction"), r.get("defaultErrnoRet"));
    std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(def));
    if (!ctx) throw Error("linux.seccomp: cannot initialise the filter");
    // Do not let libseccomp set no_new_privs on its own: that is process.noNewPrivileges' job.
    seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
    build(seccomp, ctx.get());
    int rc = seccomp_load(ctx.get());
    if (rc < 0) throw_errno("linux.seccomp: loading the filter", -rc);
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

// box-checker: run inside a container, verifies that the process sees what the bundle's
// config.json (copied in as /spec.json) asks for. Nothing on stderr and exit 0 when every
// check holds; otherwise one line per failed check ("what: expected X, saw Y") and exit 1.
//
// Usage: box-checker [SPEC]   (default /spec.json)
// Host namespaces to compare against come from the environment: BOX_HOST_NS_<TYPE>=<inode>
// with TYPE the spec's namespace type in upper case (PID, NETWORK, MOUNT, IPC, UTS, USER,
// CGROUP, TIME). A namespace without such a variable is not compared.
//
// Statically linked on purpose: a dynamic binary fails inside a foreign rootfs with a
// misleading "not found" for its missing interpreter.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "capability_names.hpp"
#include "rlimit_names.hpp"

extern char** environ;

namespace {

using Json = nlohmann::json;

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_;
};

class Dir {
public:
    explicit Dir(const std::string& path) : d_(::opendir(path.c_str())) {}
    Dir(const Dir&) = delete;
    Dir& operator=(const Dir&) = delete;
    ~Dir() {
        if (d_) ::closedir(d_);
    }
    DIR* get() const { return d_; }

private:
    DIR* d_;
};

std::string quote(const std::string& s) { return "\"" + s + "\""; }

std::string errno_name(int err) {
    switch (err) {
        case 0: return "success";
        case EROFS: return "EROFS";
        case EACCES: return "EACCES";
        case EPERM: return "EPERM";
        case ENOENT: return "ENOENT";
        case EEXIST: return "EEXIST";
        case EBUSY: return "EBUSY";
        case ETXTBSY: return "ETXTBSY";
        case EISDIR: return "EISDIR";
        default: return "errno " + std::to_string(err) + " (" + std::strerror(err) + ")";
    }
}

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\n");
    if (b == std::string::npos) return {};
    size_t e = s.find_last_not_of(" \t\n");
    return s.substr(b, e - b + 1);
}

// Whitespace runs collapsed: sysctls like net.ipv4.ip_local_port_range read back tab-separated.
std::string squeeze(const std::string& s) {
    std::istringstream in(s);
    std::string word, out;
    while (in >> word) out += (out.empty() ? "" : " ") + word;
    return out;
}

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

// "Key:\tvalue" lines of /proc/self/status.
std::string status_field(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, key.size() + 1, key + ":") == 0) return trim(line.substr(key.size() + 1));
    return {};
}

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, sep)) out.push_back(item);
    return out;
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

// Shared with the runtime (runtime/src): the checker must know the same names.
constexpr const auto& kCapNames = box::kCapabilityNames;
constexpr int kCapCount = static_cast<int>(std::size(kCapNames));
constexpr const auto& kRlimits = box::kRlimitNames;

// spec namespace type -> /proc/self/ns entry
const std::pair<const char*, const char*> kNamespaces[] = {
    {"pid", "pid"}, {"network", "net"}, {"mount", "mnt"},     {"ipc", "ipc"},
    {"uts", "uts"}, {"user", "user"},   {"cgroup", "cgroup"}, {"time", "time"},
};

struct DefaultDevice {
    const char* path;
    unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

// ---------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------

class Checker {
public:
    explicit Checker(Json spec) : spec_(std::move(spec)) {}

    int run() {
        // Each check guards itself: a malformed field must not hide the other checks.
        guarded("hostname", [this] { check_uts(); });
        guarded("process", [this] { check_process(); });
        guarded("process.capabilities", [this] { check_capabilities(); });
        guarded("process.rlimits", [this] { check_rlimits(); });
        guarded("linux.seccomp", [this] { check_seccomp_mode(); });
        guarded("linux.sysctl", [this] { check_sysctls(); });
        guarded("linux.maskedPaths", [this] { check_masked_paths(); });
        guarded("linux.readonlyPaths", [this] { check_readonly_paths(); });
        guarded("root.readonly", [this] { check_root(); });
        guarded("mounts", [this] { check_mounts(); });
        guarded("devices", [this] { check_devices(); });
        guarded("linux.namespaces", [this] { check_namespaces(); });
        return failures_ == 0 ? 0 : 1;
    }

private:
    Json spec_;
    int failures_ = 0;

    void fail(const std::string& what, const std::string& expected, const std::string& seen) {
        ++failures_;
        std::fprintf(stderr, "%s: expected %s, saw %s\n", what.c_str(), expected.c_str(), seen.c_str());
    }

    template <typename F>
    void guarded(const char* what, F f) {
        try {
            f();
        } catch (const std::exception& e) {
            fail(what, "a valid spec field", std::string("an error: ") + e.what());
        }
    }

    const Json& at(const Json& j, const char* key) const {
        static const Json null;
        if (!j.is_object()) return null;
        auto it = j.find(key);
        return it == j.end() ? null : *it;
    }
    const Json& process() const { return at(spec_, "process"); }
    const Json& linux_() const { return at(spec_, "linux"); }

    bool has_namespace(const std::string& type) const {
        for (const auto& ns : at(linux_(), "namespaces"))
            if (at(ns, "type") == type) return true;
        return false;
    }

    // --- hostname / domainname -------------------------------------------------
    void check_uts() {
        utsname u{};
        if (::uname(&u) < 0) {
            fail("uname", "success", errno_name(errno));
            return;
        }
        if (const auto& h = at(spec_, "hostname"); h.is_string() && h.get<std::string>() != u.nodename)
            fail("hostname", quote(h.get<std::string>()), quote(u.nodename));
        if (const auto& d = at(spec_, "domainname"); d.is_string() && d.get<std::string>() != u.domainname)
            fail("domainname", quote(d.get<std::string>()), quote(u.domainname));
    }

    // --- env, cwd, user, umask, no_new_privs, oom_score_adj -------------------
    void check_process() {
        const Json& p = process();
        if (p.is_null()) return;

        std::set<std::string> env;
        for (char** e = environ; e && *e; ++e) env.insert(*e);
        for (const auto& e : at(p, "env")) {
            std::string want = e.get<std::string>();
            if (!env.count(want)) {
                std::string key = want.substr(0, want.find('='));
                const char* got = std::getenv(key.c_str());
                fail("process.env", quote(want), got ? quote(key + "=" + got) : key + " unset");
            }
        }

        if (const auto& cwd = at(p, "cwd"); cwd.is_string()) {
            char buf[4096];
            std::string want = cwd.get<std::string>();
            // The spec may name the cwd through a symlink; getcwd() shows it resolved.
            if (char* real = ::realpath(want.c_str(), nullptr)) {
                want = real;
                std::free(real);
            }
            if (!::getcwd(buf, sizeof buf))
                fail("process.cwd", quote(want), "getcwd: " + errno_name(errno));
            else if (want != buf)
                fail("process.cwd", quote(want), quote(buf));
        }

        check_user(at(p, "user"));

        // The runtime's default umask is 0022, as runc's.
        const Json& umask = at(at(p, "user"), "umask");
        unsigned want_umask = umask.is_number() ? umask.get<unsigned>() : 022;
        std::string seen_umask = status_field("Umask");
        if (seen_umask.empty() || std::stoul(seen_umask, nullptr, 8) != want_umask)
            fail("process.user.umask", "0" + oct(want_umask),
                 seen_umask.empty() ? "no Umask in /proc/self/status" : seen_umask);

        std::string want_nnp = at(p, "noNewPrivileges") == true ? "1" : "0";
        if (std::string nnp = status_field("NoNewPrivs"); nnp != want_nnp)
            fail("process.noNewPrivileges", "NoNewPrivs " + want_nnp, "NoNewPrivs " + nnp);

        if (const auto& adj = at(p, "oomScoreAdj"); adj.is_number()) {
            std::string seen;
            if (!read_file("/proc/self/oom_score_adj", seen)) seen = "unreadable";
            if (trim(seen) != std::to_string(adj.get<int64_t>()))
                fail("process.oomScoreAdj", std::to_string(adj.get<int64_t>()), trim(seen));
        }
    }

    void check_user(const Json& user) {
        uid_t want_uid = at(user, "uid").is_number() ? at(user, "uid").get<uid_t>() : 0;
        gid_t want_gid = at(user, "gid").is_number() ? at(user, "gid").get<gid_t>() : 0;
        uid_t r, e, s;
        gid_t rg, eg, sg;
        ::getresuid(&r, &e, &s);
        ::getresgid(&rg, &eg, &sg);
        if (r != want_uid || e != want_uid || s != want_uid)
            fail("process.user.uid", std::to_string(want_uid),
                 "real/effective/saved " + std::to_string(r) + "/" + std::to_string(e) + "/" + std::to_string(s));
        if (rg != want_gid || eg != want_gid || sg != want_gid)
            fail("process.user.gid", std::to_string(want_gid),
                 "real/effective/saved " + std::to_string(rg) + "/" + std::to_string(eg) + "/" + std::to_string(sg));

        std::set<gid_t> want;
        for (const auto& g : at(user, "additionalGids")) want.insert(g.get<gid_t>());
        int n = ::getgroups(0, nullptr);
        std::vector<gid_t> groups(n > 0 ? n : 0);
        if (n > 0) n = ::getgroups(n, groups.data());
        std::set<gid_t> seen(groups.begin(), groups.end());
        auto list = [](const std::set<gid_t>& s) {
            std::vector<std::string> v;
            for (gid_t g : s) v.push_back(std::to_string(g));
            return "[" + join(v) + "]";
        };
        if (seen == want) return;
        // In a user namespace with setgroups denied (rootless without newgidmap) the runtime
        // cannot drop the inherited groups: they show as the primary gid or the overflow gid.
        std::string setgroups;
        if (read_file("/proc/self/setgroups", setgroups) && trim(setgroups) == "deny") {
            std::string overflow;
            gid_t overflow_gid = 65534;
            if (read_file("/proc/sys/kernel/overflowgid", overflow)) overflow_gid = std::stoul(trim(overflow));
            bool ok = std::includes(seen.begin(), seen.end(), want.begin(), want.end());
            for (gid_t g : seen)
                if (!want.count(g) && g != want_gid && g != overflow_gid) ok = false;
            if (ok) return;
        }
        fail("process.user.additionalGids", list(want), list(seen));
    }

    // --- capabilities -----------------------------------------------------------
    static uint64_t cap_mask(const Json& names, int last) {
        uint64_t m = 0;
        for (const auto& n : names) {
            std::string name = n.get<std::string>();
            for (int c = 0; c < kCapCount && c <= last; ++c)
                if (name == kCapNames[c]) m |= uint64_t{1} << c;
        }
        return m;
    }

    static std::string cap_list(uint64_t m) {
        std::vector<std::string> v;
        for (int c = 0; c < 64; ++c)
            if (m & (uint64_t{1} << c)) v.push_back(c < kCapCount ? kCapNames[c] : "CAP_" + std::to_string(c));
        return "[" + join(v) + "]";
    }

    void check_capabilities() {
        const Json& caps = at(process(), "capabilities");
        // Without process.capabilities the runtime leaves the sets alone: nothing to compare.
        if (!caps.is_object()) return;
        int last = kCapCount - 1;
        std::string s;
        if (read_file("/proc/sys/kernel/cap_last_cap", s)) last = std::stoi(trim(s));
        const uint64_t all = last >= 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1;

        uint64_t bnd = cap_mask(at(caps, "bounding"), last), inh = cap_mask(at(caps, "inheritable"), last);
        uint64_t prm = cap_mask(at(caps, "permitted"), last), eff = cap_mask(at(caps, "effective"), last);
        // As runc does, an ambient capability outside permitted and inheritable is not raised.
        uint64_t amb = cap_mask(at(caps, "ambient"), last) & prm & inh;
        // We see the sets after execve(2) of this program (no file capabilities, no set-id
        // bits): root gets permitted = effective = inheritable | bounding; anyone else gets
        // permitted = effective = ambient. The spec's own permitted/effective only show
        // through these rules.
        uid_t uid = ::geteuid();
        if (uid == 0) {
            prm = (inh | bnd | amb) & all;
            eff = prm;
        } else {
            prm = amb;
            eff = amb;
        }
        const std::pair<const char*, uint64_t> sets[] = {
            {"CapBnd", bnd}, {"CapInh", inh}, {"CapPrm", prm}, {"CapEff", eff}, {"CapAmb", amb},
        };
        const char* names[] = {"bounding", "inheritable", "permitted", "effective", "ambient"};
        for (size_t i = 0; i < std::size(sets); ++i) {
            std::string field = status_field(sets[i].first);
            uint64_t seen = std::stoull(field.empty() ? "0" : field, nullptr, 16) & all;
            uint64_t want = sets[i].second;
            if (seen == want) continue;
            std::string diff;
            if (want & ~seen) diff += " missing " + cap_list(want & ~seen);
            if (seen & ~want) diff += " extra " + cap_list(seen & ~want);
            fail(std::string("process.capabilities.") + names[i], cap_list(want), cap_list(seen) + diff);
        }
    }

    // --- rlimits ----------------------------------------------------------------
    void check_rlimits() {
        for (const auto& r : at(process(), "rlimits")) {
            std::string type = at(r, "type").get<std::string>();
            int resource = -1;
            for (const auto& [n, v] : kRlimits)
                if (type == n) resource = v;
            if (resource < 0) {
                fail("process.rlimits", "a known rlimit", quote(type));
                continue;
            }
            rlimit lim{};
            if (::getrlimit(resource, &lim) < 0) {
                fail("process.rlimits." + type, "getrlimit success", errno_name(errno));
                continue;
            }
            uint64_t soft = at(r, "soft").get<uint64_t>(), hard = at(r, "hard").get<uint64_t>();
            if (lim.rlim_cur != soft || lim.rlim_max != hard)
                fail("process.rlimits." + type, "soft " + std::to_string(soft) + " hard " + std::to_string(hard),
                     "soft " + std::to_string(static_cast<uint64_t>(lim.rlim_cur)) + " hard " +
                         std::to_string(static_cast<uint64_t>(lim.rlim_max)));
        }
    }

    // --- seccomp ----------------------------------------------------------------
    void check_seccomp_mode() {
        std::string want = at(linux_(), "seccomp").is_object() ? "2" : "0";
        std::string seen = status_field("Seccomp");
        if (seen != want)
            fail("linux.seccomp", "Seccomp mode " + want, "Seccomp mode " + (seen.empty() ? "none" : seen));
    }

    // --- sysctl -----------------------------------------------------------------
    void check_sysctls() {
        const Json& sysctl = at(linux_(), "sysctl");
        if (!sysctl.is_object()) return;
        for (const auto& [key, value] : sysctl.items()) {
            std::string path = "/proc/sys/" + key;
            std::replace(path.begin() + 10, path.end(), '.', '/');
            std::string seen;
            if (!read_file(path, seen)) {
                fail("linux.sysctl." + key, quote(value.get<std::string>()),
                     path + " unreadable: " + errno_name(errno));
                continue;
            }
            if (squeeze(seen) != squeeze(value.get<std::string>()))
                fail("linux.sysctl." + key, quote(value.get<std::string>()), quote(squeeze(seen)));
        }
    }

    // --- masked paths -----------------------------------------------------------
    void check_masked_paths() {
        for (const auto& p : at(linux_(), "maskedPaths")) {
            std::string path = p.get<std::string>();
            struct stat st {};
            // A path that does not exist is not masked (as runc); a symlink is not followed
            // by the runtime, so whatever it points to is the container's own business.
            if (::lstat(path.c_str(), &st) < 0 || S_ISLNK(st.st_mode)) continue;
            std::string what = "linux.maskedPaths " + path;
            if (S_ISDIR(st.st_mode)) {
                check_empty_ro_tmpfs(path, what);
                continue;
            }
            if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
                fail(what, "/dev/null (char 1:3) bound over it", describe(st));
                continue;
            }
            Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
            char buf[64];
            ssize_t n = fd ? ::read(fd.get(), buf, sizeof buf) : -1;
            if (n != 0) fail(what, "reads to return nothing", n < 0 ? errno_name(errno) : std::to_string(n) + " bytes");
        }
    }

    // The mask must be a tmpfs mounted at the path itself: the filesystem type alone
    // cannot tell it from a rootfs that lives on a tmpfs (a bundle under a tmpfs /tmp).
    void check_empty_ro_tmpfs(const std::string& path, const std::string& what) {
        std::string resolved = path;
        if (char* real = ::realpath(path.c_str(), nullptr)) {
            resolved = real;
            std::free(real);
        }
        const auto table = mountinfo();
        const MountInfo* top = nullptr;  // the last entry for a mount point is the one on top
        for (const auto& e : table)
            if (e.point == resolved) top = &e;
        if (!top) {
            fail(what, "a tmpfs", "no mount at " + resolved);
            return;
        }
        if (top->fstype != "tmpfs") {
            fail(what, "a tmpfs", "filesystem type " + top->fstype);
            return;
        }
        Dir d(path);
        if (!d.get()) {
            fail(what, "a readable empty directory", "opendir: " + errno_name(errno));
            return;
        }
        std::vector<std::string> entries;
        while (dirent* e = ::readdir(d.get()))
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) entries.push_back(e->d_name);
        if (!entries.empty()) fail(what, "an empty directory", "[" + join(entries) + "]");
        check_write_rejected(path, what);
    }

    static std::string describe(const struct stat& st) {
        const char* type = S_ISREG(st.st_mode)    ? "regular file"
                           : S_ISDIR(st.st_mode)  ? "directory"
                           : S_ISCHR(st.st_mode)  ? "char device"
                           : S_ISBLK(st.st_mode)  ? "block device"
                           : S_ISFIFO(st.st_mode) ? "fifo"
                           : S_ISLNK(st.st_mode)  ? "symlink"
                           : S_ISSOCK(st.st_mode) ? "socket"
                                                  : "unknown file type";
        std::string out = type;
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
            out += " " + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
        return out;
    }

    // --- read-only paths and root -------------------------------------------------
    // The mount must be read-only, and writes must fail: chmod to the mode it already has
    // (harmless if it worked) checks the mount flag before anything else, so it must fail
    // with EROFS whoever we are. Creating a file in a directory must fail too (procfs says
    // ENOENT before it looks at the mount), and so must opening a file for writing
    // (permissions are checked first there: a rootless container's root gets EACCES).
    void check_write_rejected(const std::string& path, const std::string& what) {
        struct statvfs vfs {};
        struct stat st {};
        if (::statvfs(path.c_str(), &vfs) < 0 || ::stat(path.c_str(), &st) < 0) {
            fail(what, "an existing path", errno_name(errno));
            return;
        }
        if (!(vfs.f_flag & ST_RDONLY)) fail(what, "a read-only mount", "a writable mount");
        if (::chmod(path.c_str(), st.st_mode & 07777) == 0)
            fail(what, "chmod to fail with EROFS", "it succeeded");
        else if (errno != EROFS)
            fail(what, "chmod to fail with EROFS", errno_name(errno));
        if (S_ISDIR(st.st_mode)) {
            std::string probe = (path == "/" ? "" : path) + "/.box-checker-probe";
            int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            int err = errno;
            if (fd >= 0) {
                ::close(fd);
                ::unlink(probe.c_str());
                fail(what, "creating a file to fail with EROFS", "it succeeded");
            } else if (err != EROFS && err != ENOENT) {
                fail(what, "creating a file to fail with EROFS", errno_name(err));
            }
        } else if (S_ISREG(st.st_mode)) {  // devices stay writable on a read-only mount
            // No O_TRUNC and nothing written: a successful open must not change anything.
            int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            int err = errno;
            if (fd >= 0) {
                ::close(fd);
                fail(what, "opening for writing to fail with EROFS", "it succeeded");
            } else if (err != EROFS && err != EACCES) {
                fail(what, "opening for writing to fail with EROFS", errno_name(err));
            }
        }
    }

    void check_readonly_paths() {
        for (const auto& p : at(linux_(), "readonlyPaths")) {
            std::string path = p.get<std::string>();
            struct stat st {};
            if (::lstat(path.c_str(), &st) < 0 || S_ISLNK(st.st_mode)) continue;  // as for masked paths
            check_write_rejected(path, "linux.readonlyPaths " + path);
        }
    }

    void check_root() {
        if (at(at(spec_, "root"), "readonly") == true) {
            check_write_rejected("/", "root.readonly");
            return;
        }
        struct statvfs vfs {};
        if (::statvfs("/", &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
            fail("root.readonly", "a writable root (root.readonly is false)", "a read-only root");
    }

    // --- mounts -----------------------------------------------------------------
    struct MountInfo {
        std::string point, fstype;
        std::set<std::string> options;
    };

    static std::vector<MountInfo> mountinfo() {
        std::vector<MountInfo> out;
        std::ifstream in("/proc/self/mountinfo");
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream ss(line);
            std::vector<std::string> f;
            std::string w;
            while (ss >> w) f.push_back(w);
            auto dash = std::find(f.begin(), f.end(), "-");
            if (f.size() < 6 || dash == f.end() || dash + 1 == f.end()) continue;
            MountInfo m;
            m.point = unescape_mountinfo(f[4]);
            for (const auto& o : split(f[5], ',')) m.options.insert(o);
            m.fstype = *(dash + 1);
            out.push_back(std::move(m));
        }
        return out;
    }

    void check_mounts() {
        auto table = mountinfo();
        std::set<std::string> ro_paths;
        for (const auto& p : at(linux_(), "readonlyPaths")) ro_paths.insert(p.get<std::string>());
        for (const auto& m : spec_.value("mounts", Json::array())) {
            std::string dest = at(m, "destination").get<std::string>();
            if (dest.empty() || dest[0] != '/') dest = "/" + dest;
            std::string resolved = dest;
            if (char* real = ::realpath(dest.c_str(), nullptr)) {
                resolved = real;
                std::free(real);
            }
            // The last entry for a mount point is the one on top.
            const MountInfo* found = nullptr;
            for (const auto& e : table)
                if (e.point == resolved) found = &e;
            std::string what = "mounts " + dest;
            if (!found) {
                fail(what, "a mount at " + resolved, "none in /proc/self/mountinfo");
                continue;
            }
            std::vector<std::string> opts;
            for (const auto& o : at(m, "options")) opts.push_back(o.get<std::string>());
            bool bind = at(m, "type") == "bind" || std::count(opts.begin(), opts.end(), "bind") ||
                        std::count(opts.begin(), opts.end(), "rbind");
            for (const auto& o : opts) {
                if (o == "ro" || o == "nosuid" || o == "nodev" || o == "noexec") {
                    if (!found->options.count(o))
                        fail(what, "option " + o, "options " + join({found->options.begin(), found->options.end()}));
                } else if (o == "rw" && !ro_paths.count(dest) && found->options.count("ro")) {
                    fail(what, "option rw", "options " + join({found->options.begin(), found->options.end()}));
                }
            }
            std::string type = at(m, "type").is_string() ? at(m, "type").get<std::string>() : "";
            if (bind || type.empty() || type == "none") continue;
            // A "cgroup" mount is cgroup2 on a unified host, a tmpfs of controllers on v1.
            bool ok =
                found->fstype == type || (type == "cgroup" && (found->fstype == "cgroup2" || found->fstype == "tmpfs"));
            if (!ok) fail(what, "filesystem type " + type, "filesystem type " + found->fstype);
        }
    }

    // --- devices ----------------------------------------------------------------
    void check_device(const std::string& path, char type, unsigned maj, unsigned min) {
        struct stat st {};
        std::string want = std::string(type == 'b'   ? "block device "
                                       : type == 'p' ? "fifo"
                                                     : "char device ") +
                           (type == 'p' ? "" : std::to_string(maj) + ":" + std::to_string(min));
        if (::lstat(path.c_str(), &st) < 0) {
            fail("device " + path, want, errno_name(errno));
            return;
        }
        bool ok = type == 'p' ? S_ISFIFO(st.st_mode)
                              : ((type == 'b' ? S_ISBLK(st.st_mode) : S_ISCHR(st.st_mode)) &&
                                 major(st.st_rdev) == maj && minor(st.st_rdev) == min);
        if (!ok) fail("device " + path, want, describe(st));
    }

    void check_devices() {
        // A /dev bound from the host is the host's business.
        for (const auto& m : spec_.value("mounts", Json::array()))
            if (at(m, "destination") == "/dev" && at(m, "type") == "bind") return;
        for (const auto& d : kDefaultDevices) check_device(d.path, 'c', d.major, d.minor);
        bool userns = has_namespace("user");
        for (const auto& d : at(linux_(), "devices")) {
            std::string path = at(d, "path").get<std::string>();
            std::string type = at(d, "type").get<std::string>();
            unsigned maj = at(d, "major").is_number() ? at(d, "major").get<unsigned>() : 0;
            unsigned min = at(d, "minor").is_number() ? at(d, "minor").get<unsigned>() : 0;
            check_device(path, type.empty() ? 'c' : type[0], maj, min);
            // In a user namespace devices are bound from the host, with the host's mode and owner.
            if (userns) continue;
            struct stat st {};
            if (::lstat(path.c_str(), &st) < 0) continue;
            if (const auto& mode = at(d, "fileMode");
                mode.is_number() && (st.st_mode & 07777) != (mode.get<unsigned>() & 07777))
                fail("device " + path, "mode 0" + oct(mode.get<unsigned>() & 07777),
                     "mode 0" + oct(st.st_mode & 07777));
            if (const auto& uid = at(d, "uid"); uid.is_number() && st.st_uid != uid.get<uid_t>())
                fail("device " + path, "uid " + std::to_string(uid.get<uid_t>()), "uid " + std::to_string(st.st_uid));
            if (const auto& gid = at(d, "gid"); gid.is_number() && st.st_gid != gid.get<gid_t>())
                fail("device " + path, "gid " + std::to_string(gid.get<gid_t>()), "gid " + std::to_string(st.st_gid));
        }
    }

    static std::string oct(unsigned v) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%o", v);
        return buf;
    }

    // --- namespaces -------------------------------------------------------------
    void check_namespaces() {
        for (const auto& [type, proc_name] : kNamespaces) {
            std::string var = "BOX_HOST_NS_" + std::string(type);
            std::transform(var.begin(), var.end(), var.begin(), [](unsigned char c) { return std::toupper(c); });
            const char* host = std::getenv(var.c_str());
            if (!host || !*host) continue;
            struct stat st {};
            std::string link = std::string("/proc/self/ns/") + proc_name;
            if (::stat(link.c_str(), &st) < 0) {
                // A kernel without this namespace type: nothing to be shared or not.
                if (errno != ENOENT) fail("namespace " + std::string(type), "a readable " + link, errno_name(errno));
                continue;
            }
            std::string seen = std::to_string(st.st_ino);
            const Json* entry = nullptr;
            for (const auto& ns : at(linux_(), "namespaces"))
                if (at(ns, "type") == type) entry = &ns;
            if (!entry) {
                if (seen != host)
                    fail("namespace " + std::string(type), "the host's (inode " + std::string(host) + ")",
                         "inode " + seen);
            } else if (!at(*entry, "path").is_string() && seen == host) {
                fail("namespace " + std::string(type), "a new namespace", "the host's (inode " + seen + ")");
            }
        }
    }
};

}  // namespace

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "/spec.json";
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "spec: expected a readable %s, saw %s\n", path, errno_name(errno).c_str());
        return 1;
    }
    Json spec;
    try {
        spec = Json::parse(in);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "spec: expected valid JSON in %s, saw %s\n", path, e.what());
        return 1;
    }
    return Checker(std::move(spec)).run();
}

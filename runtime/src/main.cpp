// box: the command line. A thin layer that parses runc-compatible flags with
// Boost.Program_options and calls the container operations in container.hpp.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include <sys/stat.h>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>

#include "container.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "features.hpp"
#include "files.hpp"
#include "log.hpp"
#include "passwd.hpp"
#include "seccomp.hpp"
#include "self_protect.hpp"
#include "signals.hpp"
#include "spec_template.hpp"
#include "update_flags.hpp"
#include "version.hpp"

namespace po = boost::program_options;
using namespace box;

namespace {

// The commands, in the order --help lists them. The man page and the bash completion are
// generated from --help and `help COMMAND`, so this table is their source too.
struct CommandInfo {
    const char* name;
    const char* summary;
};
constexpr CommandInfo kCommands[] = {
    {"create", "create a container; its init waits for start"},
    {"start", "start the user program of a created container"},
    {"state", "print the OCI state of a container as JSON"},
    {"kill", "send a signal to the container's init (or --all processes)"},
    {"delete", "delete a stopped container (--force: any)"},
    {"run", "create and start a container"},
    {"exec", "run a new process in a running container"},
    {"list", "list containers"},
    {"pause", "freeze every process of a container"},
    {"resume", "thaw a paused container"},
    {"ps", "list the processes of a container"},
    {"update", "change the resource limits of a running container"},
    {"events", "print container statistics and OOM events as JSON"},
    {"spec", "write a default config.json (runc's default)"},
    {"features", "print what this runtime supports, as JSON"},
    {"help", "show the help of box or of one command"},
};

const CommandInfo* find_command(const std::string& name) {
    for (const auto& c : kCommands)
        if (name == c.name) return &c;
    return nullptr;
}

// Runs argv and returns its standard output.
std::string capture_output(const std::vector<std::string>& argv) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd rd(pipefd[0]), wr(pipefd[1]);
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        ::dup2(wr.get(), 1);
        ::execvp(args[0], args.data());
        _exit(127);
    }
    wr.reset();
    std::string out;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(rd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(argv[0] + " failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
    return out;
}

struct Parsed {
    po::variables_map vm;
    std::vector<std::string> positional;
};

// Flags come first; the first token that is not a flag (or a flag's value) starts the
// positional arguments, which are kept verbatim (runc's CLI works the same way). With
// interspersed (commands whose only argument is the id, as runc's update), flags may also
// follow it.
Parsed parse_flags(const po::options_description& desc, const std::vector<std::string>& args,
                   bool interspersed = false) {
    std::vector<std::string> flags;
    Parsed out;
    size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& tok = args[i];
        if (tok == "--") {
            ++i;
            break;
        }
        if (tok.size() < 2 || tok[0] != '-') {
            if (!interspersed) break;
            out.positional.push_back(tok);
            continue;
        }
        flags.push_back(tok);
        if (tok.find('=') != std::string::npos) continue;
        std::string name = tok.substr(tok[1] == '-' ? 2 : 1);
        bool long_form = tok[1] == '-';
        if (!long_form && name.size() > 1) continue;  // -bDIR
        // Boost keys short options as "-x".
        const po::option_description* opt = desc.find_nothrow(long_form ? name : "-" + name, false, false, false);
        if (opt && opt->semantic()->max_tokens() > 0 && i + 1 < args.size()) flags.push_back(args[++i]);
    }
    out.positional.insert(out.positional.end(), args.begin() + static_cast<long>(i), args.end());
    try {
        po::store(po::command_line_parser(flags).options(desc).style(po::command_line_style::unix_style).run(), out.vm);
        po::notify(out.vm);
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    return out;
}

std::string need_id(const Parsed& p, const char* command, size_t max_args = 1) {
    if (p.positional.empty()) throw UsageError(std::string(command) + ": a container id is required");
    if (p.positional.size() > max_args)
        throw UsageError(std::string(command) + ": unexpected argument " + quote(p.positional[max_args]));
    return p.positional[0];
}

// usage starts with the command's name ("exec [options] ID ...").
bool wants_help(const Parsed& p, const po::options_description& desc, const char* usage) {
    if (!p.vm.count("help")) return false;
    std::string name(usage, std::strcspn(usage, " "));
    const CommandInfo* info = find_command(name);
    std::cout << "box " << name << " - " << (info ? info->summary : "") << "\n\nUsage: box " << usage << "\n\n" << desc;
    return true;
}

po::options_description base(const char* title) {
    po::options_description d(title);
    d.add_options()("help,h", "show help for this command");
    return d;
}

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' '); }

unsigned preserve_fds_of(const Parsed& p) {
    int n = p.vm["preserve-fds"].as<int>();
    if (n < 0) throw UsageError("--preserve-fds must not be negative, got " + std::to_string(n));
    return static_cast<unsigned>(n);
}

int cmd_exec(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("exec options");
    d.add_options()("process,p", po::value<std::string>()->default_value(""), "an OCI process JSON file")(
        "tty,t", po::bool_switch(), "allocate a pseudo-terminal")(
        "console-socket", po::value<std::string>()->default_value(""), "unix socket to receive the pty master")(
        "detach,d", po::bool_switch(), "return once the process has started")(
        "pid-file", po::value<std::string>()->default_value(""), "write the process pid to this file")(
        "cwd", po::value<std::string>()->default_value(""), "working directory in the container")(
        "env,e", po::value<std::vector<std::string>>()->composing(), "set an environment variable KEY=value")(
        "user,u", po::value<std::string>()->default_value(""), "UID[:GID] or a user name")(
        "additional-gids,g", po::value<std::vector<int64_t>>()->composing(), "additional group id")(
        "cap,c", po::value<std::vector<std::string>>()->composing(), "add a capability")(
        "no-new-privs", po::bool_switch(), "set no_new_privs")("preserve-fds", po::value<int>()->default_value(0),
                                                               "pass N extra fds (3 .. 3+N-1)")(
        "process-label", po::value<std::string>()->default_value(""), "SELinux label")(
        "apparmor", po::value<std::string>()->default_value(""), "AppArmor profile")(
        "ignore-paused", po::bool_switch(), "allow exec in a paused container")(
        "cgroup", po::value<std::vector<std::string>>()->composing(),
        "run in an existing sub-cgroup of the container: [CONTROLLER[,CONTROLLER]:]PATH");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "exec [options] ID [COMMAND [ARG...]]")) return 0;
    if (p.positional.empty()) throw UsageError("exec: a container id is required");
    ExecOptions o;
    o.id = p.positional[0];
    o.args.assign(p.positional.begin() + 1, p.positional.end());
    o.process_file = p.vm["process"].as<std::string>();
    o.tty = p.vm["tty"].as<bool>();
    o.console_socket = p.vm["console-socket"].as<std::string>();
    o.detach = p.vm["detach"].as<bool>();
    o.pid_file = p.vm["pid-file"].as<std::string>();
    o.cwd = p.vm["cwd"].as<std::string>();
    if (p.vm.count("env")) o.env = p.vm["env"].as<std::vector<std::string>>();
    o.user = p.vm["user"].as<std::string>();
    if (p.vm.count("cap")) o.caps = p.vm["cap"].as<std::vector<std::string>>();
    o.no_new_privs = p.vm["no-new-privs"].as<bool>();
    o.preserve_fds = preserve_fds_of(p);
    o.process_label = p.vm["process-label"].as<std::string>();
    o.apparmor = p.vm["apparmor"].as<std::string>();
    o.ignore_paused = p.vm["ignore-paused"].as<bool>();
    if (p.vm.count("cgroup")) o.cgroups = p.vm["cgroup"].as<std::vector<std::string>>();
    // As runc: an exec that fails before the program runs exits 255, so that no status of the
    // program itself can be mistaken for it.
    try {
        if (p.vm.count("additional-gids"))
            for (int64_t gid : p.vm["additional-gids"].as<std::vector<int64_t>>()) {
                // (uid_t)-1 would mean "unchanged"; runc allows 0-2147483647 too.
                if (gid < 0 || gid > kMaxUserId)
                    throw UsageError("--additional-gids: " + std::to_string(gid) + " is out of range 0-" +
                                     std::to_string(kMaxUserId));
                o.additional_gids.push_back(static_cast<uint32_t>(gid));
            }
        return rt.exec(o);
    } catch (const std::exception& e) {
        log::error(e.what());
        return 255;
    }
}

int cmd_update(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("update options");
    auto text = [] { return po::value<std::string>(); };
    d.add_options()("resources,r", text(), "a linux.resources JSON file, or - for stdin")(
        "blkio-weight", text(), "block IO weight, 10 to 1000")("cpu-period", text(), "CFS period (usecs)")(
        "cpu-quota", text(), "CFS quota (usecs) per period, -1 for unlimited")(
        "cpu-share", text(), "CPU shares (relative weight)")("cpu-shares", text(), "the same as --cpu-share")(
        "cpu-rt-period", text(), "realtime period (usecs)")("cpu-rt-runtime", text(), "realtime runtime (usecs)")(
        "cpuset-cpus", text(), "CPUs to use")("cpuset-mems", text(), "memory nodes to use")(
        "memory", text(), "memory limit (bytes, or with k/m/g/t/p)")("memory-reservation", text(), "memory soft limit")(
        "memory-swap", text(), "memory plus swap limit, -1 for unlimited swap")(
        "pids-limit", text(), "maximum number of processes, -1 for unlimited")("kernel-memory", text(),
                                                                               "obsolete, ignored (as in runc)")(
        "kernel-memory-tcp", text(), "obsolete, ignored (as in runc)")("l3-cache-schema", text(),
                                                                       "Intel RDT/CAT L3 cache schema (not supported)")(
        "mem-bw-schema", text(), "Intel RDT/MBA memory bandwidth schema (not supported)");
    auto p = parse_flags(d, args, true);
    if (wants_help(p, d, "update [options] ID\n\nOptions may come before or after the ID; 0 leaves a value as it is."))
        return 0;
    std::string id = need_id(p, "update");
    Resources r;
    if (p.vm.count("resources")) {
        std::string path = p.vm["resources"].as<std::string>(), text;
        if (path == "-") {
            text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        } else if (!try_read_file(path, text)) {
            throw Error("--resources " + quote(path) + ": " + std::strerror(errno));
        }
        std::string label = path == "-" ? "resources" : path;
        Json doc = parse_json(text, label);
        // runc update leaves the device rules alone, and podman sends the container's own
        // with every update: they are not read at all, as in runc.
        if (doc.is_object() && doc.erase("devices")) log::debug("update: device rules are left as they are");
        r = parse_resources(JsonReader(doc, label));
    }
    resources_from_flags(p.vm, r);
    rt.update(id, r);
    return 0;
}

// "5s", "250ms", "1m", or plain seconds.
int parse_interval_ms(const std::string& text) {
    size_t pos = 0;
    double n = 0;
    try {
        n = std::stod(text, &pos);
    } catch (...) {
        throw UsageError("--interval: invalid duration " + quote(text));
    }
    std::string unit = text.substr(pos);
    double ms = unit == "ms" ? n : (unit == "s" || unit.empty()) ? n * 1000 : unit == "m" ? n * 60000 : -1;
    if (ms <= 0) throw UsageError("--interval: invalid duration " + quote(text));
    return static_cast<int>(ms);
}

int cmd_events(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("events options");
    d.add_options()("stats", po::bool_switch(), "print statistics once and exit")(
        "interval", po::value<std::string>()->default_value("5s"), "how often to print statistics");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "events [--stats] [--interval D] ID")) return 0;
    std::string id = need_id(p, "events");
    rt.events(id, p.vm["stats"].as<bool>(), parse_interval_ms(p.vm["interval"].as<std::string>()));
    return 0;
}

int cmd_ps(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("ps options");
    d.add_options()("format,f", po::value<std::string>()->default_value("table"), "table or json");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "ps [--format table|json] ID [-- ps options]")) return 0;
    if (p.positional.empty()) throw UsageError("ps: a container id is required");
    std::string id = p.positional[0];
    std::vector<std::string> ps_args(p.positional.begin() + 1, p.positional.end());
    if (!ps_args.empty() && ps_args[0] == "--") ps_args.erase(ps_args.begin());
    std::string format = p.vm["format"].as<std::string>();
    if (format != "table" && format != "json")
        throw UsageError("ps: unknown format " + quote(format) + " (table or json)");
    auto pids = rt.pids(id);
    if (format == "json") {
        std::cout << dump_json(Json(pids)) << "\n";
        return 0;
    }
    if (ps_args.empty()) ps_args = {"-ef"};
    ps_args.insert(ps_args.begin(), "ps");
    std::string out = capture_output(ps_args);
    std::istringstream in(out);
    std::string header;
    std::getline(in, header);
    // Find the PID column in the header, then keep the rows whose PID belongs to the container.
    std::istringstream hs(header);
    std::string col;
    int pid_col = -1;
    for (int i = 0; hs >> col; ++i)
        if (col == "PID") pid_col = i;
    if (pid_col < 0) throw Error("ps: the output of ps has no PID column");
    std::cout << header << "\n";
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string field;
        for (int i = 0; i <= pid_col && ls >> field; ++i) {
        }
        try {
            pid_t pid = static_cast<pid_t>(std::stol(field));
            if (std::find(pids.begin(), pids.end(), pid) != pids.end()) std::cout << line << "\n";
        } catch (...) {
        }
    }
    return 0;
}

int cmd_create(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("create options");
    d.add_options()("bundle,b", po::value<std::string>()->default_value(""), "bundle directory (default: current)")(
        "pid-file", po::value<std::string>()->default_value(""), "write the init pid to this file")(
        "console-socket", po::value<std::string>()->default_value(""), "unix socket to receive the pty master")(
        "no-pivot", po::bool_switch(), "accepted for compatibility; box always uses pivot_root")(
        "no-new-keyring", po::bool_switch(), "accepted for compatibility")(
        "preserve-fds", po::value<int>()->default_value(0), "pass N extra fds (3 .. 3+N-1) to the process");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "create [options] ID")) return 0;
    CreateOptions o{need_id(p, "create"), p.vm["bundle"].as<std::string>(), p.vm["pid-file"].as<std::string>(),
                    p.vm["console-socket"].as<std::string>(), preserve_fds_of(p)};
    rt.create(o);
    return 0;
}

int cmd_run(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("run options");
    d.add_options()("bundle,b", po::value<std::string>()->default_value(""), "bundle directory (default: current)")(
        "pid-file", po::value<std::string>()->default_value(""), "write the init pid to this file")(
        "console-socket", po::value<std::string>()->default_value(""), "unix socket to receive the pty master")(
        "detach,d", po::bool_switch(), "return once the container has started")(
        "keep", po::bool_switch(), "keep the container's state after it exits")(
        "no-pivot", po::bool_switch(), "accepted for compatibility")("no-new-keyring", po::bool_switch(),
                                                                     "accepted for compatibility")(
        "preserve-fds", po::value<int>()->default_value(0), "pass N extra fds (3 .. 3+N-1) to the process");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "run [options] ID")) return 0;
    CreateOptions o{need_id(p, "run"), p.vm["bundle"].as<std::string>(), p.vm["pid-file"].as<std::string>(),
                    p.vm["console-socket"].as<std::string>(), preserve_fds_of(p)};
    return rt.run(o, p.vm["detach"].as<bool>(), p.vm["keep"].as<bool>());
}

int cmd_simple(const char* name, const std::vector<std::string>& args,
               const std::function<void(const std::string&)>& fn) {
    auto d = base((std::string(name) + " options").c_str());
    auto p = parse_flags(d, args);
    if (wants_help(p, d, (std::string(name) + " ID").c_str())) return 0;
    fn(need_id(p, name));
    return 0;
}

int cmd_state(Runtime& rt, const std::vector<std::string>& args) {
    return cmd_simple("state", args, [&](const std::string& id) { std::cout << dump_json(rt.state(id), 2) << "\n"; });
}

int cmd_kill(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("kill options");
    d.add_options()("all,a", po::bool_switch(), "send the signal to every process in the container");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "kill [--all] ID [SIGNAL]")) return 0;
    std::string id = need_id(p, "kill", 2);
    int sig = parse_signal(p.positional.size() > 1 ? p.positional[1] : "TERM");
    rt.kill(id, sig, p.vm["all"].as<bool>());
    return 0;
}

int cmd_delete(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("delete options");
    d.add_options()("force,f", po::bool_switch(), "kill the container first if it is running");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "delete [--force] ID")) return 0;
    std::string id = need_id(p, "delete");
    bool force = p.vm["force"].as<bool>();
    try {
        rt.remove(id, force);
    } catch (const Error& e) {
        // Like runc, deleting something already gone is not an error with --force.
        if (force && std::string(e.what()).find("does not exist") != std::string::npos) return 0;
        throw;
    }
    return 0;
}

int cmd_list(Runtime& rt, const std::vector<std::string>& args) {
    auto d = base("list options");
    d.add_options()("format,f", po::value<std::string>()->default_value("table"), "table or json")(
        "quiet,q", po::bool_switch(), "print only the ids");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "list [options]")) return 0;
    if (!p.positional.empty()) throw UsageError("list: unexpected argument " + quote(p.positional[0]));
    std::string format = p.vm["format"].as<std::string>();
    if (format != "table" && format != "json")
        throw UsageError("list: unknown format " + quote(format) + " (table or json)");
    bool quiet = p.vm["quiet"].as<bool>();
    auto entries = rt.list(format == "json" && !quiet);
    for (const auto& e : entries)
        if (!e.error.empty()) log::warn(e.error);
    if (quiet) {
        for (const auto& e : entries) std::cout << e.state.id << "\n";
        return 0;
    }
    if (format == "json") {
        Json arr = Json::array();
        for (const auto& e : entries)
            if (e.error.empty()) arr.push_back(oci_state_json(e.state, e.status, owner_name(e.state.owner)));
        std::cout << dump_json(arr) << "\n";
        return 0;
    }
    std::cout << pad("ID", 12) << pad("PID", 10) << pad("STATUS", 10) << pad("BUNDLE", 40) << pad("CREATED", 32)
              << "OWNER\n";
    for (const auto& e : entries) {
        if (!e.error.empty()) {
            std::cout << pad(e.state.id, 12) << pad("0", 10) << pad("unknown", 10) << "\n";
            continue;
        }
        std::string owner = owner_name(e.state.owner);
        std::cout << pad(e.state.id, 12) << pad(std::to_string(e.status == Status::Stopped ? 0 : e.state.pid), 10)
                  << pad(status_name(e.status), 10) << pad(e.state.bundle, 40) << pad(e.state.created, 32) << owner
                  << "\n";
    }
    return 0;
}

int cmd_spec(const std::vector<std::string>& args) {
    auto d = base("spec options");
    d.add_options()("bundle,b", po::value<std::string>()->default_value("."), "where to write config.json")(
        "rootless", po::bool_switch(), "a spec for running without root");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "spec [options]")) return 0;
    if (!p.positional.empty()) throw UsageError("spec: unexpected argument " + quote(p.positional[0]));
    std::string bundle = p.vm["bundle"].as<std::string>();
    struct stat st {};
    if (::stat(bundle.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
        throw Error("bundle " + quote(bundle) + " does not exist");
    std::string path = bundle + "/config.json";
    auto exists = [&] { return ::lstat(path.c_str(), &st) == 0; };  // a symlink, even dangling, counts
    auto refuse = [&] { throw Error("config.json already exists in " + quote(bundle) + "; remove it first"); };
    if (exists()) refuse();
    Json spec = p.vm["rootless"].as<bool>() ? rootless_spec(::geteuid(), ::getegid()) : default_spec();
    try {
        // tab-indented, as runc writes it
        write_file_atomic(path, spec.dump(1, '\t') + "\n", 0644, Durability::Synced, Replace::No);
    } catch (const Error&) {
        if (exists()) refuse();  // made meanwhile: never replaced
        throw;
    }
    return 0;
}

int cmd_features(const std::vector<std::string>& args) {
    auto d = base("features options");
    auto p = parse_flags(d, args);
    if (wants_help(p, d, "features")) return 0;
    std::cout << dump_json(features_json(), 4) << "\n";  // runc indents features by 4
    return 0;
}

po::options_description global_options() {
    po::options_description global("Global options");
    global.add_options()("help,h", "show help")("version,v", "print the version")(
        "root", po::value<std::string>(), "state directory (default /run/box as root)")(
        "log", po::value<std::string>()->default_value(""), "also write errors (and --debug lines) to this file")(
        "log-format", po::value<std::string>()->default_value("text"), "text or json")(
        "debug", po::bool_switch(), "debug logging")("systemd-cgroup", po::bool_switch(),
                                                     "use the systemd cgroup driver")(
        "criu", po::value<std::string>(), "accepted for compatibility")("rootless", po::value<std::string>(),
                                                                        "accepted for compatibility");
    return global;
}

void usage() {
    std::cout << "box - a small, fast OCI container runtime\n\n"
                 "Usage: box [global options] COMMAND [options] [ID] ...\n\n"
                 "Commands:\n";
    for (const auto& c : kCommands) std::cout << "  " << pad(c.name, 10) << c.summary << "\n";
    std::cout << "\n"
              << global_options() << "\nRun 'box help COMMAND' or 'box COMMAND --help' for a command's options.\n";
}

void print_version() {
    std::cout << "box version " << kBoxVersion << "\ncommit: " << kBoxCommit << "\nspec: " << kOciVersion
              << "\nlibseccomp: " << libseccomp_version() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    take_started_exe_from_env();
    std::vector<std::string> all(argv + 1, argv + argc);
    try {
        Parsed g = parse_flags(global_options(), all);
        std::string format = g.vm["log-format"].as<std::string>();
        log::configure(g.vm["log"].as<std::string>(), format == "json" ? log::Format::Json : log::Format::Text,
                       g.vm["debug"].as<bool>());
        if (format != "text" && format != "json")
            throw UsageError("unknown --log-format " + quote(format) + " (text or json)");
        if (g.vm.count("version")) {
            print_version();
            return 0;
        }
        if (g.positional.empty()) {  // as runc: the help, and success
            usage();
            return 0;
        }
        std::string command = g.positional[0];
        std::vector<std::string> args(g.positional.begin() + 1, g.positional.end());
        if (!find_command(command)) throw UsageError("unknown command " + quote(command) + " (see box --help)");
        if (command == "help") {
            // `box help CMD` is `box CMD --help`; `box help` is `box --help`.
            if (args.size() > 1) throw UsageError("help: unexpected argument " + quote(args[1]));
            if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
                usage();
                return 0;
            }
            if (!find_command(args[0]))
                throw UsageError("help: unknown command " + quote(args[0]) + " (see box --help)");
            command = args[0];
            args = {"--help"};
        }
        std::string root = g.vm.count("root") ? g.vm["root"].as<std::string>() : default_state_root();
        if (root.empty()) throw UsageError("--root must not be empty");
        // Commands that put a process into a container must not expose our own binary to it.
        if (command == "create" || command == "run" || command == "exec") ensure_readonly_self(argv);
        Runtime rt(root, g.vm["systemd-cgroup"].as<bool>());
        if (command == "create") return cmd_create(rt, args);
        if (command == "start") return cmd_simple("start", args, [&](const std::string& id) { rt.start(id); });
        if (command == "state") return cmd_state(rt, args);
        if (command == "kill") return cmd_kill(rt, args);
        if (command == "delete") return cmd_delete(rt, args);
        if (command == "run") return cmd_run(rt, args);
        if (command == "list") return cmd_list(rt, args);
        if (command == "pause") return cmd_simple("pause", args, [&](const std::string& id) { rt.pause(id); });
        if (command == "resume") return cmd_simple("resume", args, [&](const std::string& id) { rt.resume(id); });
        if (command == "spec") return cmd_spec(args);
        if (command == "features") return cmd_features(args);
        if (command == "exec") return cmd_exec(rt, args);
        if (command == "ps") return cmd_ps(rt, args);
        if (command == "update") return cmd_update(rt, args);
        if (command == "events") return cmd_events(rt, args);
        throw Error("command " + quote(command) + " is listed but not dispatched");
    } catch (const UsageError& e) {
        log::error(e.what());
        return 2;
    } catch (const std::exception& e) {
        log::error(e.what());
        return 1;
    }
}

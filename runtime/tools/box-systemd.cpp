// box-systemd: the thin D-Bus bridge between box and systemd, for the systemd cgroup driver.
// box itself is a static binary (its start-up time and memory are what it is measured by), and
// Debian ships libsystemd only as a shared library: so the sd-bus calls live here, in a small
// dynamically linked helper that box runs only when a container uses the systemd driver. box
// decides everything (unit name, slice, properties); this only marshals and waits.
//
// Usage: box-systemd [--user] start UNIT   < [[name, signature, value], ...]
//          StartTransientUnit(UNIT, "replace", properties), waits for its job; on success prints
//          {"controlGroup": "/system.slice/UNIT"}
//        box-systemd [--user] set UNIT     < [[name, signature, value], ...]
//          SetUnitProperties(UNIT, runtime=true, properties)
//        box-systemd [--user] stop UNIT
//          StopUnit(UNIT, "replace"), waits for its job and until the unit is gone
// --user talks to the calling user's systemd (the session bus) instead of the system's.
// Exit status 0 on success; else 1 and one line on stderr: systemd's error name and message.
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Json = nlohmann::json;

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr auto kJobTimeout = std::chrono::seconds(30);

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A failed sd-bus call: systemd's error name and message when it sent one.
[[noreturn]] void fail(const std::string& what, int r, const sd_bus_error* e) {
    if (e && sd_bus_error_is_set(e)) throw Failure(std::string(e->name) + ": " + (e->message ? e->message : what));
    throw Failure(what + ": " + std::strerror(-r));
}

void check(int r, const std::string& what) {
    if (r < 0) fail(what, r, nullptr);
}

struct ErrorHolder {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    ~ErrorHolder() { sd_bus_error_free(&e); }
};

// The length of the single complete type at the start of sig.
size_t complete_type_length(const std::string& sig, size_t at) {
    if (at >= sig.size()) throw Failure("bad signature " + sig);
    char c = sig[at];
    if (c == 'a') return 1 + complete_type_length(sig, at + 1);
    if (c == '(' || c == '{') {
        char close = c == '(' ? ')' : '}';
        size_t i = at + 1;
        while (i < sig.size() && sig[i] != close) i += complete_type_length(sig, i);
        if (i >= sig.size()) throw Failure("bad signature " + sig);
        return i + 1 - at;
    }
    return 1;
}

// Appends value as D-Bus type sig (one complete type): basic types, arrays and structs.
void marshal(sd_bus_message* m, const std::string& sig, const Json& value) {
    char c = sig[0];
    int r = 0;
    switch (c) {
        case 's':
        case 'o': r = sd_bus_message_append_basic(m, c, value.get<std::string>().c_str()); break;
        case 'b': {
            int b = value.get<bool>() ? 1 : 0;
            r = sd_bus_message_append_basic(m, c, &b);
            break;
        }
        case 'y': {
            auto v = value.get<uint8_t>();
            r = sd_bus_message_append_basic(m, c, &v);
            break;
        }
        case 'q': {
            auto v = value.get<uint16_t>();
            r = sd_bus_message_append_basic(m, c, &v);
            break;
        }
        case 'u': {
            auto v = value.get<uint32_t>();
            r = sd_bus_message_append_basic(m, c, &v);
            break;
        }
        case 'i': {
            auto v = value.get<int32_t>();
            r = sd_bus_message_append_basic(m, c, &v);
            break;
        }
        case 't': {
            auto v = value.get<uint64_t>();
            r = sd_bus_message_append_basic(m, c, &v);
            break;
        }
        case 'x': {
            auto v = value.get<int64_t>();
            r = sd_bus_message_append_basic(m, c, &v);
            break;
        }
        case 'a': {
            std::string elem = sig.substr(1, complete_type_length(sig, 1));
            if (elem == "y") {
                std::vector<uint8_t> bytes = value.get<std::vector<uint8_t>>();
                r = sd_bus_message_append_array(m, 'y', bytes.data(), bytes.size());
                break;
            }
            check(sd_bus_message_open_container(m, 'a', elem.c_str()), "marshalling " + sig);
            for (const auto& item : value) marshal(m, elem, item);
            r = sd_bus_message_close_container(m);
            break;
        }
        case '(': {
            std::string inner = sig.substr(1, complete_type_length(sig, 0) - 2);
            check(sd_bus_message_open_container(m, 'r', inner.c_str()), "marshalling " + sig);
            size_t at = 0, i = 0;
            while (at < inner.size()) {
                size_t n = complete_type_length(inner, at);
                marshal(m, inner.substr(at, n), value.at(i++));
                at += n;
            }
            r = sd_bus_message_close_container(m);
            break;
        }
        default: throw Failure("unsupported D-Bus type " + sig);
    }
    check(r, "marshalling " + sig);
}

// a(sv) from [[name, signature, value], ...].
void append_properties(sd_bus_message* m, const Json& props) {
    check(sd_bus_message_open_container(m, 'a', "(sv)"), "marshalling the properties");
    for (const auto& p : props) {
        const std::string name = p.at(0).get<std::string>(), sig = p.at(1).get<std::string>();
        if (complete_type_length(sig, 0) != sig.size()) throw Failure("bad signature " + sig + " of " + name);
        check(sd_bus_message_open_container(m, 'r', "sv"), "marshalling " + name);
        check(sd_bus_message_append_basic(m, 's', name.c_str()), "marshalling " + name);
        check(sd_bus_message_open_container(m, 'v', sig.c_str()), "marshalling " + name);
        try {
            marshal(m, sig, p.at(2));
        } catch (const Json::exception& e) {
            throw Failure("property " + name + ": value does not fit " + sig + ": " + e.what());
        }
        check(sd_bus_message_close_container(m), "marshalling " + name);
        check(sd_bus_message_close_container(m), "marshalling " + name);
    }
    check(sd_bus_message_close_container(m), "marshalling the properties");
}

class Bus {
public:
    explicit Bus(bool user) {
        int r = user ? sd_bus_open_user(&bus_) : sd_bus_open_system(&bus_);
        if (r < 0) {
            if (user)
                throw Failure(std::string("cannot reach the user's systemd (no session bus: ") + std::strerror(-r) +
                              "; is systemd --user running, and XDG_RUNTIME_DIR or DBUS_SESSION_BUS_ADDRESS set?)");
            throw Failure(std::string("cannot reach systemd on the system bus: ") + std::strerror(-r));
        }
        // Job signals go out only once a client has subscribed.
        check(sd_bus_match_signal(bus_, nullptr, kDest, kPath, kManager, "JobRemoved", &Bus::on_job_removed, this),
              "watching systemd's jobs");
        call_manager("Subscribe", nullptr);
    }
    ~Bus() { sd_bus_flush_close_unref(bus_); }
    Bus(const Bus&) = delete;
    Bus& operator=(const Bus&) = delete;

    sd_bus* get() const { return bus_; }

    // Calls a Manager method whose arguments append fills in; returns the reply (to unref).
    template <typename Append>
    sd_bus_message* call(const char* method, Append append, sd_bus_error* err_out = nullptr) {
        sd_bus_message* m = nullptr;
        check(sd_bus_message_new_method_call(bus_, &m, kDest, kPath, kManager, method), method);
        try {
            append(m);
        } catch (...) {
            sd_bus_message_unref(m);
            throw;
        }
        ErrorHolder err;
        sd_bus_message* reply = nullptr;
        int r = sd_bus_call(bus_, m, 0, &err.e, &reply);
        sd_bus_message_unref(m);
        if (r < 0) {
            if (err_out) {
                sd_bus_error_copy(err_out, &err.e);
                return nullptr;
            }
            fail(method, r, &err.e);
        }
        return reply;
    }
    void call_manager(const char* method, sd_bus_error* err_out) {
        sd_bus_message_unref(call(
            method, [](sd_bus_message*) {}, err_out));
    }

    // Waits for the JobRemoved signal of job; returns its result ("done", "failed", ...).
    std::string wait_job(const std::string& job) {
        auto deadline = std::chrono::steady_clock::now() + kJobTimeout;
        for (;;) {
            for (const auto& [path, result] : removed_)
                if (path == job) return result;
            int r = sd_bus_process(bus_, nullptr);
            check(r, "waiting for systemd's job " + job);
            if (r > 0) continue;
            auto left = deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::seconds(0)) throw Failure("timed out after 30 s waiting for systemd's job " + job);
            check(sd_bus_wait(bus_, std::chrono::duration_cast<std::chrono::microseconds>(left).count()),
                  "waiting for systemd's job " + job);
        }
    }

private:
    static int on_job_removed(sd_bus_message* m, void* self, sd_bus_error*) {
        uint32_t id = 0;
        const char *job = nullptr, *unit = nullptr, *result = nullptr;
        if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) >= 0)
            static_cast<Bus*>(self)->removed_.emplace_back(job, result);
        return 0;
    }

    sd_bus* bus_ = nullptr;
    std::vector<std::pair<std::string, std::string>> removed_;
};

std::string read_job_path(sd_bus_message* reply) {
    const char* job = nullptr;
    int r = sd_bus_message_read(reply, "o", &job);
    std::string out = r >= 0 && job ? job : "";
    sd_bus_message_unref(reply);
    check(r, "reading the job");
    return out;
}

bool error_is(const sd_bus_error& e, const char* name) { return sd_bus_error_has_name(&e, name); }

// Unit load state as systemd sees it: "" when it is not loaded at all.
bool unit_loaded(Bus& bus, const std::string& unit) {
    ErrorHolder err;
    sd_bus_message* reply = bus.call(
        "GetUnit", [&](sd_bus_message* m) { check(sd_bus_message_append(m, "s", unit.c_str()), "GetUnit"); }, &err.e);
    if (reply) {
        sd_bus_message_unref(reply);
        return true;
    }
    if (error_is(err.e, "org.freedesktop.systemd1.NoSuchUnit")) return false;
    fail("GetUnit", -EIO, &err.e);
}

void reset_failed(Bus& bus, const std::string& unit) {
    ErrorHolder err;
    sd_bus_message_unref(bus.call(
        "ResetFailedUnit",
        [&](sd_bus_message* m) { check(sd_bus_message_append(m, "s", unit.c_str()), "ResetFailedUnit"); }, &err.e));
}

std::string control_group(Bus& bus, const std::string& unit) {
    sd_bus_message* reply =
        bus.call("GetUnit", [&](sd_bus_message* m) { check(sd_bus_message_append(m, "s", unit.c_str()), "GetUnit"); });
    const char* path = nullptr;
    int r = sd_bus_message_read(reply, "o", &path);
    std::string object = r >= 0 && path ? path : "";
    sd_bus_message_unref(reply);
    check(r, "GetUnit");
    ErrorHolder err;
    char* cg = nullptr;
    r = sd_bus_get_property_string(bus.get(), kDest, object.c_str(), "org.freedesktop.systemd1.Scope", "ControlGroup",
                                   &err.e, &cg);
    if (r < 0) fail("reading ControlGroup of " + unit, r, &err.e);
    std::string out = cg;
    free(cg);
    return out;
}

void start(Bus& bus, const std::string& unit, const Json& props) {
    auto append = [&](sd_bus_message* m) {
        check(sd_bus_message_append(m, "ss", unit.c_str(), "replace"), "StartTransientUnit");
        append_properties(m, props);
        check(sd_bus_message_append(m, "a(sa(sv))", 0), "StartTransientUnit");
    };
    ErrorHolder err;
    sd_bus_message* reply = bus.call("StartTransientUnit", append, &err.e);
    // As runc: a unit of that name may be a failed leftover; reset it and try once more.
    if (!reply && error_is(err.e, "org.freedesktop.systemd1.UnitExists")) {
        reset_failed(bus, unit);
        sd_bus_error_free(&err.e);
        reply = bus.call("StartTransientUnit", append, &err.e);
    }
    if (!reply) fail("StartTransientUnit", -EIO, &err.e);
    std::string result = bus.wait_job(read_job_path(reply));
    if (result != "done") {
        reset_failed(bus, unit);
        throw Failure("systemd could not start " + unit + ": job " + result);
    }
    std::cout << Json{{"controlGroup", control_group(bus, unit)}}.dump() << "\n";
}

void set(Bus& bus, const std::string& unit, const Json& props) {
    sd_bus_message_unref(bus.call("SetUnitProperties", [&](sd_bus_message* m) {
        check(sd_bus_message_append(m, "sb", unit.c_str(), 1), "SetUnitProperties");
        append_properties(m, props);
    }));
}

void stop(Bus& bus, const std::string& unit) {
    ErrorHolder err;
    sd_bus_message* reply = bus.call(
        "StopUnit",
        [&](sd_bus_message* m) { check(sd_bus_message_append(m, "ss", unit.c_str(), "replace"), "StopUnit"); }, &err.e);
    if (reply) {
        std::string result = bus.wait_job(read_job_path(reply));
        if (result != "done") std::fprintf(stderr, "box-systemd: stopping %s: job %s\n", unit.c_str(), result.c_str());
    } else if (!error_is(err.e, "org.freedesktop.systemd1.NoSuchUnit")) {
        fail("StopUnit", -EIO, &err.e);
    }
    // A scope that ended badly (an OOM kill) stays loaded as failed until reset.
    reset_failed(bus, unit);
    auto deadline = std::chrono::steady_clock::now() + kJobTimeout;
    for (auto pause = std::chrono::milliseconds(1); unit_loaded(bus, unit);
         pause = std::min(pause * 2, std::chrono::milliseconds(100))) {
        if (std::chrono::steady_clock::now() >= deadline)
            throw Failure("timed out after 30 s waiting for systemd to unload " + unit);
        std::this_thread::sleep_for(pause);
        reset_failed(bus, unit);
    }
}

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: box-systemd [--user] start|set|stop UNIT (properties as JSON on stdin)\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    bool user = !args.empty() && args[0] == "--user";
    if (user) args.erase(args.begin());
    if (args.size() != 2) usage();
    const std::string& op = args[0];
    const std::string& unit = args[1];
    if (op != "start" && op != "set" && op != "stop") usage();
    try {
        Json props;
        if (op != "stop") {
            try {
                props = Json::parse(std::string(std::istreambuf_iterator<char>(std::cin), {}));
            } catch (const Json::exception& e) {
                throw Failure(std::string("properties on stdin: ") + e.what());
            }
            if (!props.is_array()) throw Failure("properties on stdin: not an array");
        }
        Bus bus(user);
        if (op == "start") start(bus, unit, props);
        if (op == "set") set(bus, unit, props);
        if (op == "stop") stop(bus, unit);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "box-systemd: %s\n", e.what());
        return 1;
    }
    return 0;
}

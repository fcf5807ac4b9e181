#include "update_flags.hpp"

#include <cctype>
#include <climits>
#include <type_traits>

#include "cgroup_resources.hpp"
#include "error.hpp"
#include "files.hpp"
#include "log.hpp"

namespace box {

int64_t parse_bytes(const std::string& flag, const std::string& text) {
    if (text == "-1") return -1;
    auto bad = [&] { return UsageError(flag + ": invalid size " + quote(text)); };
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    std::string number = text.substr(0, i);
    if (number.empty() || number[0] == '.' || number.back() == '.') throw bad();
    if (i < text.size() && text[i] == ' ') ++i;
    std::string unit;
    for (; i < text.size(); ++i) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();
    static const std::string units = "kmgtp";
    double mult = 1;
    if (unit.size() > 1) throw bad();
    if (unit.size() == 1) {
        auto pos = units.find(unit[0]);
        if (pos == std::string::npos) throw bad();
        for (size_t k = 0; k <= pos; ++k) mult *= 1024;
    }
    double value = 0;
    try {
        value = std::stod(number) * mult;
    } catch (...) {
        throw bad();
    }
    if (value >= 9.2e18) throw bad();
    return static_cast<int64_t>(value);
}

void resources_from_flags(const boost::program_options::variables_map& vm, Resources& r) {
    auto given = [&](const char* flag) { return vm.count(flag) > 0; };
    auto number = [&](const char* flag) {
        const std::string& text = vm[flag].as<std::string>();
        size_t pos = 0;
        int64_t v = 0;
        try {
            v = std::stoll(text, &pos);
        } catch (...) {
            pos = 0;
        }
        if (pos == 0 || pos != text.size())
            throw UsageError(std::string("--") + flag + ": invalid number " + quote(text));
        return v;
    };
    auto in_range = [&](const char* flag, int64_t v, int64_t lo, int64_t hi) {
        if (v != 0 && (v < lo || v > hi))
            throw UsageError(std::string("--") + flag + " must be between " + std::to_string(lo) + " and " +
                             std::to_string(hi) + " (or 0 for unchanged), got " + std::to_string(v));
        return v;
    };
    auto set = [](auto& field, int64_t v) {
        if (v != 0) field = static_cast<std::remove_reference_t<decltype(*field)>>(v);
    };
    for (auto [flag, field] : {std::pair{"memory", &r.memory_limit}, std::pair{"memory-swap", &r.memory_swap},
                               std::pair{"memory-reservation", &r.memory_reservation}})
        if (given(flag)) set(*field, parse_bytes(std::string("--") + flag, vm[flag].as<std::string>()));
    if (given("pids-limit")) set(r.pids_limit, in_range("pids-limit", number("pids-limit"), -1, INT64_MAX));
    if (given("cpu-quota")) set(r.cpu_quota, in_range("cpu-quota", number("cpu-quota"), -1, INT64_MAX));
    if (given("cpu-period")) set(r.cpu_period, in_range("cpu-period", number("cpu-period"), 1, INT64_MAX));
    for (const char* flag : {"cpu-share", "cpu-shares"})
        if (given(flag)) set(r.cpu_shares, in_range(flag, number(flag), 2, 262144));
    if (given("cpu-rt-period")) set(r.cpu_rt_period, in_range("cpu-rt-period", number("cpu-rt-period"), 1, INT64_MAX));
    if (given("cpu-rt-runtime"))
        set(r.cpu_rt_runtime, in_range("cpu-rt-runtime", number("cpu-rt-runtime"), -1, INT64_MAX));
    if (given("blkio-weight")) set(r.blkio_weight, in_range("blkio-weight", number("blkio-weight"), 10, 1000));
    for (auto [flag, field] : {std::pair{"cpuset-cpus", &r.cpu_cpus}, std::pair{"cpuset-mems", &r.cpu_mems}}) {
        if (!given(flag)) continue;
        std::string list = vm[flag].as<std::string>();
        if (!is_cpu_list(list))
            throw UsageError(std::string("--") + flag + ": invalid list " + quote(list) + " (like 0-3,5)");
        if (!list.empty()) *field = list;
    }
    for (const char* flag : {"kernel-memory", "kernel-memory-tcp"})
        if (given(flag)) log::warn(std::string("Setting --") + flag + " is ignored and will be removed (as in runc)");
    // box has no Intel RDT support; runc gives the same words on a host without it.
    if (given("l3-cache-schema")) throw Error("Intel RDT/CAT: l3 cache schema is not enabled (box has no Intel RDT)");
    if (given("mem-bw-schema"))
        throw Error("Intel RDT/MBA: memory bandwidth schema is not enabled (box has no Intel RDT)");
}

}  // namespace box

#include "timestamp.hpp"

#include <cstdio>
#include <ctime>

namespace box {

std::string rfc3339_nanos(std::chrono::system_clock::time_point when) {
    auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch());
    auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    long long nanos = (since_epoch - seconds).count();
    std::time_t t = seconds.count();
    std::tm tm{};
    gmtime_r(&t, &tm);
    // Not strftime: it calls tzset(), which reads /etc/localtime on every start for nothing.
    char out[96];
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nanos);
    return out;
}

std::string now_rfc3339_nanos() { return rfc3339_nanos(std::chrono::system_clock::now()); }

}  // namespace box

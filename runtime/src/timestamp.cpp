#include "timestamp.hpp"

#include <cstdio>

namespace box {

std::string rfc3339_nanos(std::chrono::system_clock::time_point when) {
    using namespace std::chrono;
    auto since_epoch = duration_cast<nanoseconds>(when.time_since_epoch());
    auto day = floor<days>(since_epoch);
    // Civil date by arithmetic, not gmtime_r or strftime: glibc's first call of either
    // reads /etc/localtime (tzset) on every start, for a UTC time.
    year_month_day ymd{sys_days{day}};
    hh_mm_ss<nanoseconds> tod{since_epoch - day};
    char out[96];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(tod.hours().count()), static_cast<long long>(tod.minutes().count()),
                  static_cast<long long>(tod.seconds().count()), static_cast<long long>(tod.subseconds().count()));
    return out;
}

std::string now_rfc3339_nanos() { return rfc3339_nanos(std::chrono::system_clock::now()); }

}  // namespace box

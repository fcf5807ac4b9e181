#include "timestamp.hpp"

#include <gtest/gtest.h>

#include <regex>

using namespace box;
using namespace std::chrono;

TEST(Timestamp, FormatsUtcWithNanoseconds) {
    // 2026-12-01T03:05:26Z is 1796094326 seconds after the epoch.
    system_clock::time_point when{duration_cast<system_clock::duration>(seconds(1796094326) + nanoseconds(7))};
    EXPECT_EQ(rfc3339_nanos(when), "2026-12-01T03:05:26.000000007Z");
}

TEST(Timestamp, KeepsLeadingZerosAndTheEpoch) {
    EXPECT_EQ(rfc3339_nanos(system_clock::time_point{}), "1970-01-01T00:00:00.000000000Z");
    system_clock::time_point when{duration_cast<system_clock::duration>(seconds(951782400) + milliseconds(5))};
    EXPECT_EQ(rfc3339_nanos(when), "2000-02-29T00:00:00.005000000Z");  // a leap day
}

TEST(Timestamp, NowHasTheRfc3339Shape) {
    EXPECT_TRUE(std::regex_match(now_rfc3339_nanos(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")));
}

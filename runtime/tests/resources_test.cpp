#include <gtest/gtest.h>

#include "cgroup_resources.hpp"
#include "config.hpp"
#include "error.hpp"

using namespace box;

namespace {

Resources parse(const std::string& text) {
    Json doc = parse_json(text, "resources");
    return parse_resources(JsonReader(doc, "resources"));
}

std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

// Engines send 0 for every limit the user did not give; runc writes none of them.
TEST(Resources, ZeroMeansUnset) {
    Resources r = parse(R"({
        "memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0, "disableOOMKiller": false},
        "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0, "cpus": "", "mems": ""},
        "blockIO": {"weight": 0, "leafWeight": 0, "weightDevice": [{"major": 8, "minor": 0, "weight": 0, "leafWeight": 0}]},
        "pids": {"limit": 0}})");
    EXPECT_FALSE(has_limits(r));
    EXPECT_FALSE(r.memory_kernel || r.memory_kernel_tcp || r.disable_oom_killer);
    EXPECT_TRUE(r.blkio_weight_devices.empty());
}

TEST(Resources, DockersPlainRunAndUpdateBodies) {
    EXPECT_FALSE(
        has_limits(parse(R"({"memory":{"disableOOMKiller":false},"cpu":{"shares":0},"blockIO":{"weight":0}})")));
    Resources u = parse(R"({"memory":{"limit":134217728,"reservation":0,"swap":268435456,"kernel":0},
                            "cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}})");
    EXPECT_EQ(u.memory_limit, 134217728);
    EXPECT_EQ(u.memory_swap, 268435456);
    EXPECT_FALSE(u.memory_reservation || u.cpu_shares || u.cpu_quota || u.cpu_period || u.blkio_weight);
}

TEST(Resources, InvalidValuesStillNameTheField) {
    EXPECT_NE(error_of(R"({"cpu": {"shares": 1}})").find("cpu.shares: must be between 2 and 262144"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"cpu": {"shares": 262145}})").find("cpu.shares"), std::string::npos);
    EXPECT_NE(error_of(R"({"cpu": {"quota": -2}})").find("cpu.quota"), std::string::npos);
    EXPECT_NE(error_of(R"({"blockIO": {"weight": 5}})").find("blockIO.weight: must be between 10 and 1000"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 2000}]}})")
                  .find("blockIO.weightDevice[0].weight"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"pids": {"limit": -2}})").find("pids.limit"), std::string::npos);
    EXPECT_NE(error_of(R"({"memory": {"limit": 134217728, "swap": 67108864}})").find("memory.swap"), std::string::npos);
    EXPECT_NE(error_of(R"({"devices": [{"allow": true, "access": ""}]})").find("devices[0].access"), std::string::npos);
}

TEST(Resources, SwappinessMinusOneIsTheDefault) {
    EXPECT_FALSE(parse(R"({"memory": {"swappiness": -1}})").memory_swappiness);
    EXPECT_FALSE(parse(R"({"memory": {"swappiness": 18446744073709551615}})").memory_swappiness);
    EXPECT_EQ(parse(R"({"memory": {"swappiness": 0}})").memory_swappiness, 0u);
}

// runc takes the set of r, w and m in the string and ignores other letters.
TEST(Resources, DeviceAccessAsRuncReadsIt) {
    Resources r = parse(R"({"devices": [{"allow": true, "access": "rwa"}, {"allow": true, "access": "mrw"},
                                         {"allow": false, "access": "mmwrr"}]})");
    ASSERT_EQ(r.devices.size(), 3u);
    EXPECT_EQ(r.devices[0].access, "rw");
    EXPECT_EQ(r.devices[1].access, "rwm");
    EXPECT_EQ(r.devices[2].access, "rwm");
    // None of r, w, m: runc cannot apply it, and a deny rule "RWM" must not deny nothing quietly.
    EXPECT_THROW(parse(R"({"devices": [{"allow": false, "access": "RWM"}]})"), Error);
    EXPECT_THROW(parse(R"({"devices": [{"allow": false, "access": "x"}]})"), Error);
}

TEST(Resources, V2ConversionsStayInRange) {
    EXPECT_EQ(shares_to_weight(0), 0u);
    EXPECT_EQ(shares_to_weight(1), 1u);
    EXPECT_EQ(shares_to_weight(2), 1u);
    EXPECT_EQ(shares_to_weight(1024), 39u);
    EXPECT_EQ(shares_to_weight(262144), 10000u);
    EXPECT_EQ(shares_to_weight(1000000), 10000u);
    EXPECT_EQ(blkio_weight_to_io(0), 0u);
    EXPECT_EQ(blkio_weight_to_io(5), 1u);
    EXPECT_EQ(blkio_weight_to_io(10), 1u);
    EXPECT_EQ(blkio_weight_to_io(1000), 10000u);
    EXPECT_EQ(blkio_weight_to_io(60000), 10000u);
}

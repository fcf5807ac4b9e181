// The systemd cgroup driver's pure parts: unit names, slices, and resources as unit properties.
#include "systemd_unit.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "error.hpp"

namespace box {
namespace {

const UnitProperty* find(const std::vector<UnitProperty>& props, const std::string& name) {
    for (const auto& p : props)
        if (p.name == name) return &p;
    return nullptr;
}

TEST(SystemdUnit, ExpandSliceAsSystemdDoes) {
    EXPECT_EQ(expand_slice("system.slice"), "/system.slice");
    EXPECT_EQ(expand_slice("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
    EXPECT_EQ(expand_slice("-.slice"), "");
    for (const char* bad : {"", ".slice", "a", "a/b.slice", "a--b.slice", "-a.slice", "a-.slice"})
        EXPECT_THROW(expand_slice(bad), Error) << bad;
}

TEST(SystemdUnit, ScopeFromCgroupsPath) {
    auto s = systemd_scope_for("system.slice:crio:abc", "id", false);
    EXPECT_EQ(s.slice, "system.slice");
    EXPECT_EQ(s.unit, "crio-abc.scope");
    EXPECT_EQ(s.cgroup_rel, "/system.slice/crio-abc.scope");
    // runc's defaults: an empty slice is system.slice (user.slice rootless), an empty path :box:ID.
    EXPECT_EQ(systemd_scope_for(":p:n", "id", false).cgroup_rel, "/system.slice/p-n.scope");
    EXPECT_EQ(systemd_scope_for(":p:n", "id", true).slice, "user.slice");
    EXPECT_EQ(systemd_scope_for("", "id", false).unit, "box-id.scope");
    EXPECT_EQ(systemd_scope_for("kubepods-besteffort.slice:cri-containerd:x", "id", false).cgroup_rel,
              "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-x.scope");
}

TEST(SystemdUnit, BadCgroupsPathNamesTheField) {
    for (const char* bad : {"/abs/path", "a:b", "a:b:c:d", "bad:p:n", "system.slice:p:", "system.slice:p:x.slice"}) {
        try {
            systemd_scope_for(bad, "id", false);
            ADD_FAILURE() << bad << " accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("linux.cgroupsPath"), std::string::npos) << e.what();
        }
    }
}

TEST(SystemdUnit, LegacyAndUnifiedPropertiesAsRunc) {
    Resources r;
    r.memory_limit = 64 << 20;
    r.pids_limit = 20;
    r.cpu_shares = 1024;
    r.cpu_quota = 50000;
    r.cpu_period = 100000;
    r.blkio_weight = 500;
    auto v1 = systemd_resource_properties(r, SystemdCgroupApi::Legacy);
    ASSERT_TRUE(find(v1, "MemoryLimit"));
    EXPECT_EQ(find(v1, "MemoryLimit")->value, 64 << 20);
    EXPECT_FALSE(find(v1, "MemoryMax"));
    EXPECT_EQ(find(v1, "TasksMax")->value, 20);
    EXPECT_EQ(find(v1, "CPUShares")->value, 1024);
    EXPECT_EQ(find(v1, "CPUQuotaPerSecUSec")->value, 500000);
    EXPECT_EQ(find(v1, "CPUQuotaPeriodUSec")->value, 100000);
    EXPECT_EQ(find(v1, "BlockIOWeight")->value, 500);
    auto v2 = systemd_resource_properties(r, SystemdCgroupApi::Unified);
    EXPECT_EQ(find(v2, "MemoryMax")->value, 64 << 20);
    EXPECT_FALSE(find(v2, "MemoryLimit"));
    EXPECT_TRUE(find(v2, "CPUWeight"));
    EXPECT_TRUE(find(v2, "IOWeight"));
    EXPECT_EQ(find(v2, "CPUWeight")->type, "t");
}

TEST(SystemdUnit, QuotaRoundsUpToTenMilliseconds) {
    Resources r;
    r.cpu_quota = 12345;
    r.cpu_period = 100000;
    EXPECT_EQ(find(systemd_resource_properties(r, SystemdCgroupApi::Legacy), "CPUQuotaPerSecUSec")->value, 130000);
}

TEST(SystemdUnit, UnlimitedIsInfinityAndZeroIsUnset) {
    Resources r;
    r.memory_limit = -1;
    r.pids_limit = -1;
    r.cpu_shares = 0;
    auto props = systemd_resource_properties(r, SystemdCgroupApi::Unified);
    EXPECT_EQ(find(props, "MemoryMax")->value, std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(find(props, "TasksMax")->value, std::numeric_limits<uint64_t>::max());
    EXPECT_FALSE(find(props, "CPUWeight"));
}

TEST(SystemdUnit, SwapIsMemoryPlusSwapMinusMemoryOnV2) {
    Resources r;
    r.memory_limit = 100;
    r.memory_swap = 300;
    EXPECT_EQ(find(systemd_resource_properties(r, SystemdCgroupApi::Unified), "MemorySwapMax")->value, 200);
    EXPECT_FALSE(find(systemd_resource_properties(r, SystemdCgroupApi::Legacy), "MemorySwapMax"));
}

TEST(SystemdUnit, CpusetBitsAsSystemdReadsThem) {
    EXPECT_EQ(cpuset_to_bits("0"), std::vector<uint8_t>({0x01}));
    EXPECT_EQ(cpuset_to_bits("0-3,8"), std::vector<uint8_t>({0x0f, 0x01}));
    EXPECT_THROW(cpuset_to_bits("x"), Error);
    EXPECT_THROW(cpuset_to_bits("3-1"), Error);
}

TEST(SystemdUnit, DevicesDenyAllThenAllowListIsStrict) {
    Resources r;
    r.devices.push_back({false, 'a', -1, -1, "rwm"});
    r.devices.push_back({true, 'c', 1, 3, "rwm"});
    auto props = systemd_resource_properties(r, SystemdCgroupApi::Legacy);
    EXPECT_EQ(find(props, "DevicePolicy")->value, "strict");
    const Json& allow = find(props, "DeviceAllow")->value;
    EXPECT_EQ(allow.at(0), Json::array({"/dev/char/1:3", "rwm"}));
}

TEST(SystemdUnit, ScopePropertiesCarryThePidAndDelegate) {
    auto s = systemd_scope_for("system.slice:p:n", "id", false);
    auto props = systemd_scope_properties("id", s, 42, std::nullopt, SystemdCgroupApi::Legacy);
    EXPECT_EQ(find(props, "PIDs")->value, Json::array({42}));
    EXPECT_EQ(find(props, "PIDs")->type, "au");
    EXPECT_EQ(find(props, "Delegate")->value, true);
    EXPECT_EQ(find(props, "Slice")->value, "system.slice");
    EXPECT_EQ(find(props, "DefaultDependencies")->value, false);
    Json j = properties_json(props);
    EXPECT_EQ(j.at(0).size(), 3u);
}

}  // namespace
}  // namespace box

#include "config.hpp"

#include <gtest/gtest.h>

#include <functional>
#include "error.hpp"
#include "spec_template.hpp"

using namespace box;

namespace {

std::string error_of(const std::string& text) {
    try {
        parse_spec(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

Json minimal() { return default_spec(); }

std::string with(const std::function<void(Json&)>& edit) {
    Json j = minimal();
    edit(j);
    return j.dump();
}

}  // namespace

TEST(Config, DefaultSpecParses) {
    Spec s = parse_spec(default_spec().dump());
    ASSERT_TRUE(s.process);
    EXPECT_EQ(s.process->args, std::vector<std::string>{"sh"});
    EXPECT_EQ(s.root_path, "rootfs");
    EXPECT_TRUE(s.root_readonly);
    EXPECT_EQ(s.mounts.size(), 7u);
    EXPECT_TRUE(s.linux.find_namespace("pid"));
    ASSERT_TRUE(s.process->capabilities);
    EXPECT_EQ(s.process->capabilities->bounding.size(), 3u);
    EXPECT_EQ(s.process->rlimits.at(0).soft, 1024u);
}

TEST(Config, InvalidJsonNamesLineAndColumn) {
    std::string e = error_of("{\n  \"ociVersion\": \"1.0\",\n  oops\n}");
    EXPECT_NE(e.find("config.json: invalid JSON at line 3, column 3"), std::string::npos) << e;
}

TEST(Config, DeepNestingIsRefusedBeforeParsing) {
    // 100000 levels would overflow the stack when the config is copied or serialised.
    std::string deep = "{\"x\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    std::string e = error_of(deep);
    EXPECT_NE(e.find("config.json: invalid JSON at line 1, column 1006: nested deeper than 1000 levels"),
              std::string::npos)
        << e;
    // Brackets inside strings (escaped quotes too) do not count; 1000 levels are fine.
    std::string strings = "[\"\\\"[[[[\", " + std::string(999, '[') + std::string(999, ']') + "]";
    EXPECT_NO_THROW(box::parse_json(strings, "x.json"));
    EXPECT_THROW(box::parse_json(std::string(1001, '['), "x.json"), box::Error);
}

TEST(Config, WrongTypeNamesTheJsonPath) {
    EXPECT_EQ(error_of(with([](Json& j) { j["process"]["args"][0] = 5; })),
              "config.json: process.args[0]: expected string, got number");
    EXPECT_EQ(error_of(with([](Json& j) { j["process"]["cwd"] = true; })),
              "config.json: process.cwd: expected string, got boolean");
    EXPECT_EQ(error_of(with([](Json& j) { j["linux"]["namespaces"] = "pid"; })),
              "config.json: linux.namespaces: expected array, got string");
}

TEST(Config, MissingArgsIsAnError) {
    EXPECT_EQ(error_of(with([](Json& j) { j["process"].erase("args"); })),
              "config.json: process.args: must be a non-empty array");
    EXPECT_EQ(error_of(with([](Json& j) { j["process"]["args"] = Json::array(); })),
              "config.json: process.args: must be a non-empty array");
}

TEST(Config, UnknownNamespaceTypeIsNamed) {
    size_t index = default_spec()["linux"]["namespaces"].size();  // the one pushed below
    EXPECT_EQ(error_of(with([](Json& j) {
                  j["linux"]["namespaces"].push_back({{"type", "foo"}});
              })),
              "config.json: linux.namespaces[" + std::to_string(index) + "].type: unknown namespace type \"foo\"");
}

TEST(Config, UnknownCapabilityIsLeftOutAndRlimitIsNamed) {
    Spec spec = parse_spec(with([](Json& j) {
        j["process"]["capabilities"]["bounding"] = {"CAP_KILL", "CAP_NOPE"};
        j["process"]["capabilities"]["ambient"] = {"KILL"};
    }));
    ASSERT_TRUE(spec.process->capabilities);
    EXPECT_EQ(spec.process->capabilities->bounding, std::vector<int>{5});
    EXPECT_TRUE(spec.process->capabilities->ambient.empty());
    EXPECT_EQ(spec.process->capabilities->unknown, (std::vector<std::string>{"CAP_NOPE", "KILL"}));
    EXPECT_NE(
        error_of(with([](Json& j) { j["process"]["rlimits"][0]["type"] = "RLIMIT_NOPE"; })).find("unknown rlimit"),
        std::string::npos);
}

TEST(Config, OomScoreAdjRange) {
    EXPECT_NE(error_of(with([](Json& j) { j["process"]["oomScoreAdj"] = 1001; })).find("process.oomScoreAdj"),
              std::string::npos);
    EXPECT_EQ(error_of(with([](Json& j) { j["process"]["oomScoreAdj"] = -1000; })), "");
}

TEST(Config, ZeroSizeMappingIsRejected) {
    EXPECT_NE(error_of(with([](Json& j) {
                  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}};
              })).find("linux.uidMappings[0].size"),
              std::string::npos);
}

TEST(Config, RelativeMountDestinationBecomesAbsolute) {
    Spec s = parse_spec(with([](Json& j) { j["mounts"].push_back({{"destination", "data"}, {"type", "tmpfs"}}); }));
    EXPECT_EQ(s.mounts.back().destination, "/data");
}

TEST(Config, NegativeLimitsAreRejected) {
    EXPECT_NE(error_of(with([](Json& j) {
                  j["linux"]["resources"]["pids"] = {{"limit", -5}};
              })).find("linux.resources.pids.limit"),
              std::string::npos);
    EXPECT_NE(error_of(with([](Json& j) {
                  j["linux"]["resources"]["devices"][0]["type"] = "x";
              })).find("unknown device type"),
              std::string::npos);
}

TEST(Config, RootlessSpecMapsCallerToRoot) {
    Spec s = parse_spec(rootless_spec(1000, 1000).dump());
    ASSERT_EQ(s.linux.uid_mappings.size(), 1u);
    EXPECT_EQ(s.linux.uid_mappings[0].host_id, 1000u);
    EXPECT_EQ(s.linux.find_namespace("network"), nullptr);
    EXPECT_NE(s.linux.find_namespace("user"), nullptr);
    EXPECT_FALSE(s.linux.resources.has_value());
}

TEST(Config, PersonalityDomains) {
    Spec s = parse_spec(with([](Json& j) { j["linux"]["personality"] = {{"domain", "LINUX32"}}; }));
    ASSERT_TRUE(s.linux.personality);
    EXPECT_EQ(*s.linux.personality, 0x0008u);
    EXPECT_EQ(error_of(with([](Json& j) {
                  j["linux"]["personality"] = {{"domain", "PDP11"}};
              })),
              "config.json: linux.personality.domain: unknown personality domain \"PDP11\" (LINUX or LINUX32)");
    EXPECT_EQ(error_of(with([](Json& j) { j["linux"]["personality"] = Json::object(); })),
              "config.json: linux.personality.domain: required field is missing");
}

TEST(Config, TimeOffsetsAreRejectedNotIgnored) {
    EXPECT_EQ(error_of(with([](Json& j) {
                  j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}};
              })),
              "config.json: linux.timeOffsets: not supported by box");
}

TEST(Config, CpusetListsAreChecked) {
    for (const char* good : {"", "0", "0-3", "0-3,5", "1,2,3", "0-0"}) EXPECT_TRUE(is_cpu_list(good)) << good;
    for (const char* bad : {"abc", "1-", "-1", "3-1", "1,", ",1", "1,,2", "1 2", "0-3,x", "1234567890"})
        EXPECT_FALSE(is_cpu_list(bad)) << bad;
    EXPECT_EQ(error_of(with([](Json& j) { j["linux"]["resources"]["cpu"]["cpus"] = "0-x"; })),
              "config.json: linux.resources.cpu.cpus: must be a list like \"0-3,5\", got \"0-x\"");
}

#include "state.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <functional>
#include "error.hpp"
#include "proc.hpp"

using namespace box;

namespace {

std::string temp_root() {
    char tmpl[] = "/tmp/box-state-test-XXXXXX";
    char* d = ::mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    return std::string(d) + "/root";
}

std::set<std::string> entries(const std::string& dir) {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) out.insert(e.path().filename());
    return out;
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(ContainerId, RejectsEmptySlashDotsAndOddCharacters) {
    for (const char* bad : {"", "a/b", "..", ".", "a..b", "../x", "a b", "a\nb", "é"})
        EXPECT_NE(error_of([&] { validate_container_id(bad); }).find("invalid container id"), std::string::npos) << bad;
    for (const char* good : {"a", "abc-123", "A_b.c+d", "0"})
        EXPECT_EQ(error_of([&] { validate_container_id(good); }), "");
}

TEST(StateStore, SaveLoadRoundTrip) {
    StateStore store(temp_root());
    store.create_dir("c1");
    ContainerState s;
    s.id = "c1";
    s.phase = "created";
    s.pid = 42;
    s.pid_start_time = 7;
    s.bundle = "/b";
    s.rootfs = "/b/rootfs";
    s.cgroup_dirs = {"/sys/fs/cgroup/x"};
    s.namespaces = {"pid", "mount"};
    s.personality = 8;
    store.save(s);
    ContainerState l = store.load("c1");
    EXPECT_EQ(l.pid, 42);
    EXPECT_EQ(l.pid_start_time, 7u);
    EXPECT_EQ(l.bundle, "/b");
    EXPECT_EQ(l.cgroup_dirs, s.cgroup_dirs);
    EXPECT_EQ(l.namespaces, s.namespaces);
    EXPECT_EQ(l.personality, std::optional<unsigned long>(8));
    EXPECT_FALSE(l.legacy_config);
    // The write is atomic: no temporary file is left behind.
    EXPECT_EQ(entries(store.dir("c1")), (std::set<std::string>{"init", "state.json"}));
}

TEST(StateStore, TemporaryFilesNeverFollowAPlantedSymlink) {
    StateStore store(temp_root());
    store.create_dir("c1");
    std::string victim = store.root() + "/../victim";
    std::ofstream(victim) << "untouched";
    for (const char* name : {"state.json.tmp", "init.tmp", ".state.json.tmp"})
        ASSERT_EQ(::symlink(victim.c_str(), (store.dir("c1") + "/" + name).c_str()), 0);
    ContainerState s;
    s.id = "c1";
    s.pid = 42;
    store.save(s);
    std::ifstream in(victim);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "untouched");
    EXPECT_EQ(store.load("c1").pid, 42);
}

TEST(StateStore, ASymlinkedEntryIsRefusedAndNothingBehindItIsRemoved) {
    StateStore store(temp_root());
    store.create_dir("real");
    std::string elsewhere = store.root() + "/../elsewhere";
    ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
    for (const char* name : {"state.json", "init", "exec.fifo"}) std::ofstream(elsewhere + "/" + name) << "keep";
    ASSERT_EQ(::symlink(elsewhere.c_str(), store.dir("link").c_str()), 0);
    EXPECT_NE(error_of([&] { store.load("link"); }).find("container \"link\": "), std::string::npos);
    EXPECT_NE(error_of([&] { store.load("link"); }).find("is a symbolic link"), std::string::npos);
    EXPECT_NE(error_of([&] { store.remove("link"); }).find("is a symbolic link"), std::string::npos);
    EXPECT_EQ(entries(elsewhere), (std::set<std::string>{"exec.fifo", "init", "state.json"}));
    EXPECT_EQ(store.ids(), (std::vector<std::string>{"link", "real"}));
}

TEST(StateStore, RemoveTakesStrayFilesAndDirectoriesToo) {
    StateStore store(temp_root());
    store.create_dir("c1");
    std::string d = store.dir("c1");
    std::ofstream(d + "/stray") << "x";
    std::string deep = d;
    for (int i = 0; i < 300; ++i) {  // deeper than any fd or stack budget per level would allow cheaply
        deep += "/d";
        ASSERT_EQ(::mkdir(deep.c_str(), 0700), 0) << i;
    }
    std::ofstream(deep + "/f") << "x";
    ASSERT_EQ(::symlink("/", (d + "/to-root").c_str()), 0);
    store.remove("c1");
    EXPECT_NE(::access(d.c_str(), F_OK), 0);
    EXPECT_EQ(::access("/", F_OK), 0);
}

TEST(StateStore, ARootOthersCanWriteIsRefused) {
    std::string root = temp_root();
    ASSERT_EQ(::mkdir(root.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(root.c_str(), 0777), 0);
    StateStore store(root);
    std::string e = error_of([&] { store.ids(); });
    EXPECT_NE(e.find("is writable by group or others (mode 0777)"), std::string::npos) << e;
    EXPECT_NE(e.find("--root"), std::string::npos) << e;
    EXPECT_NE(error_of([&] { store.create_dir("c1"); }).find("writable by group or others"), std::string::npos);
    EXPECT_NE(::access((root + "/c1").c_str(), F_OK), 0);
}

TEST(StateStore, ConfigPartsStayOutOfStateJson) {
    StateStore store(temp_root());
    store.create_dir("c2");
    std::string big(1 << 20, 'x');
    Spec spec = parse_spec(R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"},
        "process": {"args": ["sh"], "cwd": "/", "env": ["BIG=)" +
                           big + R"("]},
        "annotations": {"k": ")" +
                           big + R"("},
        "hooks": {"prestart": [{"path": "/pre"}], "poststop": [{"path": "/post", "args": ["post", "1"]}]},
        "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}})");
    store.save_config_parts("c2", spec);
    ContainerState s;
    s.id = "c2";
    s.bundle = "/b";
    store.save(s);
    struct stat st {};
    ASSERT_EQ(::stat((store.dir("c2") + "/state.json").c_str(), &st), 0);
    EXPECT_LT(st.st_size, 4096);
    ContainerState l = store.load("c2");
    EXPECT_TRUE(l.annotations.empty());  // read only on request
    store.read_annotations(l);
    EXPECT_EQ(l.annotations.at("k"), big);
    Hooks hooks = store.hooks(l);
    EXPECT_TRUE(hooks.prestart.empty());  // run by create, not kept
    ASSERT_EQ(hooks.poststop.size(), 1u);
    EXPECT_EQ(hooks.poststop[0].path, "/post");
    EXPECT_EQ(store.process_defaults(l).at("env").at(0).get<std::string>(), "BIG=" + big);
    ASSERT_TRUE(store.seccomp(l));
    EXPECT_EQ(store.seccomp(l)->at("defaultAction"), "SCMP_ACT_ALLOW");
    store.remove("c2");
    EXPECT_NE(::access(store.dir("c2").c_str(), F_OK), 0);
}

TEST(StateStore, OldShapeWithTheWholeConfigIsStillRead) {
    StateStore store(temp_root());
    store.create_dir("old");
    std::ofstream(store.dir("old") + "/state.json") << R"({"id": "old", "phase": "created", "pid": 0,
        "pidStartTime": 0, "creatorPid": 0, "creatorStartTime": 0, "bundle": "/b", "owner": 0,
        "annotations": {"a": "b"},
        "config": {"process": {"args": ["sh"], "env": ["X=1"]},
                   "hooks": {"poststop": [{"path": "/post"}]},
                   "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}],
                             "personality": {"domain": "LINUX32"},
                             "seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}}})";
    ContainerState l = store.load("old");
    ASSERT_TRUE(l.legacy_config);
    EXPECT_EQ(l.namespaces, (std::vector<std::string>{"pid", "mount"}));
    EXPECT_EQ(l.personality, std::optional<unsigned long>(8));
    store.read_annotations(l);
    EXPECT_EQ(l.annotations.at("a"), "b");
    EXPECT_EQ(store.hooks(l).poststop.size(), 1u);
    EXPECT_EQ(store.process_defaults(l).at("env").at(0).get<std::string>(), "X=1");
    EXPECT_TRUE(store.seccomp(l));
}

TEST(StateStore, DuplicateIdIsRejected) {
    StateStore store(temp_root());
    store.create_dir("dup");
    EXPECT_NE(error_of([&] { store.create_dir("dup"); }).find("already exists"), std::string::npos);
}

TEST(StateStore, UnknownIdAndCorruptFileAreClearErrors) {
    StateStore store(temp_root());
    EXPECT_NE(error_of([&] { store.load("nope"); }).find("container \"nope\" does not exist"), std::string::npos);
    store.create_dir("bad");
    std::ofstream(store.dir("bad") + "/state.json") << "{ garbage";
    EXPECT_NE(error_of([&] { store.load("bad"); }).find("is corrupt"), std::string::npos);
}

TEST(StateStore, StatusComesFromTheProcessNotTheFile) {
    StateStore store(temp_root());
    store.create_dir("me");
    ContainerState s;
    s.id = "me";
    s.phase = "created";
    s.pid = ::getpid();
    s.pid_start_time = process_start_time(s.pid).value();
    EXPECT_EQ(store.status(s), Status::Running);  // no exec.fifo: started
    ASSERT_EQ(::mkfifo(store.fifo_path("me").c_str(), 0600), 0);
    EXPECT_EQ(store.status(s), Status::Created);
    // Same pid, different start time: a reused pid is not the container.
    s.pid_start_time += 1;
    EXPECT_EQ(store.status(s), Status::Stopped);
}

TEST(StateStore, CreatingWithDeadCreatorIsStopped) {
    StateStore store(temp_root());
    ContainerState s;
    s.id = "x";
    s.phase = "creating";
    s.creator_pid = ::getpid();
    s.creator_start_time = process_start_time(s.creator_pid).value();
    EXPECT_EQ(store.status(s), Status::Creating);
    s.creator_start_time += 1;
    EXPECT_EQ(store.status(s), Status::Stopped);
}

TEST(OciState, HasTheSpecFields) {
    ContainerState s;
    s.id = "c";
    s.pid = 5;
    s.bundle = "/b";
    Json j = oci_state_json(s, Status::Stopped);
    EXPECT_EQ(j["status"], "stopped");
    EXPECT_EQ(j["pid"], 0);
    EXPECT_EQ(j["id"], "c");
    EXPECT_TRUE(j.contains("ociVersion"));
    EXPECT_FALSE(j.contains("annotations"));
}

// libFuzzer target: the state file reader. Each input is written to
// <tmp root>/<id>/state.json and read back with box::StateStore::load, then
// turned into the OCI state document the way `box state` does.
// A box::Error is the expected answer to a corrupt file; anything else is a bug.
#include <unistd.h>

#include <sys/stat.h>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "error.hpp"
#include "state.hpp"

namespace {

const char kId[] = "fuzz";
// The private --root of this process (no destructor: the exit handler uses it).
char g_root[] = "/tmp/box-fuzz-state-XXXXXX";

void remove_root() {
    const std::string dir = std::string(g_root) + "/" + kId;
    ::unlink((dir + "/state.json").c_str());
    ::rmdir(dir.c_str());
    ::rmdir(g_root);
}

const char* state_root() {
    static const bool created = [] {
        if (::mkdtemp(g_root) == nullptr || ::mkdir((std::string(g_root) + "/" + kId).c_str(), 0700) < 0) {
            std::perror(g_root);
            std::abort();
        }
        std::atexit(remove_root);
        return true;
    }();
    (void)created;
    return g_root;
}

void write_state(const std::string& path, const uint8_t* data, size_t size) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        std::perror(path.c_str());
        std::abort();
    }
    if (size > 0 && std::fwrite(data, 1, size, f) != size) {
        std::perror(path.c_str());
        std::abort();
    }
    std::fclose(f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const box::StateStore store(state_root());
    write_state(store.dir(kId) + "/state.json", data, size);
    try {
        box::ContainerState state = store.load(kId);
        (void)box::oci_state_json(state, store.status(state)).dump();
    } catch (const box::Error&) {
    }
    return 0;
}

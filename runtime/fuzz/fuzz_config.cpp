// libFuzzer target: config.json as read by create/run (box::parse_spec).
// A box::Error is the expected answer to bad input; anything else (another
// exception, a sanitizer report, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config.hpp"
#include "error.hpp"
#include "seccomp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        box::Spec spec = box::parse_spec(text);
        // What create does next with a parsed spec, short of touching the system.
        (void)spec.linux.find_namespace("user");
        (void)box::parse_hooks(spec.raw);
        // create checks the seccomp description before anything is set up.
        if (spec.linux.seccomp) box::validate_seccomp(*spec.linux.seccomp);
    } catch (const box::Error&) {
    }
    return 0;
}

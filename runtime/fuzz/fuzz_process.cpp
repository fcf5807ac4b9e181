// libFuzzer target: a process object as given to `exec --process FILE`
// (box::parse_json, then box::parse_process through a box::JsonReader).
// A box::Error is the expected answer to bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config.hpp"
#include "error.hpp"
#include "json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const box::Json json = box::parse_json(text, "process.json");
        const box::JsonReader reader(json, "process.json");
        (void)box::parse_process(reader);
    } catch (const box::Error&) {
    }
    return 0;
}

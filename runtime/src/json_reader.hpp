// Typed, path-aware access to JSON documents: every type error names the JSON path
// ("config.json: process.args[0]: expected string, got number").
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace box {

// Objects keep their insertion order: what box prints (state, list, events, features, spec)
// comes out in runc's field order, and a config keeps its own order.
using Json = nlohmann::ordered_json;

// Parses text; syntax errors become Error("<label>: invalid JSON at line L, column C: ..."),
// and so does nesting deeper than 1000 levels (which would exhaust the stack later).
Json parse_json(const std::string& text, const std::string& label);

// Serialises j; bytes that are not UTF-8 (an id or path from a broken state file,
// an error quoting one) become U+FFFD instead of throwing mid-report.
inline std::string dump_json(const Json& j, int indent = -1) {
    return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

class JsonReader {
public:
    JsonReader(const Json& value, std::string label, std::string path = "")
        : value_(&value), label_(std::move(label)), path_(std::move(path)) {}

    const Json& raw() const { return *value_; }
    const std::string& path() const { return path_; }
    const std::string& label() const { return label_; }

    bool has(const std::string& key) const;                       // present and not null
    JsonReader at(const std::string& key) const;                  // required member
    std::optional<JsonReader> get(const std::string& key) const;  // absent or null -> nullopt

    std::string as_string() const;
    bool as_bool() const;
    int64_t as_int() const;
    uint64_t as_uint() const;
    std::vector<JsonReader> as_array() const;
    std::vector<std::pair<std::string, JsonReader>> as_object() const;
    std::vector<std::string> as_string_array() const;

    // Shorthands for optional scalar members.
    std::string string_or(const std::string& key, const std::string& fallback) const;
    bool bool_or(const std::string& key, bool fallback) const;

    [[noreturn]] void fail(const std::string& message) const;
    std::string child_path(const std::string& key) const;

private:
    void expect(bool ok, const char* type) const;
    const Json* value_;
    std::string label_;
    std::string path_;
};

const char* json_type_name(const Json& j);

}  // namespace box

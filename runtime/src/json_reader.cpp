#include "json_reader.hpp"

#include "error.hpp"

namespace box {

namespace {

// Copying, comparing and serialising a document recurse once per level of nesting, so
// a deeply nested document would overflow the stack (runc's Go decoder stops at 10000).
constexpr size_t kMaxJsonDepth = 1000;

[[noreturn]] void fail_at(const std::string& text, size_t byte, const std::string& label, const std::string& reason) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    throw Error(label + ": invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                reason);
}

// One pass over the text before parsing: brackets outside strings.
void check_depth(const std::string& text, const std::string& label) {
    size_t depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                fail_at(text, i, label, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
}

}  // namespace

Json parse_json(const std::string& text, const std::string& label) {
    check_depth(text, label);
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        // Work out line and column from the byte offset ourselves; keep the reason only.
        std::string reason = e.what();
        if (auto pos = reason.find(": "); pos != std::string::npos) reason = reason.substr(pos + 2);
        if (auto pos = reason.find("column "); pos != std::string::npos) {
            if (auto colon = reason.find(": ", pos); colon != std::string::npos) reason = reason.substr(colon + 2);
        }
        fail_at(text, e.byte > 0 ? e.byte - 1 : 0, label, reason);
    } catch (const Json::exception& e) {
        // e.g. a number too large for a double (out_of_range.406).
        std::string reason = e.what();
        if (auto pos = reason.find("] "); pos != std::string::npos) reason = reason.substr(pos + 2);
        throw Error(label + ": invalid JSON: " + reason);
    }
}

const char* json_type_name(const Json& j) {
    switch (j.type()) {
        case Json::value_t::null: return "null";
        case Json::value_t::object: return "object";
        case Json::value_t::array: return "array";
        case Json::value_t::string: return "string";
        case Json::value_t::boolean: return "boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float: return "number";
        default: return "unknown";
    }
}

void JsonReader::fail(const std::string& message) const {
    throw Error(label_ + ": " + (path_.empty() ? std::string("(top level)") : path_) + ": " + message);
}

std::string JsonReader::child_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void JsonReader::expect(bool ok, const char* type) const {
    if (!ok) fail(std::string("expected ") + type + ", got " + json_type_name(*value_));
}

bool JsonReader::has(const std::string& key) const {
    expect(value_->is_object(), "object");
    auto it = value_->find(key);
    return it != value_->end() && !it->is_null();
}

JsonReader JsonReader::at(const std::string& key) const {
    expect(value_->is_object(), "object");
    auto it = value_->find(key);
    if (it == value_->end() || it->is_null())
        JsonReader(*value_, label_, child_path(key)).fail("required field is missing");
    return JsonReader(*it, label_, child_path(key));
}

std::optional<JsonReader> JsonReader::get(const std::string& key) const {
    expect(value_->is_object(), "object");
    auto it = value_->find(key);
    if (it == value_->end() || it->is_null()) return std::nullopt;
    return JsonReader(*it, label_, child_path(key));
}

std::string JsonReader::as_string() const {
    expect(value_->is_string(), "string");
    return value_->get<std::string>();
}

bool JsonReader::as_bool() const {
    expect(value_->is_boolean(), "boolean");
    return value_->get<bool>();
}

int64_t JsonReader::as_int() const {
    if (value_->is_number_float()) fail("expected an integer, got " + value_->dump());
    expect(value_->is_number_integer(), "integer");
    if (value_->is_number_unsigned() && value_->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        fail("integer out of range");
    return value_->get<int64_t>();
}

uint64_t JsonReader::as_uint() const {
    if (value_->is_number_float()) fail("expected an integer, got " + value_->dump());
    expect(value_->is_number_integer(), "integer");
    if (!value_->is_number_unsigned() && value_->get<int64_t>() < 0) fail("must not be negative");
    return value_->get<uint64_t>();
}

std::vector<JsonReader> JsonReader::as_array() const {
    expect(value_->is_array(), "array");
    std::vector<JsonReader> out;
    out.reserve(value_->size());
    for (size_t i = 0; i < value_->size(); ++i)
        out.emplace_back((*value_)[i], label_, path_ + "[" + std::to_string(i) + "]");
    return out;
}

std::vector<std::pair<std::string, JsonReader>> JsonReader::as_object() const {
    expect(value_->is_object(), "object");
    std::vector<std::pair<std::string, JsonReader>> out;
    for (auto it = value_->begin(); it != value_->end(); ++it)
        out.emplace_back(it.key(), JsonReader(it.value(), label_, child_path(it.key())));
    return out;
}

std::vector<std::string> JsonReader::as_string_array() const {
    std::vector<std::string> out;
    for (const auto& item : as_array()) out.push_back(item.as_string());
    return out;
}

std::string JsonReader::string_or(const std::string& key, const std::string& fallback) const {
    auto v = get(key);
    return v ? v->as_string() : fallback;
}

bool JsonReader::bool_or(const std::string& key, bool fallback) const {
    auto v = get(key);
    return v ? v->as_bool() : fallback;
}

}  // namespace box

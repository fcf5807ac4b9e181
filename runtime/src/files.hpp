// Small file helpers; every fd is O_CLOEXEC.
#pragma once
#include <string>

namespace box {

std::string read_file(const std::string& path);  // throws Error naming the path
bool try_read_file(const std::string& path, std::string& out);
void write_file(const std::string& path, const std::string& content);  // O_WRONLY|O_TRUNC, no create
enum class Durability { Synced, Unsynced };
// Writes via a temporary file, then rename, so readers see the old or the new content.
// Synced also fsyncs before the rename, so the new content survives a power loss.
void write_file_atomic(const std::string& path, const std::string& content, unsigned mode = 0644,
                       Durability durability = Durability::Synced);
void mkdir_p(const std::string& path, unsigned mode = 0755);

}  // namespace box

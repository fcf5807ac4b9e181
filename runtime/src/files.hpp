// Small file helpers; every fd is O_CLOEXEC.
#pragma once
#include <sys/types.h>

#include <string>

namespace box {

std::string read_file(const std::string& path);  // throws Error naming the path
bool try_read_file(const std::string& path, std::string& out);
void write_file(const std::string& path, const std::string& content);  // O_WRONLY|O_TRUNC, no create
// Writes all of content to fd, through short writes and EINTR; false (errno set) on error.
bool write_all(int fd, const std::string& content);
enum class Durability { Synced, Unsynced };
// Writes via a temporary file, then rename, so readers see the old or the new content.
// Synced also fsyncs before the rename, so the new content survives a power loss.
void write_file_atomic(const std::string& path, const std::string& content, unsigned mode = 0644,
                       Durability durability = Durability::Synced);

// Writes PID to the --pid-file PATH (relative to the cwd) atomically, as runc does;
// errors name the flag and the path the user gave.
void write_pid_file(const std::string& path, pid_t pid);
// Fails early, before anything is started, when PATH's directory does not exist.
void check_pid_file(const std::string& path);
void mkdir_p(const std::string& path, unsigned mode = 0755);

}  // namespace box

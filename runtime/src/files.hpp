// Small file helpers; every fd is O_CLOEXEC.
#pragma once
#include <sys/types.h>

#include <string>

namespace box {

std::string read_file(const std::string& path);  // throws Error naming the path
bool try_read_file(const std::string& path, std::string& out);
// name relative to dir_fd, never through a symlink (ELOOP).
bool try_read_file_at(int dir_fd, const std::string& name, std::string& out);
void write_file(const std::string& path, const std::string& content);  // O_WRONLY|O_TRUNC, no create
// Writes all of content to fd, through short writes and EINTR; false (errno set) on error.
bool write_all(int fd, const std::string& content);
enum class Durability { Synced, Unsynced };
enum class Replace { Yes, No };
// Writes via a temporary file, then rename, so readers see the old or the new content.
// Synced also fsyncs before the rename, so the new content survives a power loss.
// The temporary file gets an unpredictable name in the target's directory and is
// created with O_EXCL|O_NOFOLLOW: a symlink planted there is never followed. With
// Replace::No an existing entry at name (even a dangling symlink) is an EEXIST error.
// Errors name label (default: name).
void write_file_atomic_at(int dir_fd, const std::string& name, const std::string& content, unsigned mode,
                          Durability durability, Replace replace = Replace::Yes, const std::string& label = "");
// The same for a path.
void write_file_atomic(const std::string& path, const std::string& content, unsigned mode = 0644,
                       Durability durability = Durability::Synced, Replace replace = Replace::Yes);

// Writes PID to the --pid-file PATH (relative to the cwd) atomically, as runc does;
// errors name the flag and the path the user gave.
void write_pid_file(const std::string& path, pid_t pid);
// Fails early, before anything is started, when PATH's directory does not exist.
void check_pid_file(const std::string& path);
void mkdir_p(const std::string& path, unsigned mode = 0755);

}  // namespace box

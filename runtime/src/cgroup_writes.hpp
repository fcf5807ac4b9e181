// A list of cgroup file writes, done in order, all or nothing: before each write the file's
// current value is read, and when a write fails the ones already done are put back.
#pragma once
#include <string>
#include <vector>

namespace box {

struct CgroupWrite {
    std::string dir, file, value;
    std::string field;  // the linux.resources field it comes from ("memory.limit"), for errors
    // The kernel may refuse this write (EINVAL) until the next one is done (a cfs period lowered
    // under a quota): then the next one goes first and this one is tried again.
    bool retry_after_next = false;
    // For files that hold one line per device or interface (value "KEY ..."): what removes our
    // line again when there was none before. Empty: the file holds a single value.
    std::string unset_line;

    std::string path() const { return dir + "/" + file; }
};
using CgroupWrites = std::vector<CgroupWrite>;

// Does the writes in order. With undo_on_failure the old values are read first and put back
// (newest first) when a write fails. Throws naming the field, the value and the file.
void write_cgroup_files(const CgroupWrites& writes, bool undo_on_failure);

}  // namespace box

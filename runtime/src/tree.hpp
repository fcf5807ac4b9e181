// Directory trees copied or removed without recursion: the depth of a tree comes from
// input (an image's directory under a tmpcopyup mount, a stray tree in a state directory),
// so neither the stack nor the fd table may bound it. Both walk with two directories open
// at most and climb back through "..", checked to be the directory that was left.
// Symlinks are never followed; everything is relative to directory fds.
#pragma once
#include <string>

namespace box {

// Copies the contents of directory `from` into directory `to`: directories, regular files
// and symlinks, with their modes and owners (device nodes, fifos and sockets are skipped).
// Errors name `what` and the entry.
void copy_tree(int from, int to, const std::string& what);

// Removes everything inside directory `dir` (not `dir` itself). Errors name `what`.
void remove_tree_contents(int dir, const std::string& what);

}  // namespace box

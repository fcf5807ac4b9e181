// What this box is: its release, the git commit it was built from, and the runtime spec
// version it implements (state, features, spec and --version all print the same one).
#pragma once

namespace box {

inline constexpr const char* kBoxVersion = BOX_VERSION;
inline constexpr const char* kOciVersion = "1.2.0";
// Generated at build time (cmake/commit.cmake): HEAD's sha, "-dirty" with local changes,
// $BOX_COMMIT when set (a build outside git), else "unknown".
extern const char* const kBoxCommit;

}  // namespace box

// Keeps the container away from the runtime's own binary (CVE-2019-5736): processes
// that enter a container run box from a read-only view of its executable, so that
// reopening /proc/PID/exe for writing from inside fails.
#pragma once

namespace box {

// Re-executes box from a read-only, detached bind mount of itself (or, without the
// privilege for that, from a sealed memfd copy when the binary is writable by us).
// Returns normally when already protected; otherwise does not return.
void ensure_readonly_self(char** argv);

}  // namespace box

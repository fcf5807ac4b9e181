// Keeps the container away from the runtime's own binary (CVE-2019-5736): processes
// that enter a container run box from a read-only view of its executable, so that
// reopening /proc/PID/exe for writing from inside fails.
#pragma once

#include <string>

namespace box {

// Re-executes box from a read-only, detached bind mount of itself (or, without the
// privilege for that, from a sealed memfd copy when the binary is writable by us).
// Returns normally when already protected; otherwise does not return.
void ensure_readonly_self(char** argv);

// The re-executed copy learns where box was started from in the environment; this takes it
// from there (first thing in main) so that no child of box (hooks without their own env,
// helpers) inherits box's internal variable.
void take_started_exe_from_env();

// The path box was started from (the installed binary, not the read-only copy it re-executed),
// or "" when unknown: its helpers are found beside it.
std::string started_exe();

}  // namespace box

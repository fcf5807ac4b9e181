// Talking to systemd through box-systemd (runtime/tools/box-systemd.cpp), the small dynamically
// linked helper that holds the sd-bus calls, so that box stays a static binary. box finds it
// in $BOX_SYSTEMD_BRIDGE, else beside its own binary, else in PATH.
#pragma once
#include <string>
#include <vector>

#include "systemd_unit.hpp"

namespace box {

class SystemdBridge {
public:
    // user: the calling user's systemd (session bus), for rootless containers.
    explicit SystemdBridge(bool user) : user_(user) {}

    // StartTransientUnit and wait for its job; returns the unit's ControlGroup.
    std::string start(const std::string& unit, const std::vector<UnitProperty>& props) const;
    // SetUnitProperties, runtime only.
    void set(const std::string& unit, const std::vector<UnitProperty>& props) const;
    // StopUnit and wait until the unit is gone (no error when there is no such unit).
    void stop(const std::string& unit) const;

    // The helper's path; throws naming where it looked.
    static std::string helper_path();

private:
    // Runs the helper; returns its stdout; throws with its one-line error.
    std::string run(const std::string& op, const std::string& unit, const std::string& input) const;
    bool user_;
};

}  // namespace box

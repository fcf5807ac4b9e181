// runc update's flags (--memory 64m, --cpu-quota ...) as linux.resources, read as runc reads them.
#pragma once
#include <cstdint>
#include <string>

#include <boost/program_options/variables_map.hpp>

#include "config.hpp"

namespace box {

// A size as runc reads it (go-units RAMInBytes): "100", "64k", "1.5g", "512 MiB", "2TB";
// -1 stays unlimited. A UsageError names flag.
int64_t parse_bytes(const std::string& flag, const std::string& text);

// Copies the update flags given in vm into r. As in runc, 0 means "leave it as it is".
void resources_from_flags(const boost::program_options::variables_map& vm, Resources& r);

}  // namespace box

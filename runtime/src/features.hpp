// `box features`: what this build and this host support, in the runtime-spec features format.
#pragma once
#include "json_reader.hpp"

namespace box {

Json features_json();

}  // namespace box

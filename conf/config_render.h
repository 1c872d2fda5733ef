#pragma once

#include <string>

#include "conf/config.h"

namespace dplb::conf {

// The configuration in effect, as TOML with every default spelled out, for
// `show config`: what the operator sees is what the appliance runs.
std::string render_config(const Config& config);

}  // namespace dplb::conf

#pragma once

// Compiles every [[frontend]]'s and [[backend]]'s HTTP rules into the
// config (HttpRulesConfig::compiled), reporting each mistake at its place.

#include "conf/config.h"
#include "conf/diagnostics.h"

namespace dplb::conf {

void compile_http_rules(Config& config, Diagnostics& d);

}  // namespace dplb::conf

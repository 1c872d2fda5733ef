#pragma once

#include <string>
#include <vector>

#include "conf/config.h"

namespace dplb::dataplane {

// EAL's argv as derived from the configuration, then `eal_args` from the
// file, then options given before `--` on the command line. A later source
// that sets an option of a kind (cores, memory, devices, ...) replaces what
// earlier sources said of that kind, so an operator can override one thing
// without restating the rest.
std::vector<std::string> build_eal_arguments(const std::string& program, const conf::Config& config,
                                             const std::vector<std::string>& command_line);

}  // namespace dplb::dataplane

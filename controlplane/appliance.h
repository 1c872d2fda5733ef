#pragma once

#include <string>
#include <vector>

#include "conf/config.h"

namespace dplb::controlplane {

struct BootOptions {
  std::string program;
  bool interactive = false;
  std::vector<std::string> eal_overrides;  // from before "--" on the command line
};

// Boots the appliance from a validated configuration and runs it until a
// signal or `quit`: EAL, mbuf pools, ports, workers on their lcores, control
// socket, console. Every failure on the way is one log line saying what and
// what to do, and a non-zero return; a clean stop returns 0.
int run_appliance(const conf::Config& config, const BootOptions& options);

}  // namespace dplb::controlplane

#pragma once

#include <string>
#include <vector>

#include "conf/config.h"

namespace dplb::dataplane {

// Problems DPDK would report only as a wall of EAL messages, caught up front
// and said in one line: lcores this process may not run on, hugepages asked
// for but not reserved. `eal_argv` is what build_eal_arguments produced, so
// command-line overrides are honoured. Returns an empty string when fine.
std::string check_eal_preconditions(const conf::Config& config, const std::vector<std::string>& eal_argv);

// rte_eal_init with a one-line error; the argv strings must outlive EAL.
bool init_eal(std::vector<std::string>& eal_argv, std::string* error);
void cleanup_eal();

}  // namespace dplb::dataplane

#pragma once

#include <string>

#include "controlplane/appliance_state.h"

namespace dplb::controlplane {

// The text of `show ports` and `show lcores`. Each line is "key value" pairs
// separated by two spaces so both people and scripts can read it.
std::string report_ports(const ApplianceState& state);
std::string report_lcores(const ApplianceState& state);

}  // namespace dplb::controlplane

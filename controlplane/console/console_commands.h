#pragma once

#include "controlplane/appliance_state.h"
#include "controlplane/console/command_registry.h"

namespace dplb::controlplane {

// help, show config, show ports, show lcores, quit.
void register_console_commands(CommandRegistry& registry, const ApplianceState& state);

// help alone, for registries used without a running appliance (tests).
void register_help_command(CommandRegistry& registry);

}  // namespace dplb::controlplane

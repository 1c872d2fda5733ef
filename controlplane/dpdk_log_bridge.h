#pragma once

namespace dplb::controlplane {

// Sends DPDK's own log messages (EAL, drivers) through dplb's logger, tagged
// "dpdk:", with DPDK's level mapped to ours, so an operator reads one log in
// one format. Call before EAL initialisation.
void route_dpdk_log_to_logger();

}  // namespace dplb::controlplane

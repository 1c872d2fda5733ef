#pragma once

// The hardware tier of flow ownership: rte_flow rules that make the NIC
// deliver each worker's own flows to that worker's queue, so the redirect
// rings stay idle. Owners are id % workers, which a rule can express as a
// mask on the low bits only when the worker count is a power of two. Today
// the rules cover ICMP echo replies (the appliance's ping); TCP port ranges
// join them with TCP. Devices without rte_flow (net_af_packet, many vdevs)
// keep the software tier.

#include <cstdint>
#include <string>

namespace dplb::dataplane {

struct SteeringTier {
  std::string tier;    // "single worker", "rte_flow", "software redirect"
  std::string detail;  // why the software tier, when it is used
};

SteeringTier install_flow_steering(uint16_t ethdev, uint32_t port_ipv4, uint16_t workers);

}  // namespace dplb::dataplane

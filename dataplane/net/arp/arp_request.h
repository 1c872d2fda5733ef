#pragma once

#include <cstdint>
#include <optional>

#include "dataplane/port/port_identity.h"

struct rte_mbuf;
struct rte_mempool;

namespace dplb::dataplane {

// An ARP request from the port's address for `target`: broadcast to resolve,
// or unicast to the known MAC to confirm a stale entry (as Linux does).
// Returns null when the pool is empty.
rte_mbuf* build_arp_request(rte_mempool* pool, const PortIdentity& port, uint32_t target,
                            const std::optional<MacAddress>& unicast_to);

}  // namespace dplb::dataplane

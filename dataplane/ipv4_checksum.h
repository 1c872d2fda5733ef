#pragma once

#include "dataplane/port_identity.h"

struct rte_mbuf;
struct rte_ipv4_hdr;

namespace dplb::dataplane {

// Completes the header checksum of an IPv4 header dplb wrote into `frame`
// (right after a 14-byte Ethernet header): asks the NIC to fill it when the
// port offers IPv4 checksum offload, computes it otherwise.
void finish_ipv4_checksum(rte_mbuf* frame, rte_ipv4_hdr* ip, const PortIdentity& port);

}  // namespace dplb::dataplane

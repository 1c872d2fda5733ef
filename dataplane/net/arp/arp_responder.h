#pragma once

#include "dataplane/net/packet_verdict.h"
#include "dataplane/port/port_identity.h"
#include "dataplane/net/ipv4/virtual_address_table.h"

struct rte_mbuf;

namespace dplb::dataplane {

// What an ARP packet told us about its sender, for the neighbour table
// (owned by the control plane, which decides what to learn from it).
struct NeighbourObservation {
  bool valid = false;
  bool addressed_to_us = false;     // request for our address, or reply to it
  bool claims_our_address = false;  // sender uses our address with another MAC (RFC 5227 conflict)
  bool virtual_address = false;     // ... and that address is one of our owned VIPs (a VRRP takeover)
  uint32_t ipv4 = 0;                // host order
  MacAddress mac{};
};

// RFC 826 for our own addresses: a request for the port's address, or for a
// virtual address the port owns now (answered with that address's MAC), is
// turned into the reply in place; replies and announcements are consumed
// once their sender is reported in `seen`. Probes (sender address 0.0.0.0)
// teach nothing. Requests for a VIP we do not own are left to its owner.
PacketVerdict answer_arp(rte_mbuf* frame, const PortIdentity& port, const VirtualAddressTable& vips,
                         NeighbourObservation* seen);

}  // namespace dplb::dataplane

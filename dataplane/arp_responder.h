#pragma once

#include "dataplane/packet_verdict.h"
#include "dataplane/port_identity.h"

struct rte_mbuf;

namespace dplb::dataplane {

// What an ARP packet told us about its sender, for the neighbour table
// (owned by the control plane, which decides what to learn from it).
struct NeighbourObservation {
  bool valid = false;
  bool addressed_to_us = false;     // request for our address, or reply to it
  bool claims_our_address = false;  // sender uses our address with another MAC (RFC 5227 conflict)
  uint32_t ipv4 = 0;                // host order
  MacAddress mac{};
};

// RFC 826 for our own addresses: a request for the port's address is turned
// into the reply in place; replies and announcements are consumed once their
// sender is reported in `seen`. Probes (sender address 0.0.0.0) teach nothing.
PacketVerdict answer_arp(rte_mbuf* frame, const PortIdentity& port, NeighbourObservation* seen);

}  // namespace dplb::dataplane

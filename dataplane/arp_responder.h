#pragma once

#include "dataplane/packet_verdict.h"
#include "dataplane/port_identity.h"

struct rte_mbuf;

namespace dplb::dataplane {

// RFC 826 for our own addresses: a request for the port's address is turned
// into the reply in place. Learning neighbours from ARP traffic belongs to
// the neighbour table, which sees these frames before they are dropped.
PacketVerdict answer_arp(rte_mbuf* frame, const PortIdentity& port);

}  // namespace dplb::dataplane

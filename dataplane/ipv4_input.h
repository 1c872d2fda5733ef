#pragma once

#include "dataplane/packet_verdict.h"
#include "dataplane/port_identity.h"

struct rte_mbuf;

namespace dplb::dataplane {

// Validates an IPv4 packet addressed to this host as RFC 1122 asks of a host
// (version, header length, total length against the frame, header checksum),
// drops fragments (no reassembly) and packets for other hosts, and hands the
// payload to the protocol handler. Options are accepted and ignored.
PacketVerdict ipv4_input(rte_mbuf* frame, const PortIdentity& port);

}  // namespace dplb::dataplane

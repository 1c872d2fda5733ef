#pragma once

#include "dataplane/net/packet_verdict.h"
#include "dataplane/port/port_identity.h"
#include "dataplane/net/ipv4/virtual_address_table.h"

struct rte_mbuf;

namespace dplb::dataplane {

// Validates an IPv4 packet addressed to this host as RFC 1122 asks of a host
// (version, header length, total length against the frame, header checksum),
// drops fragments (no reassembly) and packets for other hosts, and hands the
// payload to the protocol handler. Options are accepted and ignored.
//
// Ours means the port's address or a virtual address the port owns now (the
// answers then come from that address). On a VRRP port, protocol 112 to
// 224.0.0.18 or to the port's address is handed to the control plane
// unchecked beyond the IP header: its codec validates the rest (TTL 255
// included) and counts what it refuses.
PacketVerdict ipv4_input(rte_mbuf* frame, const PortIdentity& port, const VirtualAddressTable& vips);

}  // namespace dplb::dataplane

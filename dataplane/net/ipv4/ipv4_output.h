#pragma once

// Headers of the IPv4 packets dplb itself writes (ICMP answers, errors and
// its own pings), in one place so they all leave the same way.

#include <cstdint>

#include "dataplane/port/port_identity.h"

struct rte_mbuf;
struct rte_ipv4_hdr;
struct rte_icmp_hdr;

namespace dplb::dataplane {

// Completes the header checksum of an IPv4 header dplb wrote into `frame`
// (right after a 14-byte Ethernet header): asks the NIC to fill it when the
// port offers IPv4 checksum offload, computes it otherwise.
void finish_ipv4_checksum(rte_mbuf* frame, rte_ipv4_hdr* ip, const PortIdentity& port);

// Appends Ethernet and IPv4 headers for an ICMP message of `icmp_length`
// bytes from the port's address to `destination` (host order), TTL 64, to
// `destination_mac` (null: left zero for the neighbour cache to fill), and
// returns where the ICMP message goes. Null if the mbuf has no room.
rte_icmp_hdr* append_icmp_headers(rte_mbuf* frame, const PortIdentity& port, uint32_t destination,
                                  const uint8_t* destination_mac, uint16_t icmp_length, uint16_t packet_id,
                                  bool dont_fragment);

}  // namespace dplb::dataplane

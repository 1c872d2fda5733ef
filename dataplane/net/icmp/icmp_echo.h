#pragma once

#include <cstdint>

#include "dataplane/net/packet_verdict.h"
#include "dataplane/port/port_identity.h"

struct rte_mbuf;

namespace dplb::dataplane {

// ICMP addressed to us (RFC 792): an echo request of any size that fits the
// frame becomes its echo reply in place; an echo reply is delivered to the
// worker whose ping it answers; every other type is counted.
// `ip_header_length` includes options; the IPv4 layer has validated it.
// The reply comes from `local` (the address the request was for: the
// port's, or an owned VIP) and leaves from `local_mac`.
PacketVerdict answer_icmp(rte_mbuf* frame, const PortIdentity& port, uint32_t ip_header_length, uint32_t local,
                          const MacAddress& local_mac);

}  // namespace dplb::dataplane

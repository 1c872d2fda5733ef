#pragma once

#include <cstdint>

#include "dataplane/port/port_identity.h"

struct rte_mbuf;
struct rte_mempool;

namespace dplb::dataplane {

// Where dplb's own echo requests keep their send time: the first 8 bytes of
// the ICMP data, as ping(8) does, so the worker that receives the reply can
// measure the round trip without asking anyone.
inline constexpr uint16_t kEchoTimestampBytes = 8;

// The destination MAC is left zero: the worker fills it from its neighbour
// cache when it sends the frame (or after resolving the next hop).
struct EchoRequest {
  uint32_t destination = 0;  // host order
  uint16_t id = 0;
  uint16_t sequence = 0;
  uint16_t data_bytes = 56;  // >= kEchoTimestampBytes
  uint64_t sent_tsc = 0;
};

// An ICMP echo request from the port's address; null when the pool is empty.
rte_mbuf* build_echo_request(rte_mempool* pool, const PortIdentity& port, const EchoRequest& request);

// The parts of an echo reply to us that dplb's ping needs; the IPv4 layer has
// validated the packet and the ICMP checksum.
struct EchoReply {
  uint32_t source = 0;
  uint16_t id = 0;
  uint16_t sequence = 0;
  uint16_t icmp_bytes = 0;
  uint8_t ttl = 0;
  uint64_t sent_tsc = 0;  // 0 when the data is too short to hold it
};

EchoReply read_echo_reply(const rte_mbuf* frame);

}  // namespace dplb::dataplane

#pragma once

// ICMP errors a host sends (RFC 1122 3.2.2): destination unreachable for a
// UDP port nobody listens on. dplb never forwards, so it never sends time
// exceeded. Errors are rate-limited per worker by a token bucket, as Linux
// limits them globally (icmp_msgs_per_sec 1000, burst 50), so a UDP flood
// cannot turn dplb into an ICMP amplifier.

#include <cstdint>

#include "dataplane/port/port_identity.h"

struct rte_mbuf;
struct rte_mempool;

namespace dplb::dataplane {

class IcmpRateLimiter {
 public:
  static constexpr uint32_t kPerSecond = 1000;
  static constexpr uint32_t kBurst = 50;

  // `tsc_hz` of 0 (tests) uses 1 tick per nanosecond.
  explicit IcmpRateLimiter(uint64_t tsc_hz = 0);
  bool allow(uint64_t now_tsc);

 private:
  uint64_t ticks_per_token_;
  uint64_t last_tsc_ = 0;
  uint32_t tokens_ = kBurst;
};

// Type 3 code 3 for `offending` (a validated IPv4 frame to our address):
// its IP header and the first 8 bytes of its payload, from the port's
// address back to the sender's MAC. Null when the pool is empty.
rte_mbuf* build_port_unreachable(rte_mempool* pool, const PortIdentity& port, const rte_mbuf* offending);

}  // namespace dplb::dataplane

#pragma once

#include <cstdint>

struct rte_mbuf;

namespace dplb::dataplane {

// A worker's view of its queues: one RX/TX queue pair on each port, addressed
// by the port's index in the configuration. The DPDK implementation calls the
// ethdev burst functions; the simulation moves mbufs over in-memory links on a
// virtual clock. One virtual call per burst, never per packet.
class PacketIo {
 public:
  virtual ~PacketIo() = default;
  virtual uint16_t rx_burst(uint16_t port, rte_mbuf** mbufs, uint16_t capacity) = 0;
  // Takes ownership of the mbufs it accepted (the first N); the caller keeps the rest.
  virtual uint16_t tx_burst(uint16_t port, rte_mbuf** mbufs, uint16_t count) = 0;
};

}  // namespace dplb::dataplane

#pragma once

#include <vector>

#include "dataplane/port/packet_io.h"

namespace dplb::dataplane {

class EthdevPacketIo final : public PacketIo {
 public:
  // ethdev_ports[i] is the DPDK port id of configuration port i.
  EthdevPacketIo(std::vector<uint16_t> ethdev_ports, uint16_t queue)
      : ethdev_ports_(std::move(ethdev_ports)), queue_(queue) {}

  uint16_t rx_burst(uint16_t port, rte_mbuf** mbufs, uint16_t capacity) override;
  uint16_t tx_burst(uint16_t port, rte_mbuf** mbufs, uint16_t count) override;

 private:
  std::vector<uint16_t> ethdev_ports_;
  uint16_t queue_;
};

}  // namespace dplb::dataplane

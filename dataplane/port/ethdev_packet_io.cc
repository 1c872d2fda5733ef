#include "dataplane/port/ethdev_packet_io.h"

#include <rte_ethdev.h>

namespace dplb::dataplane {

uint16_t EthdevPacketIo::rx_burst(uint16_t port, rte_mbuf** mbufs, uint16_t capacity) {
  return rte_eth_rx_burst(ethdev_ports_[port], queue_, mbufs, capacity);
}

uint16_t EthdevPacketIo::tx_burst(uint16_t port, rte_mbuf** mbufs, uint16_t count) {
  return rte_eth_tx_burst(ethdev_ports_[port], queue_, mbufs, count);
}

}  // namespace dplb::dataplane

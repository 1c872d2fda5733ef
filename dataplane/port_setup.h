#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conf/config.h"
#include "dataplane/ethernet_classifier.h"
#include "dataplane/mbuf_pool_sizing.h"
#include "dataplane/port_identity.h"

struct rte_mempool;

namespace dplb::dataplane {

// What the appliance made of one configured port: the device behind it and
// which of its capabilities are in use (reported by `show ports`).
struct PortRuntime {
  uint16_t index = 0;   // position in the configuration
  uint16_t ethdev = 0;  // DPDK port id
  conf::PortConfig config;
  MacAddress mac{};
  std::string driver;
  uint16_t queues = 0;
  uint32_t rx_descriptors = 0;
  uint32_t tx_descriptors = 0;
  std::string spreading;  // how flows reach workers: "rss", "device fanout", "single queue"
  std::string capabilities;  // what the device offers, for the boot log
  std::string steering;      // how flows dplb opens reach their owner: rte_flow, software redirect, ...
  bool rx_ipv4_checksum = false;
  bool rx_tcp_checksum = false;
  bool tx_ipv4_checksum = false;
  bool tx_tcp_checksum = false;
  bool tx_multi_segment = false;
  bool started = false;
};

struct PortSetup {
  std::vector<PortRuntime> ports;
  std::vector<rte_mempool*> pools;  // one per worker, in worker order
  std::vector<std::string> notes;   // what the devices support and what was chosen, for the log
  std::string error;                // one line saying what failed and what to do
};

// Creates the per-worker mbuf pools, then configures and starts every port
// with one RX/TX queue pair per worker.
PortSetup setup_ports(const conf::Config& config);

void stop_ports(PortSetup& setup);

std::string format_mac(const MacAddress& mac);

// What a worker (or the control plane, building frames) needs of a port.
PortIdentity identity_of(const PortRuntime& port);

}  // namespace dplb::dataplane

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conf/config.h"
#include "dataplane/net/ethernet_classifier.h"
#include "dataplane/port/mbuf_pool_sizing.h"
#include "dataplane/port/port_identity.h"

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
  std::vector<MacAddress> kernel_multicast;  // groups joined on the kernel interface, left at stop
};

struct PortSetup {
  std::vector<PortRuntime> ports;
  std::vector<rte_mempool*> pools;  // one per worker, in worker order
  std::vector<std::string> notes;   // what the devices support and what was chosen, for the log
  std::vector<std::string> warnings;  // what works but not as an operator would expect, for the log
  std::string error;                // one line saying what failed and what to do
};

// Creates the per-worker mbuf pools, then configures and starts every port
// with one RX/TX queue pair per worker.
PortSetup setup_ports(const conf::Config& config);

// Stops and closes every port and frees the pools. Returns warnings for the
// log, e.g. an XDP program a net_af_xdp port left on its interface.
std::vector<std::string> stop_ports(PortSetup& setup);

std::string format_mac(const MacAddress& mac);

// What a worker (or the control plane, building frames) needs of a port.
PortIdentity identity_of(const PortRuntime& port);

// VRRP with use_vmac: makes the started device accept frames for `mac` (the
// virtual router MAC) besides its own, with rte_eth_dev_mac_addr_add.
// Returns "" or one error line naming the port, the MAC and `instance` (the
// [[vrrp]] name), e.g. "port 'front' (net_af_packet0): cannot add the virtual
// MAC 00:00:5e:00:01:65 for [[vrrp]] VI_1: Operation not supported; set
// use_vmac = false". net_af_packet has no such operation (one MAC only).
// The workers' software filter must accept the MAC too (accept_virtual_mac,
// dataplane/net/vrrp_link.h).
std::string add_virtual_mac(const PortRuntime& port, const MacAddress& mac, const std::string& instance);

// Makes the started device deliver frames for the multicast `group` (VRRP's
// 01:00:5e:00:00:12): through its multicast address filter when it has one
// (this replaces the device's list: VRRP's group is the only one dplb joins),
// else by turning all-multicast on. `assured` is false when the device does
// neither; net_af_packet is such a device, and needs neither: its packet
// socket gets every frame its kernel interface receives (a veth filters
// nothing; a NIC under a kernel driver may need `ip link set DEV allmulticast on`).
struct MulticastJoin {
  bool assured = false;
  std::string note;  // what was done, for the log
};
MulticastJoin join_multicast(PortRuntime& port, const MacAddress& group);

}  // namespace dplb::dataplane

#include "dataplane/port/port_setup.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "conf/vdev_arguments.h"
#include "dataplane/port/flow_steering.h"
#include "dataplane/port/kernel_multicast.h"
#include "dataplane/port/mbuf_pools.h"
#include "dataplane/port/xdp_attachment.h"

#include <rte_flow.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstdio>

namespace dplb::dataplane {
namespace {

std::string port_label(const conf::PortConfig& p) { return "port '" + p.name + "' (" + p.device.text + ")"; }

bool is_af_xdp(const conf::PortConfig& p) { return conf::vdev_driver(p.device) == "net_af_xdp"; }

// DPDK 22.11's net_af_xdp fills each queue's fill ring with this many mbufs
// from the queue's pool when the queue is set up (ETH_AF_XDP_DFLT_NUM_DESCS),
// on top of what its RX ring holds.
constexpr uint32_t kAfXdpFillRing = 2048;

bool create_pools(const conf::Config& config, PortSetup& setup) {
  uint32_t rx = 0;
  uint32_t tx = 0;
  bool af_xdp = false;
  for (const auto& p : config.ports) {
    rx = std::max(rx, p.rx_descriptors + (is_af_xdp(p) ? kAfXdpFillRing : 0));
    tx = std::max(tx, p.tx_descriptors);
    af_xdp = af_xdp || is_af_xdp(p);
  }
  bool pci = false;
  for (const auto& p : config.ports) pci = pci || p.device.kind == conf::DeviceName::Kind::pci;
  if (af_xdp && pci && rte_eal_iova_mode() == RTE_IOVA_PA) {
    // The packed pool net_af_xdp needs (create_mbuf_pool) may put an mbuf across
    // two pages that are not contiguous in physical memory, which a NIC's DMA
    // would get wrong; with an IOMMU (IOVA = VA) any virtual range is fine.
    setup.error = "net_af_xdp and PCI ports share each worker's mbuf pool, which net_af_xdp needs packed across "
                  "page boundaries; run EAL with IOVA as VA (vfio-pci with an IOMMU, eal_args = [\"--iova-mode=va\"]) "
                  "or do not mix net_af_xdp with PCI ports";
    return false;
  }
  const auto& workers = config.dataplane.workers;
  MbufPoolPlan plan = plan_mbuf_pools(config.dataplane.memory_mb, static_cast<uint32_t>(workers.size()),
                                      static_cast<uint32_t>(config.ports.size()), rx, tx);
  if (!plan.error.empty()) {
    setup.error = plan.error;
    return false;
  }
  for (std::size_t w = 0; w < workers.size(); ++w) {
    std::string name = "mbufs_w" + std::to_string(w);
    rte_mempool* pool = create_mbuf_pool(name, plan, static_cast<int>(rte_lcore_to_socket_id(workers[w])), af_xdp);
    if (pool == nullptr) {
      setup.error = "cannot allocate " + std::to_string(plan.mbufs_per_worker) + " mbufs for worker " +
                    std::to_string(w) + ": " + rte_strerror(rte_errno) + "; raise dataplane.memory_mb";
      return false;
    }
    setup.pools.push_back(pool);
    if (af_xdp) {
      if (std::string e = check_af_xdp_umem_layout(pool); !e.empty()) {
        setup.error = "the mbuf pool of worker " + std::to_string(w) + " " + e;
        return false;
      }
    }
  }
  setup.notes.push_back("mbuf pools: " + std::to_string(workers.size()) + " x " +
                        std::to_string(plan.mbufs_per_worker) + " mbufs of " + std::to_string(plan.data_room) +
                        " bytes");
  return true;
}

bool find_device(const conf::PortConfig& p, uint16_t* ethdev, std::string* error) {
  if (rte_eth_dev_get_port_by_name(p.device.name.c_str(), ethdev) == 0) return true;
  if (p.device.kind == conf::DeviceName::Kind::pci) {
    *error = port_label(p) + ": no DPDK port for PCI device " + p.device.name +
             "; bind it to vfio-pci (dpdk-devbind.py -b vfio-pci " + p.device.name + ") and check that a driver supports it";
  } else if (is_af_xdp(p)) {
    *error = port_label(p) + ": virtual device " + p.device.name +
             " did not start; see the net_af_xdp lines above (does interface '" + conf::vdev_interface(p.device) +
             "' exist, and does it have queues start_queue..start_queue+queue_count-1?)";
  } else {
    *error = port_label(p) + ": virtual device " + p.device.name +
             " did not start; check its arguments (for net_af_packet: does the interface exist and is it up?)";
  }
  return false;
}

std::string describe_capabilities(const rte_eth_dev_info& info) {
  return "device offers " + std::to_string(std::min(info.max_rx_queues, info.max_tx_queues)) + " queue pair(s), RSS " +
         (info.flow_type_rss_offloads ? "yes" : "no") + ", rx checksum " +
         ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) ? "yes" : "no") + ", tx checksum " +
         ((info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) ? "yes" : "no") + ", mtu " +
         std::to_string(info.min_mtu) + ".." + std::to_string(info.max_mtu);
}

// How flows spread over the queues, and the checksum and multi-segment
// offloads the device has, all of which the workers use when offered.
rte_eth_conf device_configuration(const rte_eth_dev_info& info, uint16_t queues, PortRuntime& rt) {
  rte_eth_conf conf{};
  const uint64_t wanted_rss = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
  if (queues > 1 && (info.flow_type_rss_offloads & wanted_rss) != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & wanted_rss;
    rt.spreading = "rss";
  } else if (queues > 1) {
    // net_af_packet spreads flows itself with a kernel fanout group.
    rt.spreading = "device fanout (no RSS)";
  } else {
    rt.spreading = "single queue";
  }
  rt.rx_ipv4_checksum = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
  rt.rx_tcp_checksum = info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
  rt.tx_ipv4_checksum = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
  rt.tx_tcp_checksum = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
  // TCP sends payload as indirect segments chained after the headers.
  rt.tx_multi_segment = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  conf.rxmode.offloads = (rt.rx_ipv4_checksum ? RTE_ETH_RX_OFFLOAD_IPV4_CKSUM : 0) |
                         (rt.rx_tcp_checksum ? RTE_ETH_RX_OFFLOAD_TCP_CKSUM : 0);
  conf.txmode.offloads = (rt.tx_ipv4_checksum ? RTE_ETH_TX_OFFLOAD_IPV4_CKSUM : 0) |
                         (rt.tx_tcp_checksum ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : 0) |
                         (rt.tx_multi_segment ? RTE_ETH_TX_OFFLOAD_MULTI_SEGS : 0);
  return conf;
}

std::string set_port_mtu(const PortRuntime& rt, const rte_eth_dev_info& info) {
  const conf::PortConfig& p = rt.config;
  const int rc = rte_eth_dev_set_mtu(rt.ethdev, static_cast<uint16_t>(p.mtu));
  if (rc == 0) return "";
  uint16_t current = 0;
  // A device that cannot change its MTU is fine if it already has ours.
  if (rte_eth_dev_get_mtu(rt.ethdev, &current) == 0 && current == p.mtu) return "";
  return port_label(p) + ": cannot set mtu " + std::to_string(p.mtu) + ": " + rte_strerror(-rc) +
         " (device mtu range " + std::to_string(info.min_mtu) + ".." + std::to_string(info.max_mtu) + ")";
}

// Why an AF_XDP socket could not be made, as far as the kernel tells.
std::string af_xdp_socket_advice(const conf::PortConfig& p) {
  const std::string iface = conf::vdev_interface(p.device);
  const XdpAttachment xdp = query_xdp_attachment(iface);
  if (xdp.queried && xdp.program_id != 0) {
    return "; interface '" + iface + "' has " + describe(xdp) +
           " that net_af_xdp cannot share (another program, or one a killed dplb left behind): "
           "remove it with 'ip link set dev " + iface + " xdp off' if nothing else needs it";
  }
  return "; see the net_af_xdp lines above: the kernel needs AF_XDP sockets (CONFIG_XDP_SOCKETS) and "
         "dplb needs CAP_NET_ADMIN, CAP_BPF and locked memory for the UMEM";
}

// One RX and one TX queue per worker; worker q's RX queue fills from its own pool.
std::string setup_queues(PortRuntime& rt, const rte_eth_dev_info& info, const rte_eth_conf& conf,
                         const PortSetup& setup) {
  const conf::PortConfig& p = rt.config;
  uint16_t rx_desc = static_cast<uint16_t>(p.rx_descriptors);
  uint16_t tx_desc = static_cast<uint16_t>(p.tx_descriptors);
  rte_eth_dev_adjust_nb_rx_tx_desc(rt.ethdev, &rx_desc, &tx_desc);
  rt.rx_descriptors = rx_desc;
  rt.tx_descriptors = tx_desc;
  const int socket = rte_eth_dev_socket_id(rt.ethdev);
  for (uint16_t q = 0; q < rt.queues; ++q) {
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    if (int rc = rte_eth_rx_queue_setup(rt.ethdev, q, rx_desc, socket < 0 ? SOCKET_ID_ANY : socket, &rxconf,
                                        setup.pools[q]);
        rc != 0) {
      return port_label(p) + ": RX queue " + std::to_string(q) + " setup failed: " + rte_strerror(-rc) +
             (is_af_xdp(p) ? af_xdp_socket_advice(p) : "");
    }
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    if (int rc = rte_eth_tx_queue_setup(rt.ethdev, q, tx_desc, socket < 0 ? SOCKET_ID_ANY : socket, &txconf);
        rc != 0) {
      return port_label(p) + ": TX queue " + std::to_string(q) + " setup failed: " + rte_strerror(-rc);
    }
  }
  return "";
}

bool configure_port(const conf::Config& config, PortRuntime& rt, const PortSetup& setup, std::string* error) {
  const conf::PortConfig& p = rt.config;
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(rt.ethdev, &info); rc != 0) {
    *error = port_label(p) + ": cannot read device info: " + rte_strerror(-rc);
    return false;
  }
  rt.driver = info.driver_name ? info.driver_name : "?";
  rt.capabilities = describe_capabilities(info);
  const uint16_t queues = static_cast<uint16_t>(config.dataplane.workers.size());
  if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
    *error = port_label(p) + ": the device has " + std::to_string(std::min(info.max_rx_queues, info.max_tx_queues)) +
             " queue pair(s) but " + std::to_string(queues) + " workers need one each" +
             (rt.driver == "net_af_packet" ? "; add qpairs=" + std::to_string(queues) + " to the device string"
              : rt.driver == "net_af_xdp"  ? "; add queue_count=" + std::to_string(queues) +
                                                " to the device string and give the interface that many queues"
                                           : "; use fewer workers");
    return false;
  }
  rt.queues = queues;
  const rte_eth_conf conf = device_configuration(info, queues, rt);
  if (int rc = rte_eth_dev_configure(rt.ethdev, queues, queues, &conf); rc != 0) {
    *error = port_label(p) + ": configuring " + std::to_string(queues) + " queue pair(s) failed: " + rte_strerror(-rc);
    return false;
  }
  if (std::string e = set_port_mtu(rt, info); !e.empty()) {
    *error = e;
    return false;
  }
  if (std::string e = setup_queues(rt, info, conf, setup); !e.empty()) {
    *error = e;
    return false;
  }
  rte_ether_addr mac;
  rte_eth_macaddr_get(rt.ethdev, &mac);
  std::copy(std::begin(mac.addr_bytes), std::end(mac.addr_bytes), rt.mac.begin());
  if (int rc = rte_eth_dev_start(rt.ethdev); rc != 0) {
    *error = port_label(p) + ": start failed: " + rte_strerror(-rc);
    return false;
  }
  rt.started = true;
  // The software classifier filters by MAC; promiscuous mode would only add
  // frames to drop. Not every device supports turning it off.
  rte_eth_promiscuous_disable(rt.ethdev);
  SteeringTier tier = install_flow_steering(rt.ethdev, p.address.address.value, queues);
  rt.steering = tier.tier + (tier.detail.empty() ? "" : " (" + tier.detail + ")");
  return true;
}

std::string on_off(bool hw) { return hw ? "hardware" : "software"; }

std::string af_xdp_note(const PortRuntime& rt) {
  const std::string iface = conf::vdev_interface(rt.config.device);
  const XskSockets sockets = count_xsk_sockets();
  return port_label(rt.config) + ": interface " + iface + " runs " + describe(query_xdp_attachment(iface)) +
         "; this process holds " + std::to_string(sockets.total) + " AF_XDP socket(s), " +
         std::to_string(sockets.zero_copy) + " in zero-copy mode (the rest copy each frame in the kernel)";
}

}  // namespace

std::string format_mac(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

PortIdentity identity_of(const PortRuntime& port) {
  PortIdentity identity;
  identity.link.mac = port.mac;
  identity.ipv4 = port.config.address.address.value;
  identity.tx_ipv4_checksum_offload = port.tx_ipv4_checksum;
  identity.tx_multi_segment = port.tx_multi_segment;
  identity.mtu = static_cast<uint16_t>(port.config.mtu);
  return identity;
}

std::string add_virtual_mac(const PortRuntime& port, const MacAddress& mac, const std::string& instance) {
  rte_ether_addr address;
  std::copy(mac.begin(), mac.end(), std::begin(address.addr_bytes));
  if (int rc = rte_eth_dev_mac_addr_add(port.ethdev, &address, 0); rc != 0) {
    return port_label(port.config) + ": cannot add the virtual MAC " + format_mac(mac) + " for [[vrrp]] " + instance +
           ": " + rte_strerror(-rc) + "; set use_vmac = false";
  }
  return "";
}

MulticastJoin join_multicast(PortRuntime& port, const MacAddress& group) {
  MulticastJoin join;
  const std::string label = port_label(port.config) + ": multicast " + format_mac(group);
  rte_ether_addr address;
  std::copy(group.begin(), group.end(), std::begin(address.addr_bytes));
  const int filter = rte_eth_dev_set_mc_addr_list(port.ethdev, &address, 1);
  if (filter == 0) {
    join.assured = true;
    join.note = label + " joined in the device's multicast filter";
    return join;
  }
  const int all = rte_eth_allmulticast_enable(port.ethdev);
  if (all == 0) {
    join.assured = true;
    join.note = label + ": the device has no multicast filter (" + rte_strerror(-filter) +
                "), all-multicast turned on";
    return join;
  }
  if (rte_eth_promiscuous_get(port.ethdev) == 1) {
    join.assured = true;
    join.note = label + ": the device is promiscuous";
    return join;
  }
  if (const std::string iface = conf::vdev_interface(port.config.device); !iface.empty()) {
    const std::string kernel = join_kernel_multicast(iface, group);
    if (kernel.empty()) {
      port.kernel_multicast.push_back(group);
      join.assured = true;
      join.note = label + " joined on kernel interface " + iface + " (ip maddr show dev " + iface + ")";
      return join;
    }
    join.note = label + ": neither the device (" + rte_strerror(-all) + ") nor kernel interface " + iface + " (" +
                kernel + ") takes the group; frames for it arrive only if the interface gets them anyway";
    return join;
  }
  join.note = label + ": the device has neither a multicast filter nor all-multicast (" + rte_strerror(-all) +
              "); frames for the group arrive only if the device gets them anyway";
  return join;
}

PortSetup setup_ports(const conf::Config& config) {
  PortSetup setup;
  if (!create_pools(config, setup)) return setup;
  for (uint16_t i = 0; i < config.ports.size(); ++i) {
    PortRuntime rt;
    rt.index = i;
    rt.config = config.ports[i];
    if (!find_device(rt.config, &rt.ethdev, &setup.error)) return setup;
    bool ok = configure_port(config, rt, setup, &setup.error);
    setup.ports.push_back(rt);
    if (!ok) return setup;
    setup.notes.push_back(port_label(rt.config) + ": driver " + rt.driver + ", " + rt.capabilities);
    setup.notes.push_back(port_label(rt.config) + ": using mac " + format_mac(rt.mac) + ", " +
                          std::to_string(rt.queues) + " queue pair(s), " + std::to_string(rt.rx_descriptors) + "/" +
                          std::to_string(rt.tx_descriptors) + " rx/tx descriptors, spreading: " + rt.spreading +
                          ", steering: " + rt.steering +
                          ", checksums rx ipv4 " + on_off(rt.rx_ipv4_checksum) + " tcp " +
                          on_off(rt.rx_tcp_checksum) + ", tx ipv4 " + on_off(rt.tx_ipv4_checksum) + " tcp " +
                          on_off(rt.tx_tcp_checksum));
    if (is_af_xdp(rt.config)) {
      setup.notes.push_back(af_xdp_note(rt));
      const std::string iface = conf::vdev_interface(rt.config.device);
      if (rx_vlan_offload(iface).value_or(false)) {
        setup.warnings.push_back(port_label(rt.config) + ": interface " + iface +
                                 " strips VLAN tags on receive (rx-vlan-offload on), and XDP does not see them: "
                                 "tagged frames reach dplb as untagged ones; turn it off (ethtool -K " + iface +
                                 " rxvlan off)");
      }
    }
  }
  return setup;
}

std::vector<std::string> stop_ports(PortSetup& setup) {
  std::vector<std::string> warnings;
  for (auto& rt : setup.ports) {
    if (rt.steering == "rte_flow") {
      rte_flow_error error{};
      rte_flow_flush(rt.ethdev, &error);
    }
    if (rt.started) rte_eth_dev_stop(rt.ethdev);
    rte_eth_dev_close(rt.ethdev);
    rt.started = false;
    for (const MacAddress& group : rt.kernel_multicast) {
      const std::string iface = conf::vdev_interface(rt.config.device);
      if (std::string e = leave_kernel_multicast(iface, group); !e.empty()) {
        warnings.push_back(port_label(rt.config) + ": cannot leave multicast " + format_mac(group) +
                           " on kernel interface " + iface + ": " + e);
      }
    }
    rt.kernel_multicast.clear();
    // net_af_xdp detaches its program on close; say so if one is left, as
    // the next start could not attach its own.
    if (is_af_xdp(rt.config)) {
      const std::string iface = conf::vdev_interface(rt.config.device);
      const XdpAttachment xdp = query_xdp_attachment(iface);
      if (xdp.queried && xdp.program_id != 0) {
        warnings.push_back(port_label(rt.config) + ": interface " + iface + " still has " + describe(xdp) +
                           " after the port closed; remove it with 'ip link set dev " + iface + " xdp off'");
      }
    }
  }
  for (rte_mempool* pool : setup.pools) rte_mempool_free(pool);
  setup.pools.clear();
  return warnings;
}

}  // namespace dplb::dataplane

#include "controlplane/stats/stats_report.h"

#include "controlplane/stats/port_link_status.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <cstdio>

namespace dplb::controlplane {
namespace {

std::string fixed(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, v);
  return text;
}

std::string link_text(const dataplane::PortRuntime& port) {
  // net_af_packet and net_af_xdp report "up" whatever the interface does: ask the kernel.
  if (!kernel_interface_of(port).empty()) {
    const PortLinkStatus status = port_link_status(port);
    return status.up ? "link up  carrier (kernel interface " + kernel_interface_of(port) + ")"
                     : "link down  " + status.text;
  }
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port.ethdev, &link) != 0) return "link unknown";
  if (!link.link_status) return "link down";
  std::string speed = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? "unknown speed"
                                                                   : std::to_string(link.link_speed) + " Mbps";
  return "link up  " + speed + "  " + (link.link_duplex ? "full-duplex" : "half-duplex");
}

const char* hw(bool on) { return on ? "hw" : "sw"; }

}  // namespace

std::string report_ports(const ApplianceState& state) {
  std::string out;
  for (const auto& port : state.ports.ports) {
    const auto& c = port.config;
    rte_eth_stats stats{};
    rte_eth_stats_get(port.ethdev, &stats);
    uint64_t tx_full = 0;
    uint64_t arp_replies = 0;
    uint64_t echo_replies = 0;
    uint64_t unreachables = 0;
    uint64_t unreachables_limited = 0;
    uint64_t drops[dataplane::kDropReasonCount] = {};
    for (std::size_t w = 0; w < state.workers.size(); ++w) {
      const auto& pc = state.workers.counters(w).ports[port.index];
      tx_full += pc.tx_full.get();
      arp_replies += pc.arp_replies_sent.get();
      echo_replies += pc.icmp_echo_replies_sent.get();
      unreachables += pc.icmp_unreachables_sent.get();
      unreachables_limited += pc.icmp_unreachables_limited.get();
      for (std::size_t r = 0; r < dataplane::kDropReasonCount; ++r) drops[r] += pc.drops[r].get();
    }
    out += "port " + std::to_string(port.index) + " " + c.name + "  device " + c.device.text + "  driver " +
           port.driver + "  " + link_text(port) + "\n";
    out += "  mac " + dataplane::format_mac(port.mac) + "  address " + c.address.to_string() + "  gateway " +
           (c.gateway ? c.gateway->to_string() : std::string("none")) + "  mtu " + std::to_string(c.mtu) + "\n";
    out += "  queues " + std::to_string(port.queues) + "  spreading " + port.spreading + "  steering " +
           port.steering + "\n";
    out += "  rx-cksum ipv4 " + std::string(hw(port.rx_ipv4_checksum)) + " tcp " + hw(port.rx_tcp_checksum) + "  tx-cksum ipv4 " +
           hw(port.tx_ipv4_checksum) + " tcp " + hw(port.tx_tcp_checksum) + "\n";
    out += "  rx-packets " + std::to_string(stats.ipackets) + "  rx-bytes " + std::to_string(stats.ibytes) +
           "  rx-errors " + std::to_string(stats.ierrors) + "  rx-missed " + std::to_string(stats.imissed) +
           "  rx-nombuf " + std::to_string(stats.rx_nombuf) + "\n";
    out += "  tx-packets " + std::to_string(stats.opackets) + "  tx-bytes " + std::to_string(stats.obytes) +
           "  tx-errors " + std::to_string(stats.oerrors) + "  tx-full " + std::to_string(tx_full) + "\n";
    out += "  answered  arp-replies " + std::to_string(arp_replies) + "  icmp-echo-replies " +
           std::to_string(echo_replies) + "  icmp-port-unreachable " + std::to_string(unreachables) +
           "  icmp-rate-limited " + std::to_string(unreachables_limited) + "\n";
    // One line per family ("arp-...", "ipv4-...", "icmp-...", "tcp-...", "flow-..."), link-level reasons first.
    std::string family;
    for (std::size_t r = 0; r < dataplane::kDropReasonCount; ++r) {
      std::string name(dataplane::drop_reason_name(static_cast<dataplane::DropReason>(r)));
      std::string this_family = name.substr(0, name.find('-'));
      if (this_family == "udp") this_family = "ipv4";  // udp-port-closed: an IPv4 protocol without a handler
      if (this_family != "arp" && this_family != "ipv4" && this_family != "icmp" && this_family != "tcp" &&
          this_family != "flow") {
        this_family = "link";
      }
      if (this_family != family) {
        out += (family.empty() ? "" : "\n") + std::string("  drops-") + this_family;
        family = this_family;
      }
      out += "  " + name + " " + std::to_string(drops[r]);
    }
    out += "\n";
  }
  return out;
}

std::string report_lcores(const ApplianceState& state) {
  const uint64_t hz = rte_get_tsc_hz();
  std::string out = "lcore " + std::to_string(state.config.dataplane.control_lcore) + "  control plane  socket " +
                    std::to_string(rte_lcore_to_socket_id(state.config.dataplane.control_lcore)) + "\n";
  for (std::size_t w = 0; w < state.workers.size(); ++w) {
    const uint32_t lcore = state.workers.lcore(w);
    LcoreSample total = LcoreSample::read(state.workers.counters(w).lcore);
    LcoreSample window = state.load.last_window(w);
    LcoreFigures now = lcore_figures(window, hz);
    LcoreFigures all = lcore_figures(total, hz);
    out += "lcore " + std::to_string(lcore) + "  worker " + std::to_string(w) + "  socket " +
           std::to_string(rte_lcore_to_socket_id(lcore)) + "\n";
    out += "  last-second  busy " + fixed(now.busy_percent, 1) + "%  packets " + std::to_string(window.packets) +
           "  packets-per-busy-second " + fixed(now.packets_per_busy_second, 0) + "  cycles-per-packet " +
           fixed(now.cycles_per_packet, 0) + "\n";
    out += "  since-start  busy " + fixed(all.busy_percent, 1) + "%  packets " + std::to_string(total.packets) +
           "  packets-per-busy-second " + fixed(all.packets_per_busy_second, 0) + "  cycles-per-packet " +
           fixed(all.cycles_per_packet, 0) + "  busy-cycles " + std::to_string(total.busy_cycles) + "  idle-cycles " +
           std::to_string(total.idle_cycles) + "  busy-iterations " + std::to_string(total.busy_iterations) +
           "  idle-iterations " + std::to_string(total.idle_iterations) + "\n";
    const auto& flows = state.workers.counters(w).flows;
    const auto& channel = state.workers.channel(w).counters();
    out += "  flows  redirected-out " + std::to_string(flows.redirected_out.get()) + "  redirected-in " +
           std::to_string(flows.redirected_in.get()) + "  echo-requests-sent " +
           std::to_string(flows.echo_requests_sent.get()) + "  echo-replies-received " +
           std::to_string(flows.echo_replies_received.get()) + "\n";
    const auto& neighbours = state.workers.counters(w).neighbours;
    out += "  arp-wait  parked " + std::to_string(neighbours.parked.get()) + "  released " +
           std::to_string(neighbours.released.get()) + "  queue-full " + std::to_string(neighbours.queue_full.get()) +
           "  unresolved " + std::to_string(neighbours.unresolved.get()) + "\n";
    if (w < state.ports.pools.size()) {
      // Read-only counts, as DPDK's own telemetry reads them: a per-lcore
      // cache may be mid-update, so a figure can be off by a cache's worth.
      rte_mempool* pool = state.ports.pools[w];
      out += "  mbufs  pool " + std::to_string(pool->size) + "  in-use " +
             std::to_string(rte_mempool_in_use_count(pool)) + "  available " +
             std::to_string(rte_mempool_avail_count(pool)) + "\n";
    }
    out += "  control  events " + std::to_string(channel.events.get()) + "  events-lost " +
           std::to_string(channel.events_lost.get()) + "  commands " + std::to_string(channel.commands.get()) +
           "  commands-lost " + std::to_string(channel.commands_lost.get()) + "\n";
  }
  out += "tsc-hz " + std::to_string(hz) + "  idle-sleep-us " + std::to_string(state.config.dataplane.idle_sleep_us) +
         "  idle-sleep-max-us " + std::to_string(state.config.dataplane.idle_sleep_max_us) + "\n";
  return out;
}

}  // namespace dplb::controlplane

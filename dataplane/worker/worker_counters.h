#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "conf/config.h"
#include "dataplane/base/counter.h"
#include "dataplane/net/drop_reason.h"
#include "dataplane/tcp/tcp_counters.h"
#include "dataplane/tcp/tcp_diagnostic_service.h"

namespace dplb::dataplane {

inline constexpr std::size_t kMaxPorts = conf::kMaxPorts;

struct alignas(64) PortCounters {
  Counter rx_packets;
  Counter rx_bytes;
  Counter tx_packets;
  Counter tx_bytes;
  Counter tx_full;  // frames the TX queue did not take
  Counter arp_replies_sent;
  Counter icmp_echo_replies_sent;
  Counter icmp_unreachables_sent;
  Counter icmp_unreachables_limited;  // not sent: over the rate limit
  std::array<Counter, kDropReasonCount> drops;

  Counter& drop(DropReason r) { return drops[static_cast<std::size_t>(r)]; }
  const Counter& drop(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
};

// Busy = loop iterations that handled at least one packet. Dividing packets
// by busy time gives the cost of the work itself, independent of idle polling.
struct alignas(64) LcoreCounters {
  Counter busy_cycles;
  Counter idle_cycles;
  Counter busy_iterations;
  Counter idle_iterations;
  Counter packets;
};

// Frames of flows this worker does not own, and frames it owns that another
// worker received.
struct alignas(64) FlowCounters {
  Counter redirected_out;
  Counter redirected_in;
  Counter echo_requests_sent;
  Counter echo_replies_received;
};

// Frames this worker originated towards on-link neighbours.
struct alignas(64) NeighbourCounters {
  Counter parked;       // waited for ARP resolution
  Counter released;     // sent once the neighbour was resolved
  Counter queue_full;   // dropped: too many frames or destinations waiting
  Counter unresolved;   // dropped: the neighbour never answered
};

struct WorkerCounters {
  LcoreCounters lcore;
  FlowCounters flows;
  NeighbourCounters neighbours;
  std::array<PortCounters, kMaxPorts> ports;
  TcpCounters tcp;
  std::array<TcpServiceCounters, kMaxTcpServices> tcp_services;
};

}  // namespace dplb::dataplane

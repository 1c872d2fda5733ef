#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/ethernet_classifier.h"
#include "dataplane/control_channel.h"
#include "dataplane/packet_io.h"
#include "dataplane/port_identity.h"
#include "dataplane/worker_counters.h"

namespace dplb::dataplane {

inline constexpr uint16_t kBurstSize = 32;

// A share-nothing poll-mode worker: it owns one queue pair on every port, the
// state of the flows on them and its own counters. Nothing here locks,
// allocates or makes a system call per packet; run() sleeps only when a whole
// pass found nothing and idle_sleep_us asks for it.
class Worker {
 public:
  // `control` may be null where no control plane listens (some tests).
  Worker(uint32_t index, std::vector<PortIdentity> ports, PacketIo& io, WorkerCounters& counters,
         ControlChannel* control = nullptr);

  // One pass over every RX queue; returns the number of packets handled.
  // The simulation calls this directly, step by step, on its virtual clock.
  uint32_t poll_once();

  // The lcore's main loop, until `stop` is set. Splits time into busy and idle
  // cycles for `show lcores`.
  void run(const std::atomic<bool>& stop, uint32_t idle_sleep_us);

  uint32_t index() const { return index_; }

 private:
  uint32_t receive(uint16_t port);
  uint32_t run_commands();
  void transmit(uint16_t port, rte_mbuf** frames, uint16_t count);

  uint32_t index_;
  std::vector<PortIdentity> ports_;
  PacketIo& io_;
  WorkerCounters& counters_;
  ControlChannel* control_;
};

}  // namespace dplb::dataplane

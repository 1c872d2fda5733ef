#include "dataplane/worker.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>

namespace dplb::dataplane {

Worker::Worker(uint32_t index, std::vector<PortMacFilter> ports, PacketIo& io, WorkerCounters& counters)
    : index_(index), ports_(std::move(ports)), io_(io), counters_(counters) {}

uint32_t Worker::receive(uint16_t port) {
  rte_mbuf* burst[kBurstSize];
  const uint16_t received = io_.rx_burst(port, burst, kBurstSize);
  if (received == 0) return 0;

  PortCounters& counters = counters_.ports[port];
  rte_mbuf* dropped[kBurstSize];
  uint16_t dropped_count = 0;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < received; ++i) {
    rte_mbuf* m = burst[i];
    bytes += rte_pktmbuf_pkt_len(m);
    FrameVerdict verdict = classify_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), ports_[port]);
    if (!verdict.accepted) {
      counters.drop(verdict.reason).increment();
      dropped[dropped_count++] = m;
      continue;
    }
    // Protocol handlers (ARP, IPv4) are dispatched here by EtherType as they
    // are added; a frame no handler claims is dropped with its own reason.
    counters.drop(DropReason::unknown_ethertype).increment();
    dropped[dropped_count++] = m;
  }
  counters.rx_packets.add(received);
  counters.rx_bytes.add(bytes);
  if (dropped_count) rte_pktmbuf_free_bulk(dropped, dropped_count);
  return received;
}

uint32_t Worker::poll_once() {
  uint32_t handled = 0;
  for (uint16_t port = 0; port < ports_.size(); ++port) handled += receive(port);
  return handled;
}

void Worker::run(const std::atomic<bool>& stop, uint32_t idle_sleep_us) {
  LcoreCounters& lcore = counters_.lcore;
  uint64_t start = rte_rdtsc();
  while (!stop.load(std::memory_order_relaxed)) {
    const uint32_t handled = poll_once();
    if (handled == 0 && idle_sleep_us != 0) rte_delay_us_sleep(idle_sleep_us);
    const uint64_t now = rte_rdtsc();
    if (handled != 0) {
      lcore.busy_cycles.add(now - start);
      lcore.busy_iterations.increment();
      lcore.packets.add(handled);
    } else {
      lcore.idle_cycles.add(now - start);
      lcore.idle_iterations.increment();
    }
    start = now;
  }
}

}  // namespace dplb::dataplane

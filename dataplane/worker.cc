#include "dataplane/worker.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/arp_responder.h"
#include "dataplane/ipv4_input.h"

namespace dplb::dataplane {

Worker::Worker(uint32_t index, std::vector<PortIdentity> ports, PacketIo& io, WorkerCounters& counters,
               ControlChannel* control)
    : index_(index), ports_(std::move(ports)), io_(io), counters_(counters), control_(control) {}

uint32_t Worker::receive(uint16_t port) {
  rte_mbuf* burst[kBurstSize];
  const uint16_t received = io_.rx_burst(port, burst, kBurstSize);
  if (received == 0) return 0;

  PortCounters& counters = counters_.ports[port];
  const PortIdentity& identity = ports_[port];
  rte_mbuf* answers[kBurstSize];
  uint16_t answer_count = 0;
  rte_mbuf* dropped[kBurstSize];
  uint16_t dropped_count = 0;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < received; ++i) {
    rte_mbuf* m = burst[i];
    bytes += rte_pktmbuf_pkt_len(m);
    FrameVerdict frame = classify_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), identity.link);
    PacketVerdict verdict = PacketVerdict::drop(frame.reason);
    if (frame.accepted) {
      switch (frame.ethertype) {
        case kEtherTypeArp: {
          NeighbourObservation seen;
          verdict = answer_arp(m, identity, &seen);
          if (verdict.transmit) counters.arp_replies_sent.increment();
          if (seen.valid && control_ != nullptr) {
            ControlEvent event;
            event.kind = ControlEvent::Kind::neighbour_seen;
            event.port = static_cast<uint8_t>(port);
            event.addressed_to_us = seen.addressed_to_us;
            event.claims_our_address = seen.claims_our_address;
            event.ipv4 = seen.ipv4;
            event.mac = seen.mac;
            control_->post_event(event);
          }
          break;
        }
        case kEtherTypeIpv4:
          verdict = ipv4_input(m, identity);
          if (verdict.transmit) counters.icmp_echo_replies_sent.increment();
          break;
        default:
          verdict = PacketVerdict::drop(DropReason::unknown_ethertype);
          break;
      }
    }
    if (verdict.transmit) {
      answers[answer_count++] = m;
    } else {
      if (verdict.dropped()) counters.drop(verdict.reason).increment();
      dropped[dropped_count++] = m;
    }
  }
  counters.rx_packets.add(received);
  counters.rx_bytes.add(bytes);
  if (dropped_count) rte_pktmbuf_free_bulk(dropped, dropped_count);
  if (answer_count) transmit(port, answers, answer_count);
  return received;
}

void Worker::transmit(uint16_t port, rte_mbuf** frames, uint16_t count) {
  PortCounters& counters = counters_.ports[port];
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < count; ++i) bytes += rte_pktmbuf_pkt_len(frames[i]);
  const uint16_t sent = io_.tx_burst(port, frames, count);
  for (uint16_t i = sent; i < count; ++i) bytes -= rte_pktmbuf_pkt_len(frames[i]);
  counters.tx_packets.add(sent);
  counters.tx_bytes.add(bytes);
  if (sent < count) {
    // A full TX ring: the answer is lost like a dropped packet, and counted.
    counters.tx_full.add(count - sent);
    rte_pktmbuf_free_bulk(frames + sent, count - sent);
  }
}

uint32_t Worker::run_commands() {
  if (control_ == nullptr) return 0;
  ControlCommand commands[kBurstSize];
  const unsigned n = control_->take_commands(commands, kBurstSize);
  for (unsigned i = 0; i < n; ++i) {
    const ControlCommand& c = commands[i];
    if (c.kind == ControlCommand::Kind::transmit) {
      rte_mbuf* frame = c.frame;
      if (c.port < ports_.size()) {
        transmit(c.port, &frame, 1);
      } else {
        rte_pktmbuf_free(frame);
      }
    }
  }
  return n;
}

uint32_t Worker::poll_once() {
  uint32_t handled = run_commands();
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

#include "dataplane/worker/worker.h"

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>
#include <iterator>

#include "dataplane/net/arp/arp_responder.h"
#include "dataplane/net/icmp/icmp_echo_request.h"
#include "dataplane/net/ipv4/ipv4_input.h"
#include "dataplane/net/ipv4/route_table.h"
#include "dataplane/tcp/tcp_connection_info.h"
#include "dataplane/tcp/tcp_segment.h"

namespace dplb::dataplane {

Worker::Worker(uint32_t index, std::vector<PortIdentity> ports, PacketIo& io, WorkerCounters& counters,
               WorkerLinks links)
    : index_(index),
      ports_(std::move(ports)),
      io_(io),
      counters_(counters),
      links_(links),
      icmp_limiter_(rte_get_tsc_hz()),
      neighbours_(links.neighbour_entries),
      arp_wait_tsc_(kArpWaitSeconds * rte_get_tsc_hz()),
      tx_(ports_.size()),
      vips_(ports_.size()),
      tcp_sink_(*this) {
  if (links_.tcp != nullptr && links_.pool != nullptr && links_.routes != nullptr) {
    tcp_ = std::make_unique<TcpStack>(*links_.tcp, tcp_sink_, links_.pool, counters_.tcp,
                                      TcpStackIdentity{index_, links_.workers, links_.secret}, now_us());
    if (links_.proxy != nullptr && links_.proxy_counters != nullptr) {
      proxy_ = std::make_unique<HttpProxy>(*tcp_, links_.pool, links_.proxy, *links_.proxy_counters, links_.access_log,
                                           links_.secret.k0 ^ index_);
      proxy_->start();
    }
    prober_ = std::make_unique<HealthProber>(*tcp_, links_.pool);
  }
}

uint64_t Worker::now_us() const {
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t tsc = rte_rdtsc();
  return tsc / hz * 1'000'000 + tsc % hz * 1'000'000 / hz;
}

void Worker::shutdown_tcp() {
  if (tcp_ == nullptr) return;
  // The stack tells the proxy its connections are gone; then the proxy
  // frees what it still holds, while the mbuf pools exist.
  tcp_.reset();
  proxy_.reset();
  prober_.reset();
  flush_tx();
}

void Worker::queue_tx(uint16_t port, rte_mbuf* frame) {
  TxQueue& q = tx_[port];
  q.frames[q.count++] = frame;
  if (q.count == kBurstSize) {
    transmit(port, q.frames, q.count);
    q.count = 0;
  }
}

void Worker::flush_tx() {
  for (uint16_t port = 0; port < tx_.size(); ++port) {
    TxQueue& q = tx_[port];
    if (q.count == 0) continue;
    transmit(port, q.frames, q.count);
    q.count = 0;
  }
}

std::optional<TcpRoute> Worker::TcpSink::route(uint32_t destination) {
  const std::optional<NextHop> hop = worker_.links_.routes->lookup(destination);
  if (!hop || hop->port >= worker_.ports_.size()) return std::nullopt;
  const PortIdentity& port = worker_.ports_[hop->port];
  return TcpRoute{port.ipv4, static_cast<uint16_t>(port.mtu - 40)};
}

void Worker::TcpSink::send(rte_mbuf* packet, uint32_t destination) {
  const std::optional<NextHop> hop = worker_.links_.routes->lookup(destination);
  if (!hop || hop->port >= worker_.ports_.size()) {
    rte_pktmbuf_free(packet);
    return;
  }
  const PortIdentity& port = worker_.ports_[hop->port];
  if (packet->nb_segs > 1 && !port.tx_multi_segment) {
    // The NIC takes one segment per frame: copy the chain into one mbuf.
    rte_mbuf* flat = rte_pktmbuf_alloc(worker_.links_.pool);
    char* data = flat != nullptr ? rte_pktmbuf_append(flat, static_cast<uint16_t>(packet->pkt_len)) : nullptr;
    if (data == nullptr) {
      if (flat != nullptr) rte_pktmbuf_free(flat);
      rte_pktmbuf_free(packet);
      return;
    }
    rte_pktmbuf_read(packet, 0, packet->pkt_len, data);
    rte_pktmbuf_free(packet);
    packet = flat;
  }
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(packet, sizeof(rte_ether_hdr)));
  if (eth == nullptr) {
    rte_pktmbuf_free(packet);
    return;
  }
  std::memset(&eth->dst_addr, 0, sizeof(eth->dst_addr));  // send_via fills it from the neighbour cache
  // Connections to an owned VIP speak from its MAC (the virtual router MAC
  // with use_vmac); everything else, including the RSTs of a released VIP,
  // from the port's, so that a former master never claims the VIP's MAC.
  const MacAddress* source = &port.link.mac;
  if (const VirtualAddressTable& vips = worker_.vips_[hop->port]; !vips.empty()) {
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(eth + 1);
    const uint32_t local = rte_be_to_cpu_32(ip->src_addr);
    if (local != port.ipv4) {
      if (const VirtualAddress* vip = vips.owned(local)) source = &vip->mac;
    }
  }
  std::memcpy(&eth->src_addr, source->data(), 6);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  packet->l2_len = sizeof(rte_ether_hdr);
  worker_.send_via(hop->port, hop->neighbour, packet);
}

void Worker::deliver_tcp(rte_mbuf* m, uint16_t port) {
  const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  TcpSegment segment;
  const TcpSegmentError error = parse_tcp_segment(m, rte_ipv4_hdr_len(ip), &segment);
  if (error != TcpSegmentError::none) {
    counters_.ports[port].drop(error == TcpSegmentError::bad_checksum ? DropReason::tcp_bad_checksum
                                                                      : DropReason::tcp_malformed).increment();
    rte_pktmbuf_free(m);
    return;
  }
  // Segments of connections this appliance opened belong to the worker that
  // owns the local port; RSS may have brought them elsewhere.
  const uint32_t workers = links_.mesh != nullptr ? links_.mesh->workers() : 1;
  if (workers > 1 && tcp_->is_local_port(segment.destination_port)) {
    const uint32_t owner = owner_of_local_id(segment.destination_port, workers);
    if (owner != index_) {
      m->port = port;
      if (links_.mesh->hand_over(index_, owner, m)) {
        counters_.flows.redirected_out.increment();
      } else {
        counters_.ports[port].drop(DropReason::redirect_full).increment();
        rte_pktmbuf_free(m);
      }
      return;
    }
  }
  tcp_->receive(m, segment);
}

void Worker::post_probe_results() {
  ProbeResult results[32];
  uint32_t n;
  while ((n = prober_->take(results, 32)) > 0) {
    for (uint32_t i = 0; i < n; ++i) {
      ControlEvent event;
      event.kind = ControlEvent::Kind::health_result;
      event.ipv4 = results[i].id;
      event.port = static_cast<uint8_t>(results[i].outcome);
      event.echo_id = results[i].status;
      event.count = results[i].duration_us;
      if (links_.control != nullptr) links_.control->post_event(event);
    }
  }
}

void Worker::send_via(uint16_t port, uint32_t next_hop, rte_mbuf* frame) {
  if (const NeighbourCache::Entry* n = neighbours_.find(next_hop); n != nullptr && n->port == port) {
    std::memcpy(rte_pktmbuf_mtod(frame, uint8_t*), n->mac.data(), 6);
    queue_tx(port, frame);
    return;
  }
  switch (pending_.park(next_hop, port, frame, rte_rdtsc())) {
    case ArpPendingQueue::Parked::first:
      counters_.neighbours.parked.increment();
      if (links_.control != nullptr) {
        ControlEvent event;
        event.kind = ControlEvent::Kind::resolve_request;
        event.port = static_cast<uint8_t>(port);
        event.ipv4 = next_hop;
        links_.control->post_event(event);
      }
      break;
    case ArpPendingQueue::Parked::added:
      counters_.neighbours.parked.increment();
      break;
    case ArpPendingQueue::Parked::full:
      counters_.neighbours.queue_full.increment();
      rte_pktmbuf_free(frame);
      break;
  }
}

void Worker::neighbour_resolved(uint32_t ipv4) {
  rte_mbuf* frames[ArpPendingQueue::kFramesPerDestination];
  uint16_t port = 0;
  const unsigned n = pending_.release(ipv4, frames, &port);
  if (n == 0) return;
  const NeighbourCache::Entry* entry = neighbours_.find(ipv4);
  if (entry == nullptr) {  // the cache refused the entry (full): the frames cannot be addressed
    counters_.neighbours.unresolved.add(n);
    rte_pktmbuf_free_bulk(frames, n);
    return;
  }
  for (unsigned i = 0; i < n; ++i) std::memcpy(rte_pktmbuf_mtod(frames[i], uint8_t*), entry->mac.data(), 6);
  counters_.neighbours.released.add(n);
  transmit(entry->port == port ? port : entry->port, frames, static_cast<uint16_t>(n));
}

void Worker::neighbour_gone(uint32_t ipv4) {
  neighbours_.clear(ipv4);
  rte_mbuf* frames[ArpPendingQueue::kFramesPerDestination];
  uint16_t port = 0;
  const unsigned n = pending_.release(ipv4, frames, &port);
  if (n == 0) return;
  counters_.neighbours.unresolved.add(n);
  rte_pktmbuf_free_bulk(frames, n);
}

void Worker::expire_pending() {
  if (pending_.empty()) return;
  rte_mbuf* frames[ArpPendingQueue::kFramesPerDestination * 4];
  const unsigned n = pending_.expire(rte_rdtsc(), arp_wait_tsc_, frames, std::size(frames));
  if (n == 0) return;
  counters_.neighbours.unresolved.add(n);
  rte_pktmbuf_free_bulk(frames, n);
}

void Worker::report_neighbour(uint16_t port, const NeighbourObservation& seen) {
  if (!seen.valid || links_.control == nullptr) return;
  ControlEvent event;
  event.kind = ControlEvent::Kind::neighbour_seen;
  event.port = static_cast<uint8_t>(port);
  event.addressed_to_us = seen.addressed_to_us;
  event.claims_our_address = seen.claims_our_address;
  event.virtual_address = seen.virtual_address;
  event.ipv4 = seen.ipv4;
  event.mac = seen.mac;
  links_.control->post_event(event);
}

bool Worker::deliver_echo_reply(rte_mbuf* frame, uint16_t port) {
  EchoReply reply = read_echo_reply(frame);
  const uint32_t workers = links_.mesh != nullptr ? links_.mesh->workers() : 1;
  const uint32_t owner = owner_of_local_id(reply.id, workers);
  if (owner != index_) {
    if (!links_.mesh->hand_over(index_, owner, frame)) return false;
    counters_.flows.redirected_out.increment();
    return true;  // the owner frees it
  }
  counters_.flows.echo_replies_received.increment();
  if (links_.control != nullptr) {
    ControlEvent event;
    event.kind = ControlEvent::Kind::echo_reply;
    event.port = static_cast<uint8_t>(port);
    event.ipv4 = reply.source;
    event.ttl = reply.ttl;
    event.echo_id = reply.id;
    event.echo_sequence = reply.sequence;
    event.echo_bytes = reply.icmp_bytes;
    if (reply.sent_tsc != 0) {
      const uint64_t elapsed = rte_rdtsc() - reply.sent_tsc;
      const uint64_t ns = elapsed * 1'000'000'000ull / rte_get_tsc_hz();
      event.rtt_ns = static_cast<uint32_t>(std::min<uint64_t>(ns, UINT32_MAX));
    }
    links_.control->post_event(event);
  }
  rte_pktmbuf_free(frame);
  return true;
}

void Worker::handle(rte_mbuf* m, uint16_t port, Burst& burst) {
  const PortIdentity& identity = ports_[port];
  PortCounters& counters = counters_.ports[port];
  FrameVerdict frame = classify_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), identity.link);
  PacketVerdict verdict = PacketVerdict::drop(frame.reason);
  if (frame.accepted) {
    switch (frame.ethertype) {
      case kEtherTypeArp: {
        NeighbourObservation seen;
        verdict = answer_arp(m, identity, vips_[port], &seen);
        if (verdict.transmit) counters.arp_replies_sent.increment();
        report_neighbour(port, seen);
        break;
      }
      case kEtherTypeIpv4:
        verdict = ipv4_input(m, identity, vips_[port]);
        if (verdict.transmit) counters.icmp_echo_replies_sent.increment();
        break;
      default:
        verdict = PacketVerdict::drop(DropReason::unknown_ethertype);
        break;
    }
  }
  if (verdict.tcp) {
    if (tcp_ != nullptr) {
      deliver_tcp(m, port);
      return;
    }
    verdict = PacketVerdict::drop(DropReason::ipv4_unhandled_protocol);
  }
  if (verdict.vrrp) {
    if (deliver_vrrp(m, port)) return;
    verdict = PacketVerdict::drop(DropReason::ipv4_vrrp_ring_full);
  }
  if (verdict.echo_reply) {
    // A frame handed to its owner is no longer ours; one that could not be
    // is dropped and counted.
    m->port = port;
    if (deliver_echo_reply(m, port)) return;
    verdict = PacketVerdict::drop(DropReason::redirect_full);
  }
  if (verdict.reason == DropReason::udp_port_closed && links_.pool != nullptr) {
    if (!icmp_limiter_.allow(rte_rdtsc())) {
      counters.icmp_unreachables_limited.increment();
    } else if (rte_mbuf* error = build_port_unreachable(links_.pool, identity, m); error != nullptr) {
      counters.icmp_unreachables_sent.increment();
      burst.answers[burst.answer_count++] = error;
    }
  }
  if (verdict.transmit) {
    burst.answers[burst.answer_count++] = m;
  } else {
    if (verdict.dropped()) counters.drop(verdict.reason).increment();
    burst.dropped[burst.dropped_count++] = m;
  }
}

void Worker::finish(uint16_t port, Burst& burst) {
  if (burst.dropped_count) rte_pktmbuf_free_bulk(burst.dropped, burst.dropped_count);
  if (burst.answer_count) transmit(port, burst.answers, burst.answer_count);
  burst.dropped_count = 0;
  burst.answer_count = 0;
}

uint32_t Worker::receive(uint16_t port) {
  rte_mbuf* frames[kBurstSize];
  const uint16_t received = io_.rx_burst(port, frames, kBurstSize);
  if (received == 0) return 0;
  PortCounters& counters = counters_.ports[port];
  uint64_t bytes = 0;
  Burst burst;
  for (uint16_t i = 0; i < received; ++i) {
    bytes += rte_pktmbuf_pkt_len(frames[i]);
    handle(frames[i], port, burst);
  }
  counters.rx_packets.add(received);
  counters.rx_bytes.add(bytes);
  finish(port, burst);
  return received;
}

uint32_t Worker::take_redirected() {
  RedirectMesh* mesh = links_.mesh;
  if (mesh == nullptr || mesh->workers() < 2) return 0;
  uint32_t taken = 0;
  rte_mbuf* frames[kBurstSize];
  for (uint32_t from = 0; from < mesh->workers(); ++from) {
    if (from == index_) continue;
    const unsigned n = mesh->take(index_, from, frames, kBurstSize);
    for (unsigned i = 0; i < n; ++i) {
      // The sender has counted it as received on its port; here it is only
      // handled, through the same path, which now finds this worker the owner.
      const uint16_t port = frames[i]->port;
      Burst burst;
      handle(frames[i], port, burst);
      finish(port, burst);
    }
    counters_.flows.redirected_in.add(n);
    taken += n;
  }
  return taken;
}

bool Worker::deliver_vrrp(rte_mbuf* frame, uint16_t port) {
  if (links_.control == nullptr) return false;
  ControlEvent event;
  event.kind = ControlEvent::Kind::vrrp_frame;
  event.port = static_cast<uint8_t>(port);
  const auto* ip = rte_pktmbuf_mtod_offset(frame, const rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  event.ipv4 = rte_be_to_cpu_32(ip->dst_addr);
  event.frame = frame;
  frame->port = port;
  return links_.control->post_event(event);  // a full ring is counted there and by the caller
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

uint32_t Worker::poll_once() {
  uint32_t handled = run_commands();
  expire_pending();
  handled += take_redirected();
  for (uint16_t port = 0; port < ports_.size(); ++port) handled += receive(port);
  if (tcp_ != nullptr) {
    const uint64_t now = now_us();
    // The proxy's timers first, so what they queue leaves in this pass.
    if (proxy_ != nullptr) proxy_->poll(now);
    prober_->poll(now);
    tcp_->poll(now);
    if (prober_->has_results()) post_probe_results();
  }
  flush_tx();
  return handled;
}

void Worker::run(const std::atomic<bool>& stop, IdleBackoff idle) {
  LcoreCounters& lcore = counters_.lcore;
  uint64_t start = rte_rdtsc();
  while (!stop.load(std::memory_order_relaxed)) {
    const uint32_t handled = poll_once();
    if (handled != 0) {
      idle.busy();
    } else if (const uint32_t sleep_us = idle.idle(now_us()); sleep_us != 0) {
      rte_delay_us_sleep(sleep_us);
    }
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

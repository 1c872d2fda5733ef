#include "dataplane/net/arp/arp_pending_queue.h"

namespace dplb::dataplane {

ArpPendingQueue::Parked ArpPendingQueue::park(uint32_t next_hop, uint16_t port, rte_mbuf* frame, uint64_t now_tsc) {
  Destination* free_slot = nullptr;
  for (auto& d : slots_) {
    if (d.used && d.next_hop == next_hop) {
      if (d.count == kFramesPerDestination) return Parked::full;
      d.frames[d.count++] = frame;
      return Parked::added;
    }
    if (!d.used && free_slot == nullptr) free_slot = &d;
  }
  if (free_slot == nullptr) return Parked::full;
  free_slot->used = true;
  free_slot->next_hop = next_hop;
  free_slot->port = port;
  free_slot->count = 1;
  free_slot->since_tsc = now_tsc;
  free_slot->frames[0] = frame;
  ++destinations_;
  return Parked::first;
}

unsigned ArpPendingQueue::release(uint32_t next_hop, rte_mbuf** frames, uint16_t* port) {
  for (auto& d : slots_) {
    if (!d.used || d.next_hop != next_hop) continue;
    const unsigned n = d.count;
    for (unsigned i = 0; i < n; ++i) frames[i] = d.frames[i];
    *port = d.port;
    d = Destination{};
    --destinations_;
    return n;
  }
  return 0;
}

unsigned ArpPendingQueue::expire(uint64_t now_tsc, uint64_t max_wait_tsc, rte_mbuf** frames, unsigned capacity) {
  unsigned taken = 0;
  for (auto& d : slots_) {
    if (!d.used || now_tsc - d.since_tsc < max_wait_tsc || taken + d.count > capacity) continue;
    for (unsigned i = 0; i < d.count; ++i) frames[taken++] = d.frames[i];
    d = Destination{};
    --destinations_;
  }
  return taken;
}

}  // namespace dplb::dataplane

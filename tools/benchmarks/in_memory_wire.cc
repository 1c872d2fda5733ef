#include "tools/benchmarks/in_memory_wire.h"

#include "tools/benchmarks/received_frame.h"

namespace dplb::bench {

InMemoryWire::InMemoryWire(rte_mempool* pool, uint64_t delay_ns, const char* program, double loss, uint64_t seed)
    : pool_(pool), delay_ns_(delay_ns), program_(program), loss_(loss), random_(seed), ring_(1024) {
  outbox_.reserve(1024);
}

InMemoryWire::~InMemoryWire() {
  for (rte_mbuf* m : outbox_) rte_pktmbuf_free(m);
  while (count_ > 0) rte_pktmbuf_free(pop());
}

void InMemoryWire::transmit(uint64_t now_ns) {
  for (rte_mbuf* packet : outbox_) {
    ++sent_;
    if (loss_ > 0 && random_.unit() < loss_) {
      ++lost_;
      rte_pktmbuf_free(packet);
      continue;
    }
    push({now_ns + delay_ns_, as_received_frame(pool_, packet, program_)});
  }
  outbox_.clear();
}

void InMemoryWire::push(InFlight f) {
  if (count_ == ring_.size()) {
    std::vector<InFlight> bigger(ring_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }
  ring_[(head_ + count_) & (ring_.size() - 1)] = f;
  ++count_;
}

}  // namespace dplb::bench

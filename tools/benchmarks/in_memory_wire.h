#pragma once

// One direction of an in-memory link between two stacks of a benchmark.

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/sim/sim_link.h"

namespace dplb::bench {

// The sending stack's sink only calls put(), which keeps the packet
// pointer, so the sender's measured time holds no wire work. transmit(),
// called outside every stack, turns each packet into the frame a NIC's
// receive DMA would leave (see received_frame.h) and frees the original.
// Frames arrive a fixed delay later, in order: with no jitter a ring
// suffices. With `loss` each frame is dropped with that probability,
// reproducibly from `seed`.
//
// tests/sim/tcp_sim.h is not used because it copies every frame into a
// std::vector, keeps a priority queue, returns a new vector per delivery
// and copies each frame again into an mbuf: a heap allocation and two
// copies per frame that the wall-clock figures would count.
class InMemoryWire {
 public:
  InMemoryWire(rte_mempool* pool, uint64_t delay_ns, const char* program, double loss = 0.0, uint64_t seed = 0);
  ~InMemoryWire();
  InMemoryWire(const InMemoryWire&) = delete;
  InMemoryWire& operator=(const InMemoryWire&) = delete;

  void put(rte_mbuf* packet) { outbox_.push_back(packet); }
  void transmit(uint64_t now_ns);

  bool due(uint64_t now_ns) const { return count_ > 0 && ring_[head_].arrival_ns <= now_ns; }
  uint64_t next_arrival_ns() const { return count_ > 0 ? ring_[head_].arrival_ns : UINT64_MAX; }
  rte_mbuf* pop() {
    rte_mbuf* m = ring_[head_].frame;
    head_ = (head_ + 1) & (ring_.size() - 1);
    --count_;
    return m;
  }
  bool empty() const { return count_ == 0 && outbox_.empty(); }
  uint64_t sent() const { return sent_; }
  uint64_t lost() const { return lost_; }

 private:
  struct InFlight {
    uint64_t arrival_ns;
    rte_mbuf* frame;
  };
  void push(InFlight f);

  rte_mempool* pool_;
  uint64_t delay_ns_;
  const char* program_;  // names the benchmark when the pool runs dry
  double loss_;
  testing::SplitMix64 random_;
  std::vector<rte_mbuf*> outbox_;
  std::vector<InFlight> ring_;  // power-of-two capacity
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  uint64_t sent_ = 0;
  uint64_t lost_ = 0;
};

}  // namespace dplb::bench

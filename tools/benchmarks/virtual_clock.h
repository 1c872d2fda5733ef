#pragma once

// The virtual time an in-memory benchmark's stacks run on.

#include <algorithm>
#include <cstdint>

namespace dplb::bench {

// Starts away from zero, as the simulation does. Between steps time jumps
// to the next frame arrival or the next 1 ms tick, whichever comes first,
// so the stacks' timers fire about when they would in real time.
class VirtualClock {
 public:
  uint64_t now_ns() const { return now_ns_; }

  // Calls step() until done() holds (true) or `limit_ns` of virtual time
  // has passed (false); next_arrival_ns() gives the earliest frame due.
  template <class Step, class Done, class NextArrival>
  bool run_until(Step&& step, Done&& done, NextArrival&& next_arrival_ns, uint64_t limit_ns) {
    const uint64_t end = now_ns_ + limit_ns;
    while (now_ns_ < end) {
      step();
      if (done()) return true;
      const uint64_t next_tick = (now_ns_ / 1'000'000 + 1) * 1'000'000;
      now_ns_ = std::max(now_ns_ + 1, std::min<uint64_t>(next_arrival_ns(), next_tick));
    }
    return false;
  }

 private:
  uint64_t now_ns_ = 1'000'000'000;
};

}  // namespace dplb::bench

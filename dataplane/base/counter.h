#pragma once

#include <atomic>
#include <cstdint>

namespace dplb::dataplane {

// Written by exactly one worker, read by the control plane. A relaxed
// load+store compiles to a plain add (no locked instruction) and still gives
// the reader untorn values.
class Counter {
 public:
  void add(uint64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void increment() { add(1); }
  // Gauges go down too; the reader's sum over workers wraps back into range.
  void subtract(uint64_t n) { add(~n + 1); }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace dplb::dataplane

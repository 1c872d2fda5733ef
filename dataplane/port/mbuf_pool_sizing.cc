#include "dataplane/port/mbuf_pool_sizing.h"

#include <algorithm>

namespace dplb::dataplane {

MbufPoolPlan plan_mbuf_pools(uint32_t memory_mb, uint32_t workers, uint32_t ports, uint32_t rx_descriptors,
                             uint32_t tx_descriptors) {
  MbufPoolPlan plan;
  plan.data_room = kMbufDataRoom;
  plan.cache_size = 256;
  const uint64_t element = kMbufDataRoom + kMbufOverhead;
  // Rings of this worker's queues on every port, plus its cache and a few bursts in flight.
  const uint64_t floor_per_worker =
      uint64_t{ports} * (rx_descriptors + tx_descriptors) + plan.cache_size + 4 * 32;
  const uint64_t budget = uint64_t{memory_mb} * 1024 * 1024 / 2;
  const uint64_t affordable_per_worker = budget / element / std::max<uint32_t>(workers, 1);
  if (affordable_per_worker < floor_per_worker) {
    uint64_t needed_mb = (floor_per_worker * workers * element * 2) / (1024 * 1024) + 1;
    plan.error = "dataplane.memory_mb = " + std::to_string(memory_mb) + " cannot hold the descriptor rings: " +
                 std::to_string(workers) + " worker(s) x " + std::to_string(floor_per_worker) +
                 " mbufs are needed; raise memory_mb to at least " + std::to_string(needed_mb) +
                 " or lower the ports' rx_descriptors/tx_descriptors";
    return plan;
  }
  // A power of two minus one is the most memory-efficient mempool size.
  uint64_t size = 1;
  while (size * 2 - 1 <= affordable_per_worker) size *= 2;
  plan.mbufs_per_worker = static_cast<uint32_t>(std::max(size - 1, floor_per_worker));
  return plan;
}

}  // namespace dplb::dataplane

#pragma once

#include <cstdint>
#include <string>

namespace dplb::dataplane {

struct MbufPoolPlan {
  uint32_t mbufs_per_worker = 0;
  uint32_t cache_size = 0;
  uint32_t data_room = 0;
  std::string error;  // set when memory_mb cannot hold even the descriptor rings
};

inline constexpr uint32_t kMbufDataRoom = 2048 + 128;  // RTE_MBUF_DEFAULT_BUF_SIZE
// mbuf header, mempool object header and trailer, ring slot and cache share,
// rounded up: EAL's heap also needs room for its own bookkeeping.
inline constexpr uint32_t kMbufOverhead = 384;

// Each worker gets its own pool (no sharing of the per-lcore cache between
// workers). A pool must at least fill every RX ring it feeds and cover TX
// rings and in-flight bursts; beyond that, up to half of memory_mb goes to
// packet buffers and the rest stays for rings, tables and EAL itself.
MbufPoolPlan plan_mbuf_pools(uint32_t memory_mb, uint32_t workers, uint32_t ports, uint32_t rx_descriptors,
                             uint32_t tx_descriptors);

}  // namespace dplb::dataplane

#pragma once

// Frames a worker wants to send to an on-link neighbour whose MAC it does
// not know yet, parked until the owner of the neighbour table resolves it
// (or gives up). Bounded in both directions, as RFC 1122 asks of a host's
// ARP queue: a few destinations, a few frames each; beyond that, frames are
// dropped and counted rather than memory growing.

#include <array>
#include <cstdint>

struct rte_mbuf;

namespace dplb::dataplane {

class ArpPendingQueue {
 public:
  static constexpr std::size_t kDestinations = 64;
  static constexpr std::size_t kFramesPerDestination = 8;

  enum class Parked { first, added, full };

  // `first`: this destination had nothing waiting (ask the owner to resolve).
  // `full`: not parked; the caller still owns the frame.
  Parked park(uint32_t next_hop, uint16_t port, rte_mbuf* frame, uint64_t now_tsc);

  // Takes every frame waiting for `next_hop`; returns how many (0..8).
  unsigned release(uint32_t next_hop, rte_mbuf** frames, uint16_t* port);

  // Takes the frames of destinations waiting longer than `max_wait_tsc`.
  unsigned expire(uint64_t now_tsc, uint64_t max_wait_tsc, rte_mbuf** frames, unsigned capacity);

  bool empty() const { return destinations_ == 0; }

 private:
  struct Destination {
    bool used = false;
    uint32_t next_hop = 0;
    uint16_t port = 0;
    uint8_t count = 0;
    uint64_t since_tsc = 0;
    std::array<rte_mbuf*, kFramesPerDestination> frames{};
  };

  std::array<Destination, kDestinations> slots_{};
  std::size_t destinations_ = 0;
};

}  // namespace dplb::dataplane

#pragma once

// A worker's copy of the neighbour table: address -> (port, MAC), written
// only from the owner's neighbour_set/neighbour_clear commands and read on
// the worker's fast path. Open addressing with linear probing over a
// power-of-two array allocated once at start; no allocation afterwards.

#include <cstdint>
#include <vector>

#include "dataplane/net/ethernet_classifier.h"

namespace dplb::dataplane {

class NeighbourCache {
 public:
  struct Entry {
    uint32_t ipv4 = 0;
    uint16_t port = 0;
    MacAddress mac{};
  };

  // Room for `entries` addresses; the array is twice that, rounded up to a power of two.
  explicit NeighbourCache(std::size_t entries = 4096);

  // False only when the cache is full (the owner's table is bounded the same way).
  bool set(uint32_t ipv4, uint16_t port, const MacAddress& mac);
  void clear(uint32_t ipv4);
  const Entry* find(uint32_t ipv4) const;
  std::size_t size() const { return size_; }

 private:
  enum class State : uint8_t { empty, used, deleted };
  struct Slot {
    State state = State::empty;
    Entry entry;
  };
  std::size_t home(uint32_t ipv4) const { return (ipv4 * 2654435761u) & mask_; }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::size_t limit_ = 0;
};

}  // namespace dplb::dataplane

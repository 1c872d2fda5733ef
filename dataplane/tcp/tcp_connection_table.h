#pragma once

// A worker's connections by 4-tuple: open addressing with linear probing and
// backward-shift deletion (no tombstones, so lookups stay short however many
// connections came and went). Sized once to twice the connection limit, so
// the load factor stays at or under one half. Slots hold a 32-bit hash and a
// slab index, 8 bytes each.

#include <cstdint>
#include <vector>

#include "dataplane/tcp/siphash.h"
#include "dataplane/tcp/tcp_isn.h"

namespace dplb::dataplane {

class TcpConnectionTable {
 public:
  static constexpr uint32_t kEmpty = UINT32_MAX;

  TcpConnectionTable(uint32_t max_entries, const SipKey& key);

  uint32_t hash(const FourTuple& t) const;

  // `matches(slot)` compares the tuple of the connection at a slab slot.
  template <class Matches>
  uint32_t find(uint32_t hash, Matches&& matches) const {
    for (uint32_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.slot == kEmpty) return kEmpty;
      if (e.hash == hash && matches(e.slot)) return e.slot;
    }
  }
  void insert(uint32_t hash, uint32_t slot);
  void erase(uint32_t hash, uint32_t slot);

  uint32_t size() const { return size_; }
  std::size_t bytes() const { return entries_.size() * sizeof(Entry); }

 private:
  struct Entry {
    uint32_t hash = 0;
    uint32_t slot = kEmpty;
  };
  std::vector<Entry> entries_;
  uint32_t mask_;
  uint32_t size_ = 0;
  SipKey key_;
};

}  // namespace dplb::dataplane

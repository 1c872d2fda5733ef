#include "dataplane/tcp/tcp_connection_table.h"

#include <bit>

namespace dplb::dataplane {

TcpConnectionTable::TcpConnectionTable(uint32_t max_entries, const SipKey& key)
    : entries_(std::bit_ceil(std::max<uint32_t>(2 * max_entries, 16))),
      mask_(static_cast<uint32_t>(entries_.size() - 1)),
      key_(key) {}

uint32_t TcpConnectionTable::hash(const FourTuple& t) const { return hash_four_tuple(key_, t, 0x7ab1e); }

void TcpConnectionTable::insert(uint32_t hash, uint32_t slot) {
  uint32_t i = hash & mask_;
  while (entries_[i].slot != kEmpty) i = (i + 1) & mask_;
  entries_[i] = {hash, slot};
  ++size_;
}

void TcpConnectionTable::erase(uint32_t hash, uint32_t slot) {
  uint32_t i = hash & mask_;
  while (entries_[i].slot != slot) {
    if (entries_[i].slot == kEmpty) return;
    i = (i + 1) & mask_;
  }
  // Backward shift: pull later entries of the probe run into the hole when
  // their home slot does not lie between the hole and them.
  uint32_t hole = i;
  for (uint32_t j = (i + 1) & mask_; entries_[j].slot != kEmpty; j = (j + 1) & mask_) {
    const uint32_t home = entries_[j].hash & mask_;
    const bool between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!between) {
      entries_[hole] = entries_[j];
      hole = j;
    }
  }
  entries_[hole] = Entry{};
  --size_;
}

}  // namespace dplb::dataplane

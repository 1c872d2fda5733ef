#include "dataplane/net/arp/neighbour_cache.h"

namespace dplb::dataplane {

NeighbourCache::NeighbourCache(std::size_t entries) : limit_(entries) {
  std::size_t size = 16;
  while (size < entries * 2) size *= 2;
  slots_.resize(size);
  mask_ = size - 1;
}

bool NeighbourCache::set(uint32_t ipv4, uint16_t port, const MacAddress& mac) {
  Slot* reusable = nullptr;
  for (std::size_t i = home(ipv4), probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
    Slot& slot = slots_[i];
    if (slot.state == State::used && slot.entry.ipv4 == ipv4) {
      slot.entry = {ipv4, port, mac};
      return true;
    }
    if (slot.state == State::deleted && reusable == nullptr) reusable = &slot;
    if (slot.state == State::empty) {
      if (reusable == nullptr) reusable = &slot;
      break;
    }
  }
  if (reusable == nullptr || size_ >= limit_) return false;
  reusable->state = State::used;
  reusable->entry = {ipv4, port, mac};
  ++size_;
  return true;
}

void NeighbourCache::clear(uint32_t ipv4) {
  for (std::size_t i = home(ipv4), probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
    Slot& slot = slots_[i];
    if (slot.state == State::empty) return;
    if (slot.state == State::used && slot.entry.ipv4 == ipv4) {
      slot.state = State::deleted;
      --size_;
      return;
    }
  }
}

const NeighbourCache::Entry* NeighbourCache::find(uint32_t ipv4) const {
  for (std::size_t i = home(ipv4), probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
    const Slot& slot = slots_[i];
    if (slot.state == State::empty) return nullptr;
    if (slot.state == State::used && slot.entry.ipv4 == ipv4) return &slot.entry;
  }
  return nullptr;
}

}  // namespace dplb::dataplane

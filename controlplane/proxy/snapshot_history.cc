#include "controlplane/proxy/snapshot_history.h"

#include <algorithm>

namespace dplb::controlplane {

SnapshotHistory::SnapshotHistory(std::unique_ptr<const dataplane::ProxySnapshot> first, std::size_t workers)
    : adopted_(std::max<std::size_t>(workers, 1), first->version) {
  live_.push_back(std::move(first));
}

bool SnapshotHistory::publish(std::unique_ptr<const dataplane::ProxySnapshot> next) {
  if (next == nullptr || next->version <= current_version()) return false;
  live_.push_back(std::move(next));
  return true;
}

std::size_t SnapshotHistory::adopted(std::size_t worker, uint64_t version) {
  if (worker >= adopted_.size() || version <= adopted_[worker] || version > current_version()) return 0;
  adopted_[worker] = version;
  return retire();
}

uint64_t SnapshotHistory::oldest_needed() const { return *std::min_element(adopted_.begin(), adopted_.end()); }

std::size_t SnapshotHistory::retire() {
  const uint64_t needed = oldest_needed();
  std::size_t freed = 0;
  while (live_.size() > 1 && live_.front()->version < needed) {
    live_.pop_front();
    ++freed;
  }
  return freed;
}

}  // namespace dplb::controlplane

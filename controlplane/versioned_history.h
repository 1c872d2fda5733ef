#pragma once

// Which published versions of an immutable snapshot (the proxy's, the TLS
// contexts') a worker may still be reading: the bookkeeping half of the
// RCU scheme in dataplane/proxy/proxy_snapshot.h, kept apart from the rings
// so that it can be tested on its own. `Snapshot` has a `version` member.
//
// Every worker starts on the first snapshot. A worker moves to a newer one
// when it takes the command that carries it and says so; from then on it
// never reads an older one again. So a snapshot older than the oldest
// version any worker has acknowledged is garbage, and only then. A worker
// that was never told about an intermediate version (its ring was full and
// a newer one came first) simply skips it.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace dplb::controlplane {

template <typename Snapshot>
class VersionedHistory {
 public:
  VersionedHistory(std::unique_ptr<const Snapshot> first, std::size_t workers)
      : adopted_(std::max<std::size_t>(workers, 1), first->version) {
    live_.push_back(std::move(first));
  }

  const Snapshot& current() const { return *live_.back(); }
  uint64_t current_version() const { return live_.back()->version; }
  std::size_t workers() const { return adopted_.size(); }

  // Makes `next` the current snapshot. Refused (false, `next` dropped) when
  // it is null or not newer than the current one: versions only go up, which
  // is what makes "older than every worker's" mean "unreachable".
  bool publish(std::unique_ptr<const Snapshot> next) {
    if (next == nullptr || next->version <= current_version()) return false;
    live_.push_back(std::move(next));
    return true;
  }

  // `worker` now reads `version`. Stale or unknown acknowledgements (a
  // version below what the worker already reported, or one never published)
  // are ignored. Returns how many snapshots this freed.
  std::size_t adopted(std::size_t worker, uint64_t version) {
    if (worker >= adopted_.size() || version <= adopted_[worker] || version > current_version()) return 0;
    adopted_[worker] = version;
    return retire();
  }

  uint64_t adopted_version(std::size_t worker) const { return adopted_[worker]; }
  // The oldest version some worker may still read: the minimum acknowledged.
  uint64_t oldest_needed() const { return *std::min_element(adopted_.begin(), adopted_.end()); }
  // Snapshots held, the current one included.
  std::size_t retained() const { return live_.size(); }
  uint64_t oldest_retained_version() const { return live_.front()->version; }

 private:
  std::size_t retire() {
    const uint64_t needed = oldest_needed();
    std::size_t freed = 0;
    while (live_.size() > 1 && live_.front()->version < needed) {
      live_.pop_front();
      ++freed;
    }
    return freed;
  }

  std::deque<std::unique_ptr<const Snapshot>> live_;  // ascending versions; back() is current
  std::vector<uint64_t> adopted_;
};

}  // namespace dplb::controlplane

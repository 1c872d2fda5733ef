#pragma once

// The proxy snapshots the control plane has published and which of them a
// worker may still be reading: the bookkeeping half of the RCU scheme in
// dataplane/proxy/proxy_snapshot.h, kept apart from the rings so that it can
// be tested on its own.
//
// Every worker starts on the first snapshot. A worker moves to a newer one
// when it takes the proxy_snapshot command and says so with proxy_adopted;
// from then on it never reads an older one again. So a snapshot older than
// the oldest version any worker has acknowledged is garbage, and only then.
// A worker that was never told about an intermediate version (its ring was
// full and a newer one came first) simply skips it.

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "dataplane/proxy/proxy_snapshot.h"

namespace dplb::controlplane {

class SnapshotHistory {
 public:
  SnapshotHistory(std::unique_ptr<const dataplane::ProxySnapshot> first, std::size_t workers);

  const dataplane::ProxySnapshot& current() const { return *live_.back(); }
  uint64_t current_version() const { return live_.back()->version; }
  std::size_t workers() const { return adopted_.size(); }

  // Makes `next` the current snapshot. Refused (false, `next` dropped) when
  // it is null or not newer than the current one: versions only go up, which
  // is what makes "older than every worker's" mean "unreachable".
  bool publish(std::unique_ptr<const dataplane::ProxySnapshot> next);

  // `worker` now reads `version`. Stale or unknown acknowledgements (a
  // version below what the worker already reported, or one never published)
  // are ignored. Returns how many snapshots this freed.
  std::size_t adopted(std::size_t worker, uint64_t version);

  uint64_t adopted_version(std::size_t worker) const { return adopted_[worker]; }
  // The oldest version some worker may still read: the minimum acknowledged.
  uint64_t oldest_needed() const;
  // Snapshots held, the current one included.
  std::size_t retained() const { return live_.size(); }
  uint64_t oldest_retained_version() const { return live_.front()->version; }

 private:
  std::size_t retire();

  std::deque<std::unique_ptr<const dataplane::ProxySnapshot>> live_;  // ascending versions; back() is current
  std::vector<uint64_t> adopted_;
};

}  // namespace dplb::controlplane

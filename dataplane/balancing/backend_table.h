#pragma once

// One backend's servers as a snapshot publishes them: immutable once built,
// read by every worker at the same time. Building it precomputes what the
// algorithms need (the usable active and backup sets, the map-based slot
// table, the consistent-hash rings), so picking never allocates.

#include <cstdint>
#include <string_view>
#include <vector>

#include "conf/config.h"

namespace dplb::dataplane {

struct BalancerServer {
  uint32_t id = 0;        // stable: index in the backend's server list (configuration order)
  uint16_t weight = 1;    // effective weight, 0..256
  bool backup = false;
  bool usable = true;     // may take new traffic (up, not drained, not in maintenance)
  uint32_t maxconn = 0;   // this worker's share of the server's maxconn; 0 = unlimited
};

struct BalancerSettings {
  conf::BalanceAlgorithm algorithm = conf::BalanceAlgorithm::roundrobin;
  uint32_t random_draws = 2;
  conf::HashType hash_type = conf::HashType::map_based;
};

// Servers of one backend by id, as bits: the ones a request must not be
// sent to again. Ids from 64 on cannot be recorded (a retry may then go back
// to such a server), which is far beyond any backend that retries.
using ServerSet = uint64_t;
inline bool server_set_has(ServerSet set, uint32_t id) { return id < 64 && ((set >> id) & 1) != 0; }
inline ServerSet server_set_with(ServerSet set, uint32_t id) { return id < 64 ? set | (ServerSet{1} << id) : set; }

class BackendTable {
 public:
  BackendTable(const BalancerSettings& settings, std::vector<BalancerServer> servers);

  const BalancerSettings& settings() const { return settings_; }
  const std::vector<BalancerServer>& servers() const { return servers_; }
  // Servers new traffic may go to: the usable active ones with weight > 0,
  // or, when there are none, the usable backup ones.
  const std::vector<uint32_t>& candidates() const { return candidates_; }
  bool using_backup() const { return using_backup_; }

  // Hash-based choice among candidates(): map-based (hash modulo the total
  // weight) or consistent (a ring of weighted points, so removing a server
  // moves only its own keys). Empty candidates: UINT32_MAX.
  // `avoid`: servers that already failed this request; the key's next
  // server on the ring (consistent) or in the slots (map-based) that is not
  // one of them is chosen instead, so a retry is deterministic per key too.
  // When every candidate is in `avoid`, the key's own server is chosen.
  uint32_t server_for_hash(uint64_t hash, ServerSet avoid = 0) const;

  // The candidates interleaved by weight, one entry per unit: the sequence
  // static-rr walks, the map map-based hashing indexes, and what random draws from.
  const std::vector<uint32_t>& slots() const { return map_slots_; }

  // Points a server gets on the consistent ring per unit of weight.
  static constexpr uint32_t kRingPointsPerWeight = 64;

 private:
  BalancerSettings settings_;
  std::vector<BalancerServer> servers_;
  std::vector<uint32_t> candidates_;
  bool using_backup_ = false;
  std::vector<uint32_t> map_slots_;  // see slots()
  struct RingPoint {
    uint32_t position;  // the top half of a hash: ample resolution at half the memory
    uint32_t server;
  };
  std::vector<RingPoint> ring_;       // consistent: sorted by position, then server
};

// Hashes for `source`, `uri` and `hdr(...)`; the same on every worker and
// across restarts, so a key keeps its server.
uint64_t balance_hash(std::string_view bytes);
uint64_t balance_hash_ipv4(uint32_t address);

}  // namespace dplb::dataplane

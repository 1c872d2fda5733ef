// The immutable part of balancing, built once per snapshot and shared by
// every worker.
//
// Candidates: the usable active servers with weight > 0; when there are none,
// every usable backup with weight > 0. HAProxy sends to the first backup only
// unless `option allbackups`; our configuration has no such option and
// spreading over all backups keeps one of them from taking the whole load
// alone, so we always behave as with allbackups.
//
// Slots: each candidate appears once per unit of weight, interleaved so that
// a server's k-th slot sits at fraction (k + 1/2) / weight of the sequence
// (ties in configuration order). Walking them gives a static weighted round
// robin with the heavy servers spread out rather than in bursts; indexing
// them with hash % total weight is HAProxy's map-based hashing, where any
// change of the candidate set may remap most keys.
//
// Ring (hash-type consistent): every candidate gets weight *
// kRingPointsPerWeight points whose positions depend only on its id and the
// point's index, so the points of the other servers do not move when one
// server leaves or changes weight, and a key (the first point at or after its
// hash, wrapping) moves only if its point belonged to that server. A
// server's share strays from its weight by about 1/sqrt(points): HAProxy's
// 16 points per unit leave weight-1 servers off by 20-25%, our 64 by about
// 12%, and heavier servers proportionally less. Points are 8 bytes, so a
// 100-server backend at the maximum weight (256) needs 13 MB of ring; the
// usual weights of 1 to 100 need far less.
//
// Hashes: FNV-1a over the bytes, then the murmur3 64-bit finaliser so every
// output bit depends on every input bit (FNV alone mixes its high bits
// poorly on short keys, which map-based hashing would show through the
// modulo). No seed: every worker and every restart must agree.

#include "dataplane/balancing/backend_table.h"

#include <algorithm>
#include <utility>

namespace dplb::dataplane {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// A different mixer from the keys' one, so ring positions do not share
// structure with the hashes that look them up. Two points may share a
// position; sorting them by server keeps lookups deterministic, and removing
// either still only moves the keys that landed on it.
uint32_t ring_position(uint32_t server, uint32_t point) {
  uint64_t z = (uint64_t{server} << 32) | point;
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<uint32_t>((z ^ (z >> 31)) >> 32);
}

}  // namespace

BackendTable::BackendTable(const BalancerSettings& settings, std::vector<BalancerServer> servers)
    : settings_(settings), servers_(std::move(servers)) {
  // Ids are positions in servers_ by contract; everything below indexes by position.
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    const BalancerServer& s = servers_[i];
    if (s.usable && !s.backup && s.weight > 0) candidates_.push_back(i);
  }
  if (candidates_.empty()) {
    for (uint32_t i = 0; i < servers_.size(); ++i) {
      const BalancerServer& s = servers_[i];
      if (s.usable && s.backup && s.weight > 0) candidates_.push_back(i);
    }
    using_backup_ = !candidates_.empty();
  }

  struct Slot {
    uint32_t server;
    uint32_t k;
  };
  std::vector<Slot> slots;
  for (uint32_t id : candidates_) {
    for (uint32_t k = 0; k < servers_[id].weight; ++k) slots.push_back({id, k});
  }
  // (2a+1)/(2wa) < (2b+1)/(2wb), cross-multiplied to stay exact.
  std::sort(slots.begin(), slots.end(), [this](const Slot& a, const Slot& b) {
    const uint64_t lhs = (2 * uint64_t{a.k} + 1) * servers_[b.server].weight;
    const uint64_t rhs = (2 * uint64_t{b.k} + 1) * servers_[a.server].weight;
    if (lhs != rhs) return lhs < rhs;
    return a.server < b.server;
  });
  map_slots_.reserve(slots.size());
  for (const Slot& s : slots) map_slots_.push_back(s.server);

  if (settings_.hash_type == conf::HashType::consistent) {
    for (uint32_t id : candidates_) {
      const uint32_t points = uint32_t{servers_[id].weight} * kRingPointsPerWeight;
      for (uint32_t p = 0; p < points; ++p) ring_.push_back({ring_position(id, p), id});
    }
    std::sort(ring_.begin(), ring_.end(), [](const RingPoint& a, const RingPoint& b) {
      return a.position != b.position ? a.position < b.position : a.server < b.server;
    });
  }
}

uint32_t BackendTable::server_for_hash(uint64_t hash, ServerSet avoid) const {
  if (map_slots_.empty()) return UINT32_MAX;
  if (settings_.hash_type == conf::HashType::consistent) {
    const uint32_t at = static_cast<uint32_t>(hash >> 32);
    auto it = std::lower_bound(ring_.begin(), ring_.end(), at,
                               [](const RingPoint& p, uint32_t h) { return p.position < h; });
    const std::size_t home = it == ring_.end() ? 0 : static_cast<std::size_t>(it - ring_.begin());
    // As HAProxy's chash lookup with a server to avoid: walk on to the
    // next point of another server.
    std::size_t i = home;
    for (std::size_t k = 0; k < ring_.size() && server_set_has(avoid, ring_[i].server); ++k) i = (i + 1) % ring_.size();
    return server_set_has(avoid, ring_[i].server) ? ring_[home].server : ring_[i].server;
  }
  const std::size_t home = hash % map_slots_.size();
  std::size_t i = home;
  for (std::size_t k = 0; k < map_slots_.size() && server_set_has(avoid, map_slots_[i]); ++k) {
    i = (i + 1) % map_slots_.size();
  }
  return server_set_has(avoid, map_slots_[i]) ? map_slots_[home] : map_slots_[i];
}

uint64_t balance_hash(std::string_view bytes) {
  uint64_t h = kFnvOffset;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return fmix64(h);
}

// The same as balance_hash over the address's four bytes, most significant
// first (network order), so a caller holding the raw bytes gets the same value.
uint64_t balance_hash_ipv4(uint32_t address) {
  uint64_t h = kFnvOffset;
  for (int shift = 24; shift >= 0; shift -= 8) {
    h ^= (address >> shift) & 0xff;
    h *= kFnvPrime;
  }
  return fmix64(h);
}

}  // namespace dplb::dataplane

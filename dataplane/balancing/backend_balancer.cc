// Per-worker picking over a shared BackendTable, following HAProxy's
// `balance` algorithms:
//
// roundrobin  smooth weighted round robin (as nginx and LVS): each pick adds
//             its weight to every eligible server's running score, takes the
//             highest score and takes the round's total weight off it. Weights
//             5,1,1 give a a b a c a a rather than five a's in a row, and a new
//             table may change weights at any time (HAProxy's "dynamic").
// static-rr   a cursor over the table's interleaved weighted slots; weights
//             only change with the table (HAProxy's "static").
// leastconn   the lowest (in_flight + 1) / weight, as HAProxy ranks servers by
//             the load they would have with this request; ties go round robin
//             by starting each scan one past the previous winner.
// first       the first server in configuration order with room; weights are
//             ignored, as HAProxy does, so servers fill one after another.
// random(N)   N weighted draws, keeping the one with the lowest in_flight /
//             weight (power of N choices); if none of them has room, the least
//             loaded candidate that has.
// source, uri, hdr()
//             the table's hash choice (map-based or consistent). A full server
//             queues the request for that server rather than breaking the
//             affinity; without a key (hdr() with the header missing) it is
//             round robin, as HAProxy falls back to.
//
// Every algorithm only considers candidates with room; when none has, the
// request waits in the backend's queue. pick() runs on every request and does
// not allocate.

#include "dataplane/balancing/backend_balancer.h"

#include <algorithm>

namespace dplb::dataplane {

BackendBalancer::BackendBalancer(uint64_t seed) : random_state_(seed) {}

void BackendBalancer::adopt(const BackendTable* table) {
  table_ = table;
  if (table == nullptr) return;
  // Counts follow the server id; servers past the new end take theirs with them.
  state_.resize(table->servers().size());

  bool same = candidate_signature_.size() == table->candidates().size();
  for (std::size_t i = 0; same && i < candidate_signature_.size(); ++i) {
    const uint32_t id = table->candidates()[i];
    same = candidate_signature_[i] == ((uint64_t{id} << 16) | table->servers()[id].weight);
  }
  if (same) return;
  candidate_signature_.clear();
  for (uint32_t id : table->candidates()) {
    candidate_signature_.push_back((uint64_t{id} << 16) | table->servers()[id].weight);
  }
  // Scores left from another set would favour or starve servers for a while;
  // starting from zero gives the new weights their exact shares at once.
  for (ServerState& s : state_) s.current_weight = 0;
}

bool BackendBalancer::room(uint32_t server) const {
  const uint32_t maxconn = table_->servers()[server].maxconn;
  return maxconn == 0 || state_[server].in_flight < maxconn;
}

bool BackendBalancer::has_room(uint32_t server) const {
  if (table_ == nullptr || server >= table_->servers().size() || server >= state_.size()) return false;
  return room(server);
}

void BackendBalancer::taken(uint32_t server) {
  if (server < state_.size()) ++state_[server].in_flight;
}

void BackendBalancer::released(uint32_t server) {
  if (server < state_.size() && state_[server].in_flight > 0) --state_[server].in_flight;
}

uint32_t BackendBalancer::in_flight(uint32_t server) const {
  return server < state_.size() ? state_[server].in_flight : 0;
}

// splitmix64: a full-period generator over the 64-bit state with
// well-mixed output, cheap enough for every request.
uint64_t BackendBalancer::next_random() {
  uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Pick BackendBalancer::pick(const BalanceKey& key, ServerSet avoid) {
  if (table_ == nullptr || table_->candidates().empty()) return {PickOutcome::no_server, 0};
  switch (table_->settings().algorithm) {
    case conf::BalanceAlgorithm::roundrobin:
      return pick_roundrobin();
    case conf::BalanceAlgorithm::static_rr:
      return pick_static_rr();
    case conf::BalanceAlgorithm::leastconn:
      return pick_leastconn(avoid);
    case conf::BalanceAlgorithm::first:
      return pick_first(avoid);
    case conf::BalanceAlgorithm::random:
      return pick_random(avoid);
    case conf::BalanceAlgorithm::source:
    case conf::BalanceAlgorithm::uri:
    case conf::BalanceAlgorithm::hdr:
      return pick_hash(key, avoid);
  }
  return pick_roundrobin();
}

Pick BackendBalancer::pick_roundrobin() {
  const auto& servers = table_->servers();
  int64_t total = 0;
  uint32_t best = UINT32_MAX;
  // Full servers sit the round out rather than building up a score that
  // would send them a burst once they free up.
  for (uint32_t id : table_->candidates()) {
    if (!room(id)) continue;
    const int64_t weight = servers[id].weight;
    state_[id].current_weight += weight;
    total += weight;
    if (best == UINT32_MAX || state_[id].current_weight > state_[best].current_weight) best = id;
  }
  if (best == UINT32_MAX) return {PickOutcome::queue_backend, 0};
  state_[best].current_weight -= total;
  return {PickOutcome::server, best};
}

Pick BackendBalancer::pick_static_rr() {
  // Checking the candidates first bounds the slot walk below: it cannot go
  // round the whole sequence without finding room.
  bool any = false;
  for (uint32_t id : table_->candidates()) {
    if (room(id)) {
      any = true;
      break;
    }
  }
  if (!any) return {PickOutcome::queue_backend, 0};
  const auto& slots = table_->slots();
  const std::size_t n = slots.size();
  std::size_t at = static_cursor_ % n;
  while (!room(slots[at])) at = (at + 1) % n;
  static_cursor_ = static_cast<uint32_t>((at + 1) % n);
  return {PickOutcome::server, slots[at]};
}

Pick BackendBalancer::pick_leastconn(ServerSet avoid) {
  const auto& servers = table_->servers();
  const auto& candidates = table_->candidates();
  const std::size_t n = candidates.size();
  const std::size_t start = leastconn_cursor_ % n;
  std::size_t best = n;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = (start + i) % n;
    const uint32_t id = candidates[at];
    if (!room(id) || server_set_has(avoid, id)) continue;
    if (best == n) {
      best = at;
      continue;
    }
    const uint32_t b = candidates[best];
    // (load_id + 1) / w_id < (load_b + 1) / w_b, cross-multiplied.
    const uint64_t lhs = (uint64_t{state_[id].in_flight} + 1) * servers[b].weight;
    const uint64_t rhs = (uint64_t{state_[b].in_flight} + 1) * servers[id].weight;
    if (lhs < rhs) best = at;
  }
  if (best == n) return avoid != 0 ? pick_leastconn(0) : Pick{PickOutcome::queue_backend, 0};
  leastconn_cursor_ = static_cast<uint32_t>((best + 1) % n);
  return {PickOutcome::server, candidates[best]};
}

Pick BackendBalancer::pick_first(ServerSet avoid) {
  for (uint32_t id : table_->candidates()) {
    if (room(id) && !server_set_has(avoid, id)) return {PickOutcome::server, id};
  }
  return avoid != 0 ? pick_first(0) : Pick{PickOutcome::queue_backend, 0};
}

Pick BackendBalancer::pick_random(ServerSet avoid) {
  const auto& servers = table_->servers();
  const auto& slots = table_->slots();
  // lower load / weight, cross-multiplied; the incumbent wins ties.
  auto lighter = [&](uint32_t a, uint32_t b) {
    return uint64_t{state_[a].in_flight} * servers[b].weight < uint64_t{state_[b].in_flight} * servers[a].weight;
  };
  const uint32_t draws = std::max<uint32_t>(1, table_->settings().random_draws);
  uint32_t best = UINT32_MAX;
  for (uint32_t i = 0; i < draws; ++i) {
    const uint32_t id = slots[next_random() % slots.size()];
    if (!room(id) || server_set_has(avoid, id)) continue;
    if (best == UINT32_MAX || lighter(id, best)) best = id;
  }
  if (best != UINT32_MAX) return {PickOutcome::server, best};
  for (uint32_t id : table_->candidates()) {
    if (!room(id) || server_set_has(avoid, id)) continue;
    if (best == UINT32_MAX || lighter(id, best)) best = id;
  }
  if (best == UINT32_MAX && avoid != 0) return pick_random(0);
  if (best == UINT32_MAX) return {PickOutcome::queue_backend, 0};
  return {PickOutcome::server, best};
}

Pick BackendBalancer::pick_hash(const BalanceKey& key, ServerSet avoid) {
  if (!key.present) return pick_roundrobin();
  const uint32_t id = table_->server_for_hash(key.hash, avoid);
  if (id == UINT32_MAX) return {PickOutcome::no_server, 0};
  if (!room(id)) return {PickOutcome::queue_server, id};
  return {PickOutcome::server, id};
}

}  // namespace dplb::dataplane

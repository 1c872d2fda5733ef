#pragma once

// A worker's own balancing state for one backend: the smooth weighted
// round-robin positions, the static-rr cursor, the random generator and the
// requests this worker has in flight per server (leastconn, first, maxconn).
// Share-nothing: each worker balances with its own counts, which is the
// documented approximation of HAProxy's global counts (with one worker they
// are exact). The table it balances over is a snapshot; adopting a new one
// keeps the in-flight counts by server id.

#include <cstdint>
#include <vector>

#include "dataplane/balancing/backend_table.h"

namespace dplb::dataplane {

// What the proxy hashes for source, uri and hdr(); `present` false when the
// request has no such key (hdr() without the header: round-robin, as HAProxy).
struct BalanceKey {
  bool present = false;
  uint64_t hash = 0;
};

enum class PickOutcome : uint8_t {
  server,          // send to `server`
  queue_server,    // deterministic choice (hash) but that server is at maxconn: wait for it
  queue_backend,   // every candidate is at maxconn: wait for whichever frees first
  no_server,       // no usable server at all: 503 at once
};

struct Pick {
  PickOutcome outcome = PickOutcome::no_server;
  uint32_t server = 0;  // server and queue_server
};

class BackendBalancer {
 public:
  explicit BackendBalancer(uint64_t seed = 1);
  void adopt(const BackendTable* table);
  const BackendTable* table() const { return table_; }

  // Chooses without taking a slot; the caller calls taken() when the
  // request is really assigned (at once, or later from a queue).
  // `avoid`: the servers that already failed this request (a retry that
  // is redispatched; see ServerSet); one of them is chosen only when no
  // other candidate has room. Hashes move on to the key's next server;
  // round robin and static-rr are asked again (see HttpProxy::assign),
  // which moves their cursor on.
  Pick pick(const BalanceKey& key, ServerSet avoid = 0);
  void taken(uint32_t server);
  void released(uint32_t server);
  uint32_t in_flight(uint32_t server) const;
  bool has_room(uint32_t server) const;

 private:
  const BackendTable* table_ = nullptr;
  struct ServerState {
    int64_t current_weight = 0;  // smooth weighted round robin
    uint32_t in_flight = 0;
  };
  std::vector<ServerState> state_;  // by server id
  uint32_t static_cursor_ = 0;
  uint32_t leastconn_cursor_ = 0;   // ties are broken round-robin
  uint64_t random_state_;
  // (id, weight) of the last adopted candidates: the round-robin positions
  // only mean something for the set and weights they were accumulated over.
  std::vector<uint64_t> candidate_signature_;

  bool room(uint32_t server) const;
  uint64_t next_random();
  Pick pick_roundrobin();
  Pick pick_static_rr();
  Pick pick_leastconn(ServerSet avoid);
  Pick pick_first(ServerSet avoid);
  Pick pick_random(ServerSet avoid);
  Pick pick_hash(const BalanceKey& key, ServerSet avoid);
};

}  // namespace dplb::dataplane

#pragma once

// The appliance's ARP cache (RFC 826), owned by the control plane. Workers
// report what ARP packets told them; this table decides what to learn, when
// to probe and when to forget, on whatever clock it is given (milliseconds),
// so its behaviour is tested on a virtual clock.
//
// Learning follows RFC 826's merge rule: a packet addressed to us may create
// an entry for its sender; any other packet (gratuitous ARP, requests for
// other hosts) only updates an entry that already exists. Static entries
// never change. Entries are confirmed for `reachable_ms`, then probed with
// unicast requests and forgotten if `probes` of them go unanswered;
// resolution of an unknown address sends broadcast requests with
// exponential backoff.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/net/ethernet_classifier.h"

namespace dplb::controlplane {

using dataplane::MacAddress;

struct NeighbourTimers {
  int64_t reachable_ms = 300'000;  // like most routers' ARP timeout; Linux confirms sooner
  int64_t retry_ms = 1'000;        // first retry; doubles per unanswered probe while resolving
  uint32_t probes = 3;
  std::size_t max_entries = 4096;
};

enum class NeighbourState { incomplete, reachable, stale, permanent };

const char* neighbour_state_name(NeighbourState s);

struct Neighbour {
  uint32_t ipv4 = 0;  // host order
  uint16_t port = 0;
  MacAddress mac{};
  NeighbourState state = NeighbourState::incomplete;
  int64_t changed_ms = 0;    // last state or address change
  int64_t next_ms = 0;       // when the timer of this state fires
  uint32_t probes_sent = 0;  // in the current incomplete or stale phase
};

// An ARP request the owner must put on the wire: broadcast while resolving,
// unicast to the known MAC while confirming a stale entry.
struct ArpProbe {
  uint16_t port = 0;
  uint32_t target = 0;
  std::optional<MacAddress> unicast_to;
};

class NeighbourTable {
 public:
  enum class Learned { ignored, created, updated, confirmed, permanent_kept, full };

  explicit NeighbourTable(NeighbourTimers timers = {}) : timers_(timers) {}

  Learned observe(uint16_t port, uint32_t ipv4, const MacAddress& mac, bool addressed_to_us, int64_t now_ms);

  // Starts resolving an unknown address; returns the first probe, or nothing
  // when the address is known, already being resolved, or the table is full.
  std::optional<ArpProbe> resolve(uint16_t port, uint32_t ipv4, int64_t now_ms);

  // False when `ipv4` is new and the table already holds max_entries: the
  // bound holds for permanent entries too, since workers' copies share it.
  bool add_permanent(uint16_t port, uint32_t ipv4, const MacAddress& mac, int64_t now_ms);
  bool remove(uint32_t ipv4);

  // Fires due timers: returns the probes to send now; entries given up on
  // are appended to `forgotten` (for the log).
  std::vector<ArpProbe> tick(int64_t now_ms, std::vector<Neighbour>* forgotten);

  const Neighbour* find(uint32_t ipv4) const;
  std::vector<Neighbour> entries() const;  // by address
  std::size_t size() const { return entries_.size(); }
  const NeighbourTimers& timers() const { return timers_; }

 private:
  int64_t backoff(uint32_t probes_sent) const;

  NeighbourTimers timers_;
  std::map<uint32_t, Neighbour> entries_;
};

}  // namespace dplb::controlplane

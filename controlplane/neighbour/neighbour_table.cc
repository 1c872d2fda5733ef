#include "controlplane/neighbour/neighbour_table.h"

namespace dplb::controlplane {

const char* neighbour_state_name(NeighbourState s) {
  switch (s) {
    case NeighbourState::incomplete: return "incomplete";
    case NeighbourState::reachable: return "reachable";
    case NeighbourState::stale: return "stale";
    case NeighbourState::permanent: return "permanent";
  }
  return "?";
}

int64_t NeighbourTable::backoff(uint32_t probes_sent) const {
  int64_t delay = timers_.retry_ms;
  for (uint32_t i = 1; i < probes_sent && delay < 60'000; ++i) delay *= 2;
  return delay;
}

NeighbourTable::Learned NeighbourTable::observe(uint16_t port, uint32_t ipv4, const MacAddress& mac,
                                                bool addressed_to_us, int64_t now_ms) {
  auto it = entries_.find(ipv4);
  if (it == entries_.end()) {
    if (!addressed_to_us) return Learned::ignored;
    if (entries_.size() >= timers_.max_entries) return Learned::full;
    entries_[ipv4] = {ipv4, port, mac, NeighbourState::reachable, now_ms, now_ms + timers_.reachable_ms, 0};
    return Learned::created;
  }
  Neighbour& n = it->second;
  if (n.state == NeighbourState::permanent) return Learned::permanent_kept;
  const bool moved = n.mac != mac || n.port != port || n.state == NeighbourState::incomplete;
  n.mac = mac;
  n.port = port;
  if (moved || n.state != NeighbourState::reachable) n.changed_ms = now_ms;
  n.state = NeighbourState::reachable;
  n.next_ms = now_ms + timers_.reachable_ms;
  n.probes_sent = 0;
  return moved ? Learned::updated : Learned::confirmed;
}

std::optional<ArpProbe> NeighbourTable::resolve(uint16_t port, uint32_t ipv4, int64_t now_ms) {
  if (entries_.count(ipv4) || entries_.size() >= timers_.max_entries) return std::nullopt;
  entries_[ipv4] = {ipv4, port, {}, NeighbourState::incomplete, now_ms, now_ms + backoff(1), 1};
  return ArpProbe{port, ipv4, std::nullopt};
}

bool NeighbourTable::add_permanent(uint16_t port, uint32_t ipv4, const MacAddress& mac, int64_t now_ms) {
  if (!entries_.count(ipv4) && entries_.size() >= timers_.max_entries) return false;
  entries_[ipv4] = {ipv4, port, mac, NeighbourState::permanent, now_ms, 0, 0};
  return true;
}

bool NeighbourTable::remove(uint32_t ipv4) { return entries_.erase(ipv4) > 0; }

std::vector<ArpProbe> NeighbourTable::tick(int64_t now_ms, std::vector<Neighbour>* forgotten) {
  std::vector<ArpProbe> probes;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Neighbour& n = it->second;
    if (n.state == NeighbourState::permanent || now_ms < n.next_ms) {
      ++it;
      continue;
    }
    if (n.state == NeighbourState::reachable) {
      n.state = NeighbourState::stale;
      n.changed_ms = now_ms;
      n.probes_sent = 0;
    }
    if (n.probes_sent >= timers_.probes) {
      if (forgotten != nullptr) forgotten->push_back(n);
      it = entries_.erase(it);
      continue;
    }
    ++n.probes_sent;
    if (n.state == NeighbourState::stale) {
      probes.push_back({n.port, n.ipv4, n.mac});
      n.next_ms = now_ms + timers_.retry_ms;
    } else {
      probes.push_back({n.port, n.ipv4, std::nullopt});
      n.next_ms = now_ms + backoff(n.probes_sent);
    }
    ++it;
  }
  return probes;
}

const Neighbour* NeighbourTable::find(uint32_t ipv4) const {
  auto it = entries_.find(ipv4);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<Neighbour> NeighbourTable::entries() const {
  std::vector<Neighbour> out;
  out.reserve(entries_.size());
  for (const auto& [ip, n] : entries_) out.push_back(n);
  return out;
}

}  // namespace dplb::controlplane

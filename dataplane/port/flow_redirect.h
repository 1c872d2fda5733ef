#pragma once

// Multi-worker flow ownership for flows dplb itself opens. Such a flow
// carries a 16-bit local identifier chosen by its worker: the ICMP echo
// identifier of the appliance's ping, and later the local TCP port of a
// connection to a server. The owner is a function of that identifier, so any
// worker can tell who owns a packet. When RSS (or the device's own
// spreading) delivers a packet to another worker, it is handed over through
// a per-pair single-producer/single-consumer ring: N x N rings, each with
// one writer and one reader, so nothing is shared between more than two
// workers and nothing locks.

#include <cstdint>
#include <string>
#include <vector>

struct rte_mbuf;
struct rte_ring;

namespace dplb::dataplane {

inline uint32_t owner_of_local_id(uint16_t id, uint32_t workers) { return workers > 1 ? id % workers : 0; }

class RedirectMesh {
 public:
  static constexpr unsigned kRingSize = 512;

  RedirectMesh() = default;
  ~RedirectMesh();
  RedirectMesh(const RedirectMesh&) = delete;
  RedirectMesh& operator=(const RedirectMesh&) = delete;

  // Returns an error line or "". One worker needs no rings.
  std::string create(uint32_t workers, int socket);

  uint32_t workers() const { return workers_; }
  // False when the ring is full: the caller still owns the frame.
  bool hand_over(uint32_t from, uint32_t to, rte_mbuf* frame);
  unsigned take(uint32_t to, uint32_t from, rte_mbuf** frames, unsigned capacity);

 private:
  rte_ring* ring(uint32_t from, uint32_t to) const { return rings_[from * workers_ + to]; }

  uint32_t workers_ = 1;
  std::vector<rte_ring*> rings_;
};

}  // namespace dplb::dataplane

#include "dataplane/port/flow_redirect.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <atomic>

namespace dplb::dataplane {

RedirectMesh::~RedirectMesh() {
  for (rte_ring* r : rings_) {
    if (r == nullptr) continue;
    rte_mbuf* leftover;
    while (rte_ring_sc_dequeue(r, reinterpret_cast<void**>(&leftover)) == 0) rte_pktmbuf_free(leftover);
    rte_ring_free(r);
  }
}

std::string RedirectMesh::create(uint32_t workers, int socket) {
  workers_ = workers;
  rings_.assign(static_cast<std::size_t>(workers) * workers, nullptr);
  if (workers < 2) return "";
  static std::atomic<unsigned> instance{0};
  const unsigned mesh = instance++;
  for (uint32_t from = 0; from < workers; ++from) {
    for (uint32_t to = 0; to < workers; ++to) {
      if (from == to) continue;
      const std::string name = "redir" + std::to_string(mesh) + "_" + std::to_string(from) + "_" + std::to_string(to);
      rte_ring* r = rte_ring_create(name.c_str(), kRingSize, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (r == nullptr) return "cannot create redirect ring " + name + ": " + rte_strerror(rte_errno);
      rings_[from * workers + to] = r;
    }
  }
  return "";
}

bool RedirectMesh::hand_over(uint32_t from, uint32_t to, rte_mbuf* frame) {
  return rte_ring_sp_enqueue(ring(from, to), frame) == 0;
}

unsigned RedirectMesh::take(uint32_t to, uint32_t from, rte_mbuf** frames, unsigned capacity) {
  return rte_ring_sc_dequeue_burst(ring(from, to), reinterpret_cast<void**>(frames), capacity, nullptr);
}

}  // namespace dplb::dataplane

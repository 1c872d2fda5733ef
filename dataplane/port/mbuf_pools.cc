#include "dataplane/port/mbuf_pools.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

#include <algorithm>

namespace dplb::dataplane {
namespace {

void widen_span(rte_mempool* mp, void* highest_end, void* object, unsigned) {
  auto* end = static_cast<uintptr_t*>(highest_end);
  *end = std::max(*end, reinterpret_cast<uintptr_t>(object) + mp->elt_size + mp->trailer_size);
}

}  // namespace

rte_mempool* create_mbuf_pool(const std::string& name, const MbufPoolPlan& plan, int socket, bool packed) {
  if (!packed) {
    return rte_pktmbuf_pool_create(name.c_str(), plan.mbufs_per_worker, plan.cache_size, 0,
                                   static_cast<uint16_t>(plan.data_room), socket);
  }
  rte_pktmbuf_pool_private priv{};
  priv.mbuf_data_room_size = static_cast<uint16_t>(plan.data_room);
  priv.mbuf_priv_size = 0;
  rte_mempool* mp = rte_mempool_create_empty(name.c_str(), plan.mbufs_per_worker,
                                             static_cast<unsigned>(sizeof(rte_mbuf) + plan.data_room),
                                             plan.cache_size, sizeof(rte_pktmbuf_pool_private), socket,
                                             RTE_MEMPOOL_F_NO_IOVA_CONTIG);
  if (mp == nullptr) return nullptr;
  if (int rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), nullptr); rc != 0) {
    rte_mempool_free(mp);
    rte_errno = -rc;
    return nullptr;
  }
  rte_pktmbuf_pool_init(mp, &priv);
  if (int rc = rte_mempool_populate_default(mp); rc < 0) {
    rte_mempool_free(mp);
    rte_errno = -rc;
    return nullptr;
  }
  rte_mempool_obj_iter(mp, rte_pktmbuf_init, nullptr);
  return mp;
}

std::string check_af_xdp_umem_layout(rte_mempool* pool) {
  if (pool->nb_mem_chunks != 1) {
    return "lies in " + std::to_string(pool->nb_mem_chunks) +
           " memory chunks but net_af_xdp registers one area; give EAL more contiguous memory "
           "(hugepages, or a larger dataplane.memory_mb with hugepages = false)";
  }
  // The driver registers from the chunk's start on.
  const uintptr_t start = reinterpret_cast<uintptr_t>(STAILQ_FIRST(&pool->mem_list)->addr);
  uintptr_t highest_end = start;
  rte_mempool_obj_iter(pool, widen_span, &highest_end);
  const uint64_t registered = uint64_t{pool->populated_size} *
                              rte_mempool_calc_obj_size(pool->elt_size, pool->flags, nullptr);
  if (highest_end - start > registered) {
    return "spans " + std::to_string(highest_end - start) + " bytes but net_af_xdp would register only " +
           std::to_string(registered) + " of them as its UMEM";
  }
  return "";
}

}  // namespace dplb::dataplane

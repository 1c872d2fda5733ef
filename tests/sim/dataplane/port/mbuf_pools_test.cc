// The mbuf pools a net_af_xdp port registers as UMEM (dataplane/port/mbuf_pools.h),
// under the simulation's EAL: --no-huge, so 4 KiB pages, the case where a default
// pool leaves the most room between its objects.

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/port/mbuf_pools.h"

namespace dplb::dataplane {
namespace {

MbufPoolPlan plan_of(uint32_t mbufs) {
  MbufPoolPlan plan;
  plan.mbufs_per_worker = mbufs;
  plan.cache_size = 32;
  plan.data_room = kMbufDataRoom;
  return plan;
}

TEST(MbufPools, DefaultPoolLeavesPageGapsThatAfXdpWouldNotRegister) {
  rte_mempool* pool = create_mbuf_pool("gapped", plan_of(1023), SOCKET_ID_ANY, false);
  ASSERT_NE(pool, nullptr);
  // DPDK 22.11's AF_XDP driver would register populated_size x object size
  // bytes; the objects of a default pool span far more (one per 4 KiB page).
  EXPECT_NE(check_af_xdp_umem_layout(pool).find("but net_af_xdp would register only"), std::string::npos)
      << check_af_xdp_umem_layout(pool);
  rte_mempool_free(pool);
}

TEST(MbufPools, PackedPoolLiesWhollyInsideWhatAfXdpRegisters) {
  rte_mempool* pool = create_mbuf_pool("packed", plan_of(1023), SOCKET_ID_ANY, true);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(check_af_xdp_umem_layout(pool), "");
  EXPECT_EQ(pool->populated_size, 1023u);
  // Usable as any pktmbuf pool: the data room and headroom are the usual ones.
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(rte_pktmbuf_data_room_size(pool), kMbufDataRoom);
  EXPECT_EQ(rte_pktmbuf_headroom(m), RTE_PKTMBUF_HEADROOM);
  EXPECT_NE(rte_pktmbuf_append(m, 1500), nullptr);
  rte_pktmbuf_free(m);
  rte_mempool_free(pool);
}

}  // namespace
}  // namespace dplb::dataplane

#include <gtest/gtest.h>

#include "dataplane/port/mbuf_pool_sizing.h"

namespace dplb::dataplane {
namespace {

TEST(MbufPoolSizing, HalfOfMemoryInPowerOfTwoMinusOnePools) {
  MbufPoolPlan plan = plan_mbuf_pools(256, 1, 2, 1024, 1024);
  ASSERT_TRUE(plan.error.empty()) << plan.error;
  EXPECT_EQ(plan.mbufs_per_worker, 32767u);
  EXPECT_LE(uint64_t{plan.mbufs_per_worker} * (kMbufDataRoom + kMbufOverhead), 256ull * 1024 * 1024 / 2);
}

TEST(MbufPoolSizing, WorkersShareTheBudget) {
  MbufPoolPlan one = plan_mbuf_pools(1024, 1, 2, 1024, 1024);
  MbufPoolPlan four = plan_mbuf_pools(1024, 4, 2, 1024, 1024);
  EXPECT_GT(one.mbufs_per_worker, four.mbufs_per_worker);
  EXPECT_GE(four.mbufs_per_worker, 2u * (1024 + 1024));
}

TEST(MbufPoolSizing, TooLittleMemorySaysHowMuchIsNeeded) {
  MbufPoolPlan plan = plan_mbuf_pools(64, 8, 4, 4096, 4096);
  EXPECT_EQ(plan.mbufs_per_worker, 0u);
  EXPECT_EQ(plan.error,
            "dataplane.memory_mb = 64 cannot hold the descriptor rings: 8 worker(s) x 33152 mbufs are needed; raise "
            "memory_mb to at least 1296 or lower the ports' rx_descriptors/tx_descriptors");
}

}  // namespace
}  // namespace dplb::dataplane

#include "dataplane/worker/idle_backoff.h"

#include <gtest/gtest.h>

namespace dplb::dataplane {
namespace {

TEST(IdleBackoff, ZeroFirstSleepMeansBusyPolling) {
  IdleBackoff b(0, 1000);
  EXPECT_EQ(b.idle(0), 0u);
  EXPECT_EQ(b.idle(10'000'000), 0u);
}

TEST(IdleBackoff, NoMaximumMeansTheFixedSleep) {
  for (const uint32_t max : {0u, 20u, 5u}) {
    IdleBackoff b(20, max);
    EXPECT_EQ(b.max_us(), 20u);
    EXPECT_EQ(b.idle(1'000), 20u);
    EXPECT_EQ(b.idle(1'000'000), 20u) << max;
  }
}

// A table over one idle period that starts at t = 1 s.
TEST(IdleBackoff, SleepsGrowWithTheIdleTimeUpToTheMaximum) {
  IdleBackoff b(20, 1000);
  struct Row {
    uint64_t at_us;
    uint32_t sleep_us;
  };
  const Row rows[] = {
      {1'000'000, 20},  // the period starts
      {1'000'100, 20},  // an eighth of 100 is under the first sleep
      {1'000'800, 100},
      {1'004'000, 500},
      {1'008'000, 1000},
      {1'100'000, 1000},  // capped
  };
  for (const Row& r : rows) EXPECT_EQ(b.idle(r.at_us), r.sleep_us) << r.at_us;
}

TEST(IdleBackoff, WorkReturnsToTheFirstSleep) {
  IdleBackoff b(20, 1000);
  b.idle(0);
  EXPECT_EQ(b.idle(100'000), 1000u);
  b.busy();
  EXPECT_EQ(b.idle(100'010), 20u) << "a new idle period";
  EXPECT_EQ(b.idle(100'810), 100u);
}

TEST(IdleBackoff, AClockThatStepsBackStartsAFreshPeriod) {
  IdleBackoff b(20, 1000);
  b.idle(500'000);
  EXPECT_EQ(b.idle(400'000), 20u);
}

}  // namespace
}  // namespace dplb::dataplane

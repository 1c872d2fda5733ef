// The simulated wire itself, over many seeds: what goes in comes out (once,
// in order) on a clean link; loss and duplication happen at the configured
// rates; jitter reorders; bandwidth serialises; and a seed replays exactly.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "tests/sim/sim_link.h"

namespace dplb::testing {
namespace {

using Link = SimLink<uint32_t>;

std::vector<uint32_t> run(Link& link, uint32_t frames, uint64_t spacing_ns) {
  uint64_t now = 0;
  std::vector<uint32_t> got;
  for (uint32_t i = 0; i < frames; ++i, now += spacing_ns) {
    link.send(i, now, 1500);
    for (uint32_t f : link.deliver(now)) got.push_back(f);
  }
  for (uint32_t f : link.deliver(UINT64_MAX - 1)) got.push_back(f);
  return got;
}

TEST(SimLink, ACleanLinkDeliversEverythingOnceInOrder) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Link link({20'000'000, 0, 0.0, 0.0, 0}, seed);
    std::vector<uint32_t> got = run(link, 500, 1000);
    ASSERT_EQ(got.size(), 500u) << "seed " << seed;
    for (uint32_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], i) << "seed " << seed;
  }
}

TEST(SimLink, LossAndDuplicationHappenAtTheirRates) {
  uint64_t sent = 0, lost = 0, duplicated = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Link link({1'000, 0, 0.15, 0.02, 0}, seed);
    run(link, 1000, 10);
    sent += link.stats().sent;
    lost += link.stats().lost;
    duplicated += link.stats().duplicated;
    EXPECT_EQ(link.stats().delivered, link.stats().sent - link.stats().lost + link.stats().duplicated);
  }
  EXPECT_NEAR(static_cast<double>(lost) / sent, 0.15, 0.005);
  EXPECT_NEAR(static_cast<double>(duplicated) / (sent - lost), 0.02, 0.002);
}

TEST(SimLink, JitterReordersButLosesNothing) {
  uint64_t reordered = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Link link({20'000'000, 5'000'000, 0.0, 0.0, 0}, seed);
    std::vector<uint32_t> got = run(link, 300, 100'000);
    ASSERT_EQ(got.size(), 300u);
    std::vector<uint32_t> sorted = got;
    std::sort(sorted.begin(), sorted.end());
    for (uint32_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i) << "seed " << seed;
    reordered += link.stats().reordered;
  }
  EXPECT_GT(reordered, 1000u);
}

TEST(SimLink, BandwidthSerialisesFrames) {
  Link link({0, 0, 0.0, 0.0, 12'000'000}, 1);  // 12 Mbit/s: 1500 bytes take 1 ms
  for (uint32_t i = 0; i < 10; ++i) link.send(i, 0, 1500);
  EXPECT_EQ(link.next_arrival_ns(), 1'000'000u);
  EXPECT_EQ(link.deliver(5'000'000).size(), 5u);
  EXPECT_EQ(link.deliver(10'000'000).size(), 5u);
}

TEST(SimLink, ASeedReplaysExactly) {
  Link a({1'000'000, 3'000'000, 0.1, 0.05, 100'000'000}, 42);
  Link b({1'000'000, 3'000'000, 0.1, 0.05, 100'000'000}, 42);
  EXPECT_EQ(run(a, 2000, 7'000), run(b, 2000, 7'000));
  Link c({1'000'000, 3'000'000, 0.1, 0.05, 100'000'000}, 43);
  EXPECT_NE(run(a, 2000, 7'000), run(c, 2000, 7'000));
}

TEST(SplitMix64, KnownSequence) {
  // First outputs for seed 0, as published with the algorithm.
  SplitMix64 r(0);
  EXPECT_EQ(r.next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(r.next(), 0x6e789e6aa1b965f4ull);
}

}  // namespace
}  // namespace dplb::testing

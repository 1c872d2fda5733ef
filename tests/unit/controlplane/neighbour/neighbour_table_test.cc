// The neighbour table's learning rules and timers, on a virtual clock.

#include <gtest/gtest.h>

#include "controlplane/neighbour/neighbour_table.h"

namespace dplb::controlplane {
namespace {

constexpr MacAddress kMacA = {2, 0, 0, 0, 0, 0xa};
constexpr MacAddress kMacB = {2, 0, 0, 0, 0, 0xb};
constexpr uint32_t kServer = 0x0a63020b;  // 10.99.2.11
constexpr uint32_t kOther = 0x0a63020c;

NeighbourTimers fast() {
  NeighbourTimers t;
  t.reachable_ms = 10'000;
  t.retry_ms = 1'000;
  t.probes = 3;
  t.max_entries = 4;
  return t;
}

using Learned = NeighbourTable::Learned;

TEST(NeighbourTable, OnlyPacketsAddressedToUsCreateEntries) {
  NeighbourTable t(fast());
  EXPECT_EQ(t.observe(1, kServer, kMacA, false, 0), Learned::ignored);
  EXPECT_EQ(t.find(kServer), nullptr);
  EXPECT_EQ(t.observe(1, kServer, kMacA, true, 0), Learned::created);
  ASSERT_NE(t.find(kServer), nullptr);
  EXPECT_EQ(t.find(kServer)->state, NeighbourState::reachable);
  EXPECT_EQ(t.find(kServer)->mac, kMacA);
}

TEST(NeighbourTable, GratuitousArpUpdatesAnExistingEntry) {
  NeighbourTable t(fast());
  t.observe(1, kServer, kMacA, true, 0);
  EXPECT_EQ(t.observe(1, kServer, kMacA, false, 500), Learned::confirmed);
  EXPECT_EQ(t.observe(1, kServer, kMacB, false, 600), Learned::updated);
  EXPECT_EQ(t.find(kServer)->mac, kMacB);
  EXPECT_EQ(t.find(kServer)->changed_ms, 600);
}

TEST(NeighbourTable, PermanentEntriesNeverChangeOrExpire) {
  NeighbourTable t(fast());
  t.add_permanent(1, kServer, kMacA, 0);
  EXPECT_EQ(t.observe(1, kServer, kMacB, true, 10), Learned::permanent_kept);
  EXPECT_EQ(t.find(kServer)->mac, kMacA);
  std::vector<Neighbour> forgotten;
  EXPECT_TRUE(t.tick(10'000'000, &forgotten).empty());
  EXPECT_TRUE(forgotten.empty());
  EXPECT_EQ(t.find(kServer)->state, NeighbourState::permanent);
}

TEST(NeighbourTable, ResolutionRetriesWithBackoffThenGivesUp) {
  NeighbourTable t(fast());
  auto first = t.resolve(1, kServer, 0);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->unicast_to);
  EXPECT_FALSE(t.resolve(1, kServer, 10)) << "already being resolved";
  std::vector<Neighbour> forgotten;
  EXPECT_TRUE(t.tick(999, &forgotten).empty());
  EXPECT_EQ(t.tick(1'000, &forgotten).size(), 1u);  // second probe after 1 s
  EXPECT_TRUE(t.tick(2'999, &forgotten).empty());
  EXPECT_EQ(t.tick(3'000, &forgotten).size(), 1u);  // third after 2 s more
  EXPECT_TRUE(t.tick(6'999, &forgotten).empty());
  EXPECT_TRUE(t.tick(7'000, &forgotten).empty());   // 4 s more: three went unanswered
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_EQ(forgotten[0].state, NeighbourState::incomplete);
  EXPECT_EQ(t.find(kServer), nullptr);
}

TEST(NeighbourTable, AReplyCompletesResolution) {
  NeighbourTable t(fast());
  t.resolve(1, kServer, 0);
  EXPECT_EQ(t.observe(1, kServer, kMacA, true, 300), Learned::updated);
  EXPECT_EQ(t.find(kServer)->state, NeighbourState::reachable);
  EXPECT_TRUE(t.tick(5'000, nullptr).empty());
}

TEST(NeighbourTable, StaleEntriesAreProbedByUnicastAndForgottenWhenSilent) {
  NeighbourTable t(fast());
  t.observe(1, kServer, kMacA, true, 0);
  std::vector<Neighbour> forgotten;
  auto probes = t.tick(10'000, &forgotten);
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].unicast_to, kMacA);
  EXPECT_EQ(t.find(kServer)->state, NeighbourState::stale);
  EXPECT_EQ(t.tick(11'000, &forgotten).size(), 1u);
  EXPECT_EQ(t.tick(12'000, &forgotten).size(), 1u);
  EXPECT_TRUE(t.tick(13'000, &forgotten).empty());
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_EQ(t.find(kServer), nullptr);
}

TEST(NeighbourTable, AnAnswerToAStaleProbeConfirms) {
  NeighbourTable t(fast());
  t.observe(1, kServer, kMacA, true, 0);
  t.tick(10'000, nullptr);
  EXPECT_EQ(t.observe(1, kServer, kMacA, true, 10'050), Learned::confirmed);
  EXPECT_EQ(t.find(kServer)->state, NeighbourState::reachable);
  EXPECT_EQ(t.find(kServer)->next_ms, 20'050);
}

TEST(NeighbourTable, BoundedSize) {
  NeighbourTable t(fast());
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(t.observe(1, kServer + i, kMacA, true, 0), Learned::created);
  EXPECT_EQ(t.observe(1, kServer + 10, kMacA, true, 0), Learned::full);
  EXPECT_FALSE(t.resolve(1, kServer + 11, 0));
  EXPECT_FALSE(t.add_permanent(1, kServer + 20, kMacA, 0)) << "permanent entries respect the bound";
  EXPECT_TRUE(t.add_permanent(1, kServer, kMacB, 0)) << "replacing an entry needs no room";
  EXPECT_TRUE(t.remove(kServer));
  EXPECT_FALSE(t.remove(kServer));
  EXPECT_TRUE(t.resolve(1, kOther + 100, 0));
}

}  // namespace
}  // namespace dplb::controlplane

// Backend balancing: every algorithm's shares and order under weights,
// maxconn (skip, backend queue, server queue), backups, the hashes' stability
// and the key movement of consistent against map-based hashing.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dataplane/balancing/backend_balancer.h"
#include "dataplane/balancing/backend_table.h"

namespace dplb::dataplane {
namespace {

using conf::BalanceAlgorithm;
using conf::HashType;

struct S {
  uint16_t weight = 1;
  bool backup = false;
  bool usable = true;
  uint32_t maxconn = 0;
};

BackendTable make_table(BalanceAlgorithm algorithm, const std::vector<S>& specs,
                        HashType hash_type = HashType::map_based, uint32_t draws = 2) {
  BalancerSettings settings;
  settings.algorithm = algorithm;
  settings.hash_type = hash_type;
  settings.random_draws = draws;
  std::vector<BalancerServer> servers;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    BalancerServer s;
    s.id = static_cast<uint32_t>(i);
    s.weight = specs[i].weight;
    s.backup = specs[i].backup;
    s.usable = specs[i].usable;
    s.maxconn = specs[i].maxconn;
    servers.push_back(s);
  }
  return BackendTable(settings, std::move(servers));
}

std::vector<S> weights(std::initializer_list<uint16_t> ws) {
  std::vector<S> out;
  for (uint16_t w : ws) out.push_back({w});
  return out;
}

uint32_t pick_server(BackendBalancer& b, BalanceKey key = {}) {
  const Pick p = b.pick(key);
  EXPECT_EQ(p.outcome, PickOutcome::server);
  return p.server;
}

std::vector<uint32_t> counts(BackendBalancer& b, std::size_t servers, int picks, bool take = false) {
  std::vector<uint32_t> out(servers, 0);
  for (int i = 0; i < picks; ++i) {
    const uint32_t s = pick_server(b);
    if (take) b.taken(s);
    ++out.at(s);
  }
  return out;
}

std::string sequence(BackendBalancer& b, int picks) {
  std::string out;
  for (int i = 0; i < picks; ++i) out += static_cast<char>('a' + pick_server(b));
  return out;
}

BalanceKey key_of(uint64_t n) { return {true, balance_hash(std::to_string(n))}; }

// ---------------------------------------------------------------- hashes

TEST(BalanceHash, IsFixedAcrossRunsAndBuilds) {
  // Golden values: a change here remaps every client of every hash backend
  // on upgrade, so it must be deliberate.
  EXPECT_EQ(balance_hash(""), 0xefd01f60ba992926ULL) << std::hex << balance_hash("");
  EXPECT_EQ(balance_hash("/index.html"), 0x43f3e2a1af9f1352ULL);
  EXPECT_EQ(balance_hash_ipv4(0x0a000001u), 0x251ce681282fdaa9ULL);  // 10.0.0.1
  EXPECT_NE(balance_hash("/index.html"), balance_hash("/index.htm"));
  EXPECT_NE(balance_hash("ab"), balance_hash("ba"));
}

TEST(BalanceHash, Ipv4IsTheHashOfTheNetworkOrderBytes) {
  for (uint32_t address : {0u, 1u, 0x0a000001u, 0xc0a80101u, 0xffffffffu}) {
    const char bytes[4] = {static_cast<char>(address >> 24), static_cast<char>(address >> 16),
                           static_cast<char>(address >> 8), static_cast<char>(address)};
    EXPECT_EQ(balance_hash_ipv4(address), balance_hash(std::string_view(bytes, 4))) << address;
  }
}

TEST(BalanceHash, NeighbouringAddressesSpreadOverLowBits) {
  // Map-based hashing takes the hash modulo the total weight: consecutive
  // clients of one subnet must still land evenly.
  std::array<uint32_t, 7> buckets{};
  for (uint32_t i = 0; i < 70'000; ++i) ++buckets[balance_hash_ipv4(0x0a000000u + i) % 7];
  for (uint32_t n : buckets) EXPECT_NEAR(n, 10'000.0, 400.0);
  // And over high bits, which the consistent ring uses.
  std::array<uint32_t, 8> top{};
  for (uint32_t i = 0; i < 80'000; ++i) ++top[balance_hash_ipv4(0x0a000000u + i) >> 61];
  for (uint32_t n : top) EXPECT_NEAR(n, 10'000.0, 400.0);
}

// ---------------------------------------------------------------- table

TEST(BackendTable, CandidatesAreUsableActivesWithWeight) {
  const auto table = make_table(BalanceAlgorithm::roundrobin,
                                {{1}, {0}, {1, false, false}, {2}, {1, true}});
  EXPECT_EQ(table.candidates(), (std::vector<uint32_t>{0, 3}));
  EXPECT_FALSE(table.using_backup());
  EXPECT_EQ(table.slots().size(), 3u);
}

TEST(BackendTable, BackupsWhenNoActiveCanTakeTraffic) {
  // Every usable backup with weight, like HAProxy's `option allbackups`.
  const auto down = make_table(BalanceAlgorithm::roundrobin,
                               {{1, false, false}, {1, true}, {0, true}, {2, true}, {1, true, false}});
  EXPECT_EQ(down.candidates(), (std::vector<uint32_t>{1, 3}));
  EXPECT_TRUE(down.using_backup());

  const auto weightless = make_table(BalanceAlgorithm::roundrobin, {{0}, {0}, {1, true}});
  EXPECT_EQ(weightless.candidates(), (std::vector<uint32_t>{2}));
  EXPECT_TRUE(weightless.using_backup());

  const auto none = make_table(BalanceAlgorithm::roundrobin, {{1, false, false}, {1, true, false}, {0, true}});
  EXPECT_TRUE(none.candidates().empty());
  EXPECT_FALSE(none.using_backup());
  EXPECT_EQ(none.server_for_hash(12345), UINT32_MAX);
}

TEST(BackendTable, SlotsInterleaveByWeight) {
  const auto table = make_table(BalanceAlgorithm::static_rr, weights({5, 1, 1}));
  EXPECT_EQ(table.slots(), (std::vector<uint32_t>{0, 0, 0, 1, 2, 0, 0}));
}

// ---------------------------------------------------------------- roundrobin

TEST(BackendBalancer, NoTableOrNoCandidateIsNoServer) {
  BackendBalancer b;
  EXPECT_EQ(b.pick({}).outcome, PickOutcome::no_server);
  EXPECT_FALSE(b.has_room(0));
  for (auto algorithm : {BalanceAlgorithm::roundrobin, BalanceAlgorithm::static_rr, BalanceAlgorithm::leastconn,
                         BalanceAlgorithm::first, BalanceAlgorithm::random, BalanceAlgorithm::source,
                         BalanceAlgorithm::uri, BalanceAlgorithm::hdr}) {
    for (auto hash_type : {HashType::map_based, HashType::consistent}) {
      const auto table = make_table(algorithm, {{1, false, false}, {0}, {1, true, false}}, hash_type);
      b.adopt(&table);
      EXPECT_EQ(b.pick({}).outcome, PickOutcome::no_server);
      EXPECT_EQ(b.pick(key_of(7)).outcome, PickOutcome::no_server);
    }
  }
  b.adopt(nullptr);
  EXPECT_EQ(b.pick({}).outcome, PickOutcome::no_server);
}

TEST(BackendBalancer, RoundRobinSharesAreExactPerRound) {
  struct Case {
    std::vector<S> servers;
    int picks;
    std::vector<uint32_t> expected;
  };
  const Case cases[] = {
      {weights({1, 2, 3}), 600, {100, 200, 300}},
      {weights({1, 1, 1, 1}), 400, {100, 100, 100, 100}},
      {weights({256, 1}), 257 * 3, {768, 3}},
      {weights({3, 0, 1}), 400, {300, 0, 100}},  // weight 0 gets nothing
  };
  for (const Case& c : cases) {
    const auto table = make_table(BalanceAlgorithm::roundrobin, c.servers);
    BackendBalancer b;
    b.adopt(&table);
    EXPECT_EQ(counts(b, c.servers.size(), c.picks), c.expected);
  }
}

TEST(BackendBalancer, RoundRobinIsSmooth) {
  const auto table = make_table(BalanceAlgorithm::roundrobin, weights({5, 1, 1}));
  BackendBalancer b;
  b.adopt(&table);
  EXPECT_EQ(sequence(b, 14), "aabacaaaabacaa");
}

TEST(BackendBalancer, RoundRobinFollowsNewWeightsAndKeepsCounts) {
  const auto before = make_table(BalanceAlgorithm::roundrobin, weights({1, 1}));
  BackendBalancer b;
  b.adopt(&before);
  EXPECT_EQ(sequence(b, 3), "aba");
  b.taken(0);
  b.taken(1);
  b.taken(1);

  const auto after = make_table(BalanceAlgorithm::roundrobin, weights({3, 1}));
  b.adopt(&after);
  EXPECT_EQ(counts(b, 2, 400), (std::vector<uint32_t>{300, 100}));
  EXPECT_EQ(b.in_flight(0), 1u);
  EXPECT_EQ(b.in_flight(1), 2u);

  // A server's weight set to 0 (drain) stops its traffic at once.
  const auto drained = make_table(BalanceAlgorithm::roundrobin, weights({3, 0}));
  b.adopt(&drained);
  EXPECT_EQ(counts(b, 2, 50), (std::vector<uint32_t>{50, 0}));
}

TEST(BackendBalancer, AdoptKeepsInFlightByIdAndShrinks) {
  const auto three = make_table(BalanceAlgorithm::roundrobin, weights({1, 1, 1}));
  BackendBalancer b;
  b.adopt(&three);
  b.taken(0);
  b.taken(2);
  b.taken(2);
  const auto two = make_table(BalanceAlgorithm::roundrobin, weights({1, 1}));
  b.adopt(&two);
  EXPECT_EQ(b.in_flight(0), 1u);
  EXPECT_EQ(b.in_flight(2), 0u);
  b.released(2);  // a server that is gone: ignored
  b.adopt(&three);
  EXPECT_EQ(b.in_flight(0), 1u);
  EXPECT_EQ(b.in_flight(2), 0u);
}

TEST(BackendBalancer, ReleasedNeverUnderflows) {
  const auto table = make_table(BalanceAlgorithm::roundrobin, {{1, false, true, 1}});
  BackendBalancer b;
  b.adopt(&table);
  b.released(0);
  EXPECT_EQ(b.in_flight(0), 0u);
  b.taken(0);
  EXPECT_FALSE(b.has_room(0));
  b.released(0);
  b.released(0);
  EXPECT_EQ(b.in_flight(0), 0u);
  EXPECT_TRUE(b.has_room(0));
  b.taken(99);  // out of range: ignored
  EXPECT_EQ(b.in_flight(99), 0u);
  EXPECT_FALSE(b.has_room(99));
}

// ---------------------------------------------------------------- maxconn

TEST(BackendBalancer, EveryAlgorithmSkipsFullServersAndQueuesWhenAllAreFull) {
  for (auto algorithm : {BalanceAlgorithm::roundrobin, BalanceAlgorithm::static_rr, BalanceAlgorithm::leastconn,
                         BalanceAlgorithm::first, BalanceAlgorithm::random, BalanceAlgorithm::hdr}) {
    SCOPED_TRACE(static_cast<int>(algorithm));
    const auto table = make_table(algorithm, {{1, false, true, 2}, {3, false, true, 1}, {2, false, true, 3}});
    BackendBalancer b(42);
    b.adopt(&table);
    std::vector<uint32_t> got(3, 0);
    for (int i = 0; i < 6; ++i) {
      const Pick p = b.pick({});  // hdr() without the header: round robin
      ASSERT_EQ(p.outcome, PickOutcome::server) << i;
      ASSERT_TRUE(b.has_room(p.server));
      b.taken(p.server);
      ++got[p.server];
    }
    EXPECT_EQ(got, (std::vector<uint32_t>{2, 1, 3}));
    EXPECT_EQ(b.pick({}).outcome, PickOutcome::queue_backend);
    b.released(1);
    const Pick p = b.pick({});
    EXPECT_EQ(p.outcome, PickOutcome::server);
    EXPECT_EQ(p.server, 1u);
  }
}

TEST(BackendBalancer, HashQueuesOnTheHashedServerWhenItIsFull) {
  for (auto hash_type : {HashType::map_based, HashType::consistent}) {
    const auto table = make_table(BalanceAlgorithm::source, {{1, false, true, 1}, {1, false, true, 1}}, hash_type);
    BackendBalancer b;
    b.adopt(&table);
    const BalanceKey key = key_of(1);
    const Pick first = b.pick(key);
    ASSERT_EQ(first.outcome, PickOutcome::server);
    b.taken(first.server);
    const Pick again = b.pick(key);
    EXPECT_EQ(again.outcome, PickOutcome::queue_server);
    EXPECT_EQ(again.server, first.server);
    // The other server has room, yet the key keeps its affinity.
    EXPECT_TRUE(b.has_room(1 - first.server));
    b.released(first.server);
    const Pick freed = b.pick(key);
    EXPECT_EQ(freed.outcome, PickOutcome::server);
    EXPECT_EQ(freed.server, first.server);
  }
}

// ---------------------------------------------------------------- static-rr

TEST(BackendBalancer, StaticRoundRobinWalksTheWeightedSequence) {
  const auto table = make_table(BalanceAlgorithm::static_rr, weights({1, 2, 3}));
  BackendBalancer b;
  b.adopt(&table);
  EXPECT_EQ(counts(b, 3, 600), (std::vector<uint32_t>{100, 200, 300}));
  EXPECT_EQ(sequence(b, 12), "cbacbccbacbc");

  const auto smooth = make_table(BalanceAlgorithm::static_rr, weights({5, 1, 1}));
  b.adopt(&smooth);
  b.pick({});
  // Wherever the cursor was, the walk is the table's slot order.
  std::string seq = sequence(b, 14);
  EXPECT_NE(seq.find("aaabcaa"), std::string::npos) << seq;
}

TEST(BackendBalancer, StaticRoundRobinSkipsAFullServerWithoutLosingOrder) {
  const auto table = make_table(BalanceAlgorithm::static_rr, {{1, false, true, 0}, {1, false, true, 1}, {1}});
  BackendBalancer b;
  b.adopt(&table);
  b.taken(1);
  EXPECT_EQ(sequence(b, 6), "acacac");
  b.released(1);
  EXPECT_EQ(sequence(b, 3), "abc");
}

// ---------------------------------------------------------------- leastconn

TEST(BackendBalancer, LeastConnPicksTheLeastLoadedRelativeToWeight) {
  struct Case {
    std::vector<uint16_t> weights;
    std::vector<uint32_t> loads;
    uint32_t expected;
  };
  const Case cases[] = {
      {{1, 1, 1}, {3, 1, 2}, 1},
      {{1, 1, 1}, {0, 5, 5}, 0},
      {{1, 4, 1}, {1, 6, 2}, 1},  // 2, 1.75, 3
      {{1, 4}, {0, 3}, 0},        // (0+1)/1=1 vs (3+1)/4=1: tie, first in rotation
      {{2, 1}, {1, 0}, 0},        // 1 vs 1: tie, first in rotation
      {{1, 2}, {1, 2}, 1},        // 2 vs 1.5
  };
  for (const Case& c : cases) {
    BackendTable table = make_table(BalanceAlgorithm::leastconn, [&] {
      std::vector<S> s;
      for (uint16_t w : c.weights) s.push_back({w});
      return s;
    }());
    BackendBalancer b;
    b.adopt(&table);
    for (uint32_t id = 0; id < c.loads.size(); ++id) {
      for (uint32_t n = 0; n < c.loads[id]; ++n) b.taken(id);
    }
    EXPECT_EQ(pick_server(b), c.expected);
  }
}

TEST(BackendBalancer, LeastConnRotatesTies) {
  const auto table = make_table(BalanceAlgorithm::leastconn, weights({1, 1, 1, 1}));
  BackendBalancer b;
  b.adopt(&table);
  // Without taking, all stay tied: round robin.
  EXPECT_EQ(sequence(b, 8), "abcdabcd");
  // Taking each, loads stay level and the rotation still covers everyone.
  EXPECT_EQ(counts(b, 4, 400, true), (std::vector<uint32_t>{100, 100, 100, 100}));
  // One busier server drops out of the rotation until the others catch up.
  b.taken(2);
  EXPECT_EQ(sequence(b, 3).find('c'), std::string::npos);
}

TEST(BackendBalancer, LeastConnFollowsWeightsUnderLoad) {
  const auto table = make_table(BalanceAlgorithm::leastconn, weights({1, 3}));
  BackendBalancer b;
  b.adopt(&table);
  EXPECT_EQ(counts(b, 2, 400, true), (std::vector<uint32_t>{100, 300}));
}

// ---------------------------------------------------------------- first

TEST(BackendBalancer, FirstFillsServersInConfigurationOrder) {
  const auto table = make_table(BalanceAlgorithm::first,
                                {{1, false, false, 2}, {5, false, true, 2}, {0, false, true, 2}, {1, false, true, 3}});
  BackendBalancer b;
  b.adopt(&table);
  std::string order;
  for (int i = 0; i < 5; ++i) {
    const uint32_t s = pick_server(b);
    b.taken(s);
    order += static_cast<char>('a' + s);
  }
  EXPECT_EQ(order, "bbddd");  // a is down, c has weight 0; weights do not matter otherwise
  EXPECT_EQ(b.pick({}).outcome, PickOutcome::queue_backend);
  b.released(1);
  EXPECT_EQ(pick_server(b), 1u);

  const auto unlimited = make_table(BalanceAlgorithm::first, weights({1, 1}));
  b.adopt(&unlimited);
  EXPECT_EQ(counts(b, 2, 100, true), (std::vector<uint32_t>{100, 0}));
}

// ---------------------------------------------------------------- random

TEST(BackendBalancer, RandomRespectsWeights) {
  const auto table = make_table(BalanceAlgorithm::random, weights({1, 3}), HashType::map_based, 2);
  BackendBalancer b(7);
  b.adopt(&table);
  const auto got = counts(b, 2, 40'000);
  // Nothing is in flight, so the first draw wins: shares are the weights'.
  EXPECT_NEAR(got[0], 10'000.0, 400.0);
  EXPECT_NEAR(got[1], 30'000.0, 400.0);
}

TEST(BackendBalancer, RandomPrefersTheLessLoaded) {
  const auto table = make_table(BalanceAlgorithm::random, weights({1, 1, 1, 1}), HashType::map_based, 2);
  BackendBalancer b(11);
  b.adopt(&table);
  for (int i = 0; i < 10; ++i) b.taken(0);
  const auto got = counts(b, 4, 40'000);
  // Server 0 wins only when both draws hit it: 1/16 of the time.
  EXPECT_NEAR(got[0], 2'500.0, 300.0);
  for (int s = 1; s < 4; ++s) EXPECT_NEAR(got[s], 12'500.0, 500.0);

  // One draw is plain weighted random, blind to load.
  const auto one = make_table(BalanceAlgorithm::random, weights({1, 1, 1, 1}), HashType::map_based, 1);
  b.adopt(&one);
  EXPECT_NEAR(counts(b, 4, 40'000)[0], 10'000.0, 500.0);

  // Taking every pick, two choices keep the loads close together.
  const auto fresh = make_table(BalanceAlgorithm::random, weights({1, 1, 1, 1}), HashType::map_based, 2);
  BackendBalancer loaded(3);
  loaded.adopt(&fresh);
  const auto spread = counts(loaded, 4, 4'000, true);
  for (uint32_t n : spread) EXPECT_NEAR(n, 1'000.0, 10.0);
}

TEST(BackendBalancer, RandomFindsRoomWhenEveryDrawIsFull) {
  const auto table = make_table(BalanceAlgorithm::random, {{255, false, true, 1}, {1}}, HashType::map_based, 2);
  BackendBalancer b(5);
  b.adopt(&table);
  b.taken(0);
  // Almost every draw hits the full heavy server; the light one still gets the request.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(pick_server(b), 1u);
}

TEST(BackendBalancer, RandomIsReproducibleFromItsSeed) {
  const auto table = make_table(BalanceAlgorithm::random, weights({1, 1, 1, 1}));
  BackendBalancer a(99), b(99), c(100);
  a.adopt(&table);
  b.adopt(&table);
  c.adopt(&table);
  const std::string sa = sequence(a, 64);
  EXPECT_EQ(sa, sequence(b, 64));
  EXPECT_NE(sa, sequence(c, 64));
}

// ---------------------------------------------------------------- hashing

TEST(BackendBalancer, HashAvoidingAFailedServerMovesTheKeyToItsNextServer) {
  for (auto hash_type : {HashType::map_based, HashType::consistent}) {
    const auto table = make_table(BalanceAlgorithm::uri, weights({1, 2, 1, 3}), hash_type);
    BackendBalancer b;
    b.adopt(&table);
    std::vector<uint32_t> moved_to(4, 0);
    for (uint64_t k = 0; k < 2000; ++k) {
      const uint32_t home = table.server_for_hash(key_of(k).hash);
      const Pick p = b.pick(key_of(k), server_set_with(0, home));
      ASSERT_EQ(p.outcome, PickOutcome::server);
      EXPECT_NE(p.server, home) << "key " << k;
      EXPECT_EQ(b.pick(key_of(k), server_set_with(0, home)).server, p.server);  // the same target every time
      // A second failure moves it on again, to neither of the two.
      const Pick third = b.pick(key_of(k), server_set_with(server_set_with(0, home), p.server));
      EXPECT_NE(third.server, home);
      EXPECT_NE(third.server, p.server);
      EXPECT_EQ(b.pick(key_of(k)).server, home);            // and the key's home is unchanged
      ++moved_to[p.server];
    }
    // The retries spread over the other servers, not onto one.
    for (uint32_t i = 0; i < 4; ++i) EXPECT_GT(moved_to[i], 100u) << "server " << i;
  }
  const auto alone = make_table(BalanceAlgorithm::uri, weights({1}), HashType::consistent);
  EXPECT_EQ(alone.server_for_hash(key_of(1).hash, server_set_with(0, 0)), 0u);  // the only candidate, again
}

TEST(BackendBalancer, AvoidingAFailedServerPicksAnotherWithRoom) {
  for (auto algorithm : {BalanceAlgorithm::first, BalanceAlgorithm::leastconn, BalanceAlgorithm::random}) {
    const auto table = make_table(algorithm, weights({1, 1, 1}));
    BackendBalancer b;
    b.adopt(&table);
    for (int i = 0; i < 50; ++i) {
      const Pick p = b.pick({}, server_set_with(0, 0));
      ASSERT_EQ(p.outcome, PickOutcome::server);
      EXPECT_NE(p.server, 0u) << "algorithm " << static_cast<int>(algorithm);
      const Pick q = b.pick({}, server_set_with(server_set_with(0, 0), 1));
      EXPECT_EQ(q.server, 2u) << "algorithm " << static_cast<int>(algorithm);  // the one left
      EXPECT_EQ(b.pick({}, 0b111).outcome, PickOutcome::server);  // all failed: one is used again
    }
    const auto alone = make_table(algorithm, weights({1}));
    b.adopt(&alone);
    EXPECT_EQ(b.pick({}, server_set_with(0, 0)).server, 0u);  // the only candidate is used again
  }
}

TEST(BackendBalancer, HashKeepsAKeyOnItsServer) {
  for (auto algorithm : {BalanceAlgorithm::source, BalanceAlgorithm::uri, BalanceAlgorithm::hdr}) {
    for (auto hash_type : {HashType::map_based, HashType::consistent}) {
      const auto table = make_table(algorithm, weights({1, 2, 1, 3}), hash_type);
      BackendBalancer one(1), other(2);
      one.adopt(&table);
      other.adopt(&table);
      for (uint64_t k = 0; k < 1000; ++k) {
        const uint32_t s = pick_server(one, key_of(k));
        EXPECT_EQ(pick_server(one, key_of(k)), s);
        EXPECT_EQ(pick_server(other, key_of(k)), s);  // every worker agrees
        EXPECT_EQ(table.server_for_hash(key_of(k).hash), s);
      }
    }
  }
}

std::vector<uint32_t> key_owners(const BackendTable& table, uint64_t keys) {
  std::vector<uint32_t> out;
  out.reserve(keys);
  for (uint64_t k = 0; k < keys; ++k) out.push_back(table.server_for_hash(key_of(k).hash));
  return out;
}

TEST(BackendTable, HashSharesFollowWeights) {
  struct Case {
    HashType hash_type;
    std::vector<uint16_t> weights;
    double tolerance;  // relative to each server's expected share
  };
  // Map-based is exact up to sampling noise. A consistent ring's shares stray
  // by about 1/sqrt(points) (12% at weight 1); the ring is fixed, so these
  // bounds sit a little above what it gives, low enough to catch a ring with
  // too few points or poorly spread ones.
  const Case cases[] = {
      {HashType::map_based, {1, 1, 1, 1}, 0.03},
      {HashType::map_based, {1, 2, 3, 4}, 0.04},
      {HashType::map_based, {10, 256, 1}, 0.15},
      {HashType::consistent, {1, 1, 1, 1}, 0.15},
      {HashType::consistent, {1, 2, 3, 4}, 0.20},
      {HashType::consistent, {1, 1, 1, 1, 1, 1, 1, 1}, 0.30},
      {HashType::consistent, {10, 10, 10, 10, 10}, 0.10},
      {HashType::consistent, {100, 200, 100}, 0.03},
  };
  constexpr uint64_t kKeys = 100'000;
  for (const Case& c : cases) {
    std::vector<S> specs;
    double total = 0;
    for (uint16_t w : c.weights) {
      specs.push_back({w});
      total += w;
    }
    const auto table = make_table(BalanceAlgorithm::uri, specs, c.hash_type);
    std::vector<uint32_t> got(c.weights.size(), 0);
    for (uint32_t s : key_owners(table, kKeys)) ++got.at(s);
    for (std::size_t i = 0; i < got.size(); ++i) {
      const double expected = kKeys * c.weights[i] / total;
      EXPECT_NEAR(got[i], expected, expected * c.tolerance)
          << "hash type " << static_cast<int>(c.hash_type) << " server " << i;
    }
  }
}

TEST(BackendTable, ConsistentHashMovesOnlyTheRemovedServersKeys) {
  constexpr uint64_t kKeys = 100'000;
  const auto all = make_table(BalanceAlgorithm::source, weights({1, 1, 1, 1}), HashType::consistent);
  const auto before = key_owners(all, kKeys);
  for (uint32_t removed = 0; removed < 4; ++removed) {
    std::vector<S> specs = weights({1, 1, 1, 1});
    specs[removed].usable = false;
    const auto three = make_table(BalanceAlgorithm::source, specs, HashType::consistent);
    const auto after = key_owners(three, kKeys);
    std::array<uint32_t, 4> moved_to{};
    uint32_t moved = 0;
    for (uint64_t k = 0; k < kKeys; ++k) {
      if (before[k] != removed) {
        ASSERT_EQ(after[k], before[k]) << "key " << k << " was not on server " << removed;
      } else {
        ASSERT_NE(after[k], removed);
        ++moved_to[after[k]];
        ++moved;
      }
    }
    // The orphaned keys spread over the survivors rather than all falling on one.
    for (uint32_t s = 0; s < 4; ++s) {
      if (s != removed) {
        EXPECT_GT(moved_to[s], moved / 10) << "removed " << removed << " to " << s;
      }
    }

    // Back up again: every key returns where it was.
    EXPECT_EQ(key_owners(all, kKeys), before);
  }
}

TEST(BackendTable, ConsistentHashWeightIncreaseOnlyPullsKeys) {
  constexpr uint64_t kKeys = 50'000;
  const auto before = key_owners(make_table(BalanceAlgorithm::uri, weights({1, 1, 1}), HashType::consistent), kKeys);
  const auto after = key_owners(make_table(BalanceAlgorithm::uri, weights({1, 3, 1}), HashType::consistent), kKeys);
  uint32_t moved = 0;
  for (uint64_t k = 0; k < kKeys; ++k) {
    if (after[k] != before[k]) {
      EXPECT_EQ(after[k], 1u);
      ++moved;
    }
  }
  EXPECT_GT(moved, kKeys / 5);
}

TEST(BackendTable, MapBasedHashRemapsMoreThanTheRemovedServersKeys) {
  constexpr uint64_t kKeys = 100'000;
  const auto before = key_owners(make_table(BalanceAlgorithm::source, weights({1, 1, 1, 1}), HashType::map_based),
                                 kKeys);
  std::vector<S> specs = weights({1, 1, 1, 1});
  specs[3].usable = false;
  const auto after = key_owners(make_table(BalanceAlgorithm::source, specs, HashType::map_based), kKeys);
  uint32_t orphaned = 0, moved = 0;
  for (uint64_t k = 0; k < kKeys; ++k) {
    if (before[k] == 3) ++orphaned;
    if (after[k] != before[k]) ++moved;
  }
  // hash % 4 against hash % 3: only keys agreeing on both stay, about a quarter.
  EXPECT_GT(moved, 2 * orphaned);
}

TEST(BackendBalancer, HashWithoutAKeyIsRoundRobin) {
  for (auto algorithm : {BalanceAlgorithm::hdr, BalanceAlgorithm::uri, BalanceAlgorithm::source}) {
    for (auto hash_type : {HashType::map_based, HashType::consistent}) {
      const auto table = make_table(algorithm, weights({5, 1, 1}), hash_type);
      BackendBalancer b;
      b.adopt(&table);
      EXPECT_EQ(sequence(b, 7), "aabacaa");
      EXPECT_EQ(counts(b, 3, 700), (std::vector<uint32_t>{500, 100, 100}));
    }
  }
}

// ---------------------------------------------------------------- backup

TEST(BackendBalancer, BackupsOnlyWhenNoActiveCanTakeTraffic) {
  BackendBalancer b;
  const auto mixed = make_table(BalanceAlgorithm::roundrobin, {{1}, {1, true}, {1}, {1, true}});
  b.adopt(&mixed);
  EXPECT_EQ(counts(b, 4, 100), (std::vector<uint32_t>{50, 0, 50, 0}));

  // Full actives queue; they are still there, so backups stay out.
  const auto full = make_table(BalanceAlgorithm::roundrobin, {{1, false, true, 1}, {1, true}});
  b.adopt(&full);
  b.taken(0);
  EXPECT_EQ(b.pick({}).outcome, PickOutcome::queue_backend);
  b.released(0);

  // All actives down: every backup shares the load (allbackups).
  const auto down = make_table(BalanceAlgorithm::roundrobin, {{1, false, false}, {1, true}, {1, false, false}, {2, true}});
  b.adopt(&down);
  EXPECT_TRUE(down.using_backup());
  EXPECT_EQ(counts(b, 4, 300), (std::vector<uint32_t>{0, 100, 0, 200}));

  // Actives up but weight 0 count as unable too.
  const auto weightless = make_table(BalanceAlgorithm::leastconn, {{0}, {1, true}, {0}});
  b.adopt(&weightless);
  EXPECT_EQ(counts(b, 3, 10), (std::vector<uint32_t>{0, 10, 0}));

  const auto nothing = make_table(BalanceAlgorithm::roundrobin, {{1, false, false}, {1, true, false}});
  b.adopt(&nothing);
  EXPECT_EQ(b.pick({}).outcome, PickOutcome::no_server);
}

}  // namespace
}  // namespace dplb::dataplane

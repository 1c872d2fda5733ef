// The timer wheel on a virtual clock: exact firing ticks across all levels,
// cancel and re-arm (also from inside a callback), and a seeded property
// test against a reference model.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

#include "dataplane/base/timer_wheel.h"

namespace dplb::dataplane {
namespace {

struct Probe : Timer {
  int id = 0;
  std::vector<uint64_t> fired_at;
};

TEST(TimerWheel, FiresExactlyAtItsTickOnEveryLevel) {
  const uint64_t deadlines[] = {1, 2, 255, 256, 257, 1000, 65535, 65536, 65537, 70'000, 5'000'000, 16'777'217,
                                40'000'000};
  for (uint64_t start : {uint64_t{0}, uint64_t{123'456'789}}) {
    TimerWheel wheel(start);
    std::vector<Probe> probes(std::size(deadlines));
    for (std::size_t i = 0; i < probes.size(); ++i) wheel.schedule(probes[i], start + deadlines[i]);
    EXPECT_EQ(wheel.armed(), probes.size());
    wheel.advance(start + 40'000'001, [&](Timer& t) { static_cast<Probe&>(t).fired_at.push_back(wheel.now()); });
    for (std::size_t i = 0; i < probes.size(); ++i) {
      EXPECT_EQ(probes[i].fired_at, std::vector<uint64_t>{start + deadlines[i]}) << "deadline +" << deadlines[i];
    }
    EXPECT_EQ(wheel.armed(), 0u);
  }
}

TEST(TimerWheel, CancelAndRearm) {
  TimerWheel wheel;
  Probe a, b;
  wheel.schedule(a, 10);
  wheel.schedule(b, 20);
  wheel.cancel(a);
  EXPECT_FALSE(a.armed());
  wheel.schedule(b, 5);  // re-arming moves it
  std::vector<uint64_t> fired;
  wheel.advance(100, [&](Timer&) { fired.push_back(wheel.now()); });
  EXPECT_EQ(fired, std::vector<uint64_t>{5});
  wheel.cancel(a);  // cancelling a disarmed timer is harmless
}

TEST(TimerWheel, PastDeadlinesFireAtTheNextTick) {
  TimerWheel wheel(50);
  Probe p;
  wheel.schedule(p, 10);
  EXPECT_EQ(p.expires, 51u);
  EXPECT_EQ(wheel.advance(51, [](Timer&) {}), 1u);
}

TEST(TimerWheel, ACallbackMayRearmItsTimer) {
  TimerWheel wheel;
  Probe p;
  wheel.schedule(p, 100);
  int fired = 0;
  wheel.advance(1'000, [&](Timer& t) {
    ++fired;
    if (fired < 5) wheel.schedule(t, wheel.now() + 100);  // like a retransmission timer
  });
  EXPECT_EQ(fired, 5);
  EXPECT_FALSE(p.armed());
}

TEST(TimerWheel, TimersAndTheWheelMayBeDestroyedInEitherOrder) {
  auto wheel = std::make_unique<TimerWheel>();
  auto early = std::make_unique<Probe>();
  Probe late;
  wheel->schedule(*early, 10);
  wheel->schedule(late, 20);
  early.reset();  // an armed timer destroyed first: it leaves the wheel
  EXPECT_EQ(wheel->armed(), 1u);
  std::vector<uint64_t> fired;
  wheel->advance(15, [&](Timer&) { fired.push_back(wheel->now()); });
  EXPECT_TRUE(fired.empty());
  wheel.reset();  // the wheel destroyed first: its timers are disarmed
  EXPECT_FALSE(late.armed());
}

TEST(TimerWheel, IdleWheelJumps) {
  TimerWheel wheel;
  EXPECT_EQ(wheel.advance(1'000'000'000, [](Timer&) {}), 0u);
  EXPECT_EQ(wheel.now(), 1'000'000'000u);
}

TEST(TimerWheel, SeededScheduleCancelRearmMatchesAReferenceModel) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    TimerWheel wheel(random() % 1'000'000);
    std::vector<Probe> probes(300);
    std::map<int, uint64_t> expected;  // id -> expiry, for armed timers
    for (int i = 0; i < 300; ++i) probes[i].id = i;
    std::map<int, uint64_t> fired;
    const uint64_t end = wheel.now() + 200'000;
    while (wheel.now() < end) {
      for (int op = 0; op < 5; ++op) {
        Probe& p = probes[random() % probes.size()];
        const uint64_t kind = random() % 10;
        if (kind < 6) {
          const uint64_t delay = 1 + random() % (kind < 3 ? 300 : 100'000);
          wheel.schedule(p, wheel.now() + delay);
          expected[p.id] = wheel.now() + delay;
        } else if (kind < 8) {
          wheel.cancel(p);
          expected.erase(p.id);
        }
      }
      const uint64_t next = wheel.now() + 1 + random() % 500;
      wheel.advance(next, [&](Timer& t) {
        auto& probe = static_cast<Probe&>(t);
        ASSERT_TRUE(expected.count(probe.id)) << "seed " << seed << ": timer " << probe.id << " fired unarmed";
        ASSERT_EQ(expected[probe.id], wheel.now()) << "seed " << seed << ": timer " << probe.id << " fired off time";
        expected.erase(probe.id);
      });
      for (const auto& [id, at] : expected) ASSERT_GT(at, wheel.now()) << "seed " << seed << ": timer " << id << " late";
    }
    EXPECT_EQ(wheel.armed(), expected.size()) << "seed " << seed;
  }
}

}  // namespace
}  // namespace dplb::dataplane

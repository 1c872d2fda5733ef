// The VRRP state machine on a virtual clock: every RFC 3768 / RFC 5798
// transition with keepalived's timings, alone and as pairs of instances that
// exchange real adverts through the codec (build_vrrp_frame, then
// parse_vrrp_ipv4_packet) like two boxes on one segment.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "vrrp/vrrp_advert.h"
#include "vrrp/vrrp_instance.h"
#include "vrrp/vrrp_timing.h"

namespace dplb::vrrp {
namespace {

constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 |
         static_cast<uint32_t>(c) << 8 | d;
}

constexpr uint32_t kLb1 = ipv4(10, 99, 1, 2);
constexpr uint32_t kLb2 = ipv4(10, 99, 1, 3);
constexpr uint32_t kVip = ipv4(10, 99, 1, 10);
constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMs = 1'000;

using Kind = VrrpAction::Kind;

VrrpInstanceSettings make_settings(uint8_t priority, uint32_t address = kLb2, uint8_t version = 2,
                                   uint16_t interval_cs = 100) {
  VrrpInstanceSettings s;
  s.name = "VI_1";
  s.vrid = 101;
  s.priority = priority;
  s.version = version;
  s.advert_interval_cs = interval_cs;
  s.primary_address = address;
  s.virtual_addresses = {kVip};
  if (version == 2) {
    s.auth_pass = true;
    s.auth_data = vrrp_auth_pass_bytes("12345678");
  }
  return s;
}

// An advert from a peer, as the codec would hand it over.
VrrpPacket advert_from(uint32_t source, uint8_t priority, uint8_t version = 2,
                       uint16_t interval_cs = 100) {
  VrrpInstanceSettings peer = make_settings(priority, source, version, interval_cs);
  VrrpInstance sender(peer);
  VrrpPacket p;
  p.advert = sender.make_advert(priority);
  p.source = source;
  p.destination = kVrrpMulticastGroup;
  return p;
}

std::vector<Kind> kinds(const std::vector<VrrpAction>& actions) {
  std::vector<Kind> out;
  for (const VrrpAction& a : actions) out.push_back(a.kind);
  return out;
}

const VrrpAction* find_kind(const std::vector<VrrpAction>& actions, Kind kind) {
  for (const VrrpAction& a : actions) {
    if (a.kind == kind) return &a;
  }
  return nullptr;
}

std::size_t count_kind(const std::vector<VrrpAction>& actions, Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(actions.begin(), actions.end(), [kind](const VrrpAction& a) { return a.kind == kind; }));
}

// Drives one instance like the control loop would: tick at each deadline up
// to `until`, collecting the actions.
std::vector<VrrpAction> run_until(VrrpInstance& vi, int64_t until) {
  std::vector<VrrpAction> all;
  while (vi.next_deadline_us() <= until) {
    vi.tick(vi.next_deadline_us());
    auto got = vi.take_actions();
    all.insert(all.end(), got.begin(), got.end());
  }
  return all;
}

// ---- startup and timing ----

struct DownRow {
  uint8_t version;
  uint8_t priority;
  uint16_t interval_cs;
  int64_t master_down_us;  // computed independently: 3 * interval + skew
};

TEST(VrrpInstance, BackupBecomesMasterAfterMasterDownInterval) {
  const DownRow rows[] = {
      {2, 101, 100, 3'605'468},  // 3 s + 155/256 s: the reference lb1
      {2, 50, 100, 3'804'687},   // lb2
      {2, 254, 200, 6'007'812},  // v2 skew ignores the interval
      {3, 101, 100, 3'605'468},
      {3, 101, 10, 360'546},
      {3, 200, 1, 32'187},
  };
  for (const DownRow& row : rows) {
    SCOPED_TRACE(testing::Message() << "v" << int(row.version) << " prio " << int(row.priority)
                                    << " " << row.interval_cs << " cs");
    EXPECT_EQ(vrrp_master_down_interval_us(row.version, row.priority, row.interval_cs),
              row.master_down_us);
    VrrpInstance vi(make_settings(row.priority, kLb2, row.version, row.interval_cs));
    const int64_t t0 = 7 * kSecond;
    vi.start(t0);
    EXPECT_EQ(vi.state(), VrrpState::backup);
    auto start = vi.take_actions();
    ASSERT_EQ(start.size(), 1u);
    EXPECT_EQ(start[0].to, VrrpState::backup);
    EXPECT_EQ(start[0].reason, VrrpReason::startup);
    EXPECT_EQ(vi.next_deadline_us(), t0 + row.master_down_us);

    vi.tick(t0 + row.master_down_us - 1);
    EXPECT_EQ(vi.state(), VrrpState::backup);
    EXPECT_TRUE(vi.take_actions().empty());

    vi.tick(t0 + row.master_down_us);
    EXPECT_EQ(vi.state(), VrrpState::master);
    const auto acts = vi.take_actions();
    EXPECT_EQ(kinds(acts), (std::vector<Kind>{Kind::state_changed, Kind::take_addresses,
                                              Kind::send_garp, Kind::send_advert}));
    EXPECT_EQ(acts[0].from, VrrpState::backup);
    EXPECT_EQ(acts[0].reason, VrrpReason::master_no_response);
    EXPECT_EQ(acts[3].priority, row.priority);
    EXPECT_EQ(vi.next_deadline_us(), t0 + row.master_down_us + row.interval_cs * 10'000);
  }
}

TEST(VrrpInstance, MasterAdvertisesEveryInterval) {
  VrrpInstance vi(make_settings(101));
  vi.start(0);
  const auto acts = run_until(vi, 3'605'468 + 10 * kSecond);
  std::vector<int64_t> advert_times;
  for (const VrrpAction& a : acts) {
    if (a.kind == Kind::send_advert) advert_times.push_back(a.at_us);
  }
  ASSERT_EQ(advert_times.size(), 11u);
  for (std::size_t i = 0; i < advert_times.size(); ++i) {
    EXPECT_EQ(advert_times[i], 3'605'468 + static_cast<int64_t>(i) * kSecond);
  }
  EXPECT_EQ(vi.counters().adverts_sent, 11u);
  EXPECT_EQ(vi.counters().became_master, 1u);
}

TEST(VrrpInstance, AddressOwnerIsMasterAtOnce) {
  VrrpInstance vi(make_settings(255));
  vi.start(5);
  EXPECT_EQ(vi.state(), VrrpState::master);
  const auto acts = vi.take_actions();
  ASSERT_FALSE(acts.empty());
  EXPECT_EQ(acts[0].from, VrrpState::initialize);
  EXPECT_EQ(acts[0].reason, VrrpReason::address_owner);
  const VrrpAction* advert = find_kind(acts, Kind::send_advert);
  ASSERT_NE(advert, nullptr);
  EXPECT_EQ(advert->priority, 255);
}

TEST(VrrpInstance, StateMasterBelowOwnerStartsAsBackupLikeKeepalived) {
  VrrpInstanceSettings s = make_settings(101, kLb1);
  s.initial_state = VrrpInitialState::master;
  VrrpInstance vi(s);
  vi.start(0);
  EXPECT_EQ(vi.state(), VrrpState::backup);
  EXPECT_EQ(vi.next_deadline_us(), 3'605'468);
}

TEST(VrrpInstance, NormalizesContradictorySettingsLikeKeepalived) {
  VrrpInstanceSettings owner = make_settings(255);
  owner.preempt = false;
  VrrpInstance a(owner);
  EXPECT_TRUE(a.settings().preempt);
  EXPECT_EQ(a.settings().initial_state, VrrpInitialState::master);
  EXPECT_EQ(a.notes().size(), 2u);

  VrrpInstanceSettings master = make_settings(100);
  master.initial_state = VrrpInitialState::master;
  master.preempt = false;
  master.preempt_delay_us = 5 * kSecond;
  VrrpInstance b(master);
  EXPECT_TRUE(b.settings().preempt);
  EXPECT_EQ(b.settings().preempt_delay_us, 0);

  VrrpInstanceSettings nopreempt = make_settings(100);
  nopreempt.preempt = false;
  nopreempt.preempt_delay_us = 5 * kSecond;
  VrrpInstance c(nopreempt);
  EXPECT_FALSE(c.settings().preempt);
  EXPECT_EQ(c.settings().preempt_delay_us, 0);
  EXPECT_EQ(validate_vrrp_settings(c.settings()), "");
}

TEST(VrrpInstance, ValidateRejectsUnusableSettings) {
  struct Row {
    const char* name;
    void (*mutate)(VrrpInstanceSettings&);
  };
  const Row rows[] = {
      {"vrid 0", [](VrrpInstanceSettings& s) { s.vrid = 0; }},
      {"priority 0", [](VrrpInstanceSettings& s) { s.priority = 0; }},
      {"version 1", [](VrrpInstanceSettings& s) { s.version = 1; }},
      {"v2 1.5 s", [](VrrpInstanceSettings& s) { s.advert_interval_cs = 150; }},
      {"v3 with PASS", [](VrrpInstanceSettings& s) { s.version = 3; }},
      {"v3 0 cs", [](VrrpInstanceSettings& s) {
         s.version = 3;
         s.auth_pass = false;
         s.advert_interval_cs = 0;
       }},
      {"no primary", [](VrrpInstanceSettings& s) { s.primary_address = 0; }},
      {"no VIP", [](VrrpInstanceSettings& s) { s.virtual_addresses.clear(); }},
      {"duplicate VIP", [](VrrpInstanceSettings& s) { s.virtual_addresses.push_back(kVip); }},
      {"too many VIPs", [](VrrpInstanceSettings& s) {
         for (uint32_t i = 0; i < kVrrpMaxAddresses; ++i) s.virtual_addresses.push_back(ipv4(10, 1, 0, 1) + i);
       }},
  };
  EXPECT_EQ(validate_vrrp_settings(make_settings(100)), "");
  for (const Row& row : rows) {
    VrrpInstanceSettings s = make_settings(100);
    row.mutate(s);
    EXPECT_NE(validate_vrrp_settings(s), "") << row.name;
  }
}

// ---- BACKUP receiving ----

TEST(VrrpInstance, HigherPriorityAdvertsKeepBackup) {
  VrrpInstance vi(make_settings(50));
  vi.start(0);
  vi.take_actions();
  for (int64_t t = kSecond; t <= 30 * kSecond; t += kSecond) {
    EXPECT_TRUE(run_until(vi, t - 1).empty());
    EXPECT_EQ(vi.receive(t, advert_from(kLb1, 101)), std::nullopt);
    EXPECT_EQ(vi.next_deadline_us(), t + 3'804'687);
  }
  EXPECT_EQ(vi.state(), VrrpState::backup);
  EXPECT_EQ(vi.counters().adverts_received, 30u);
  const VrrpStatus st = vi.status(30 * kSecond + 500 * kMs);
  EXPECT_EQ(st.master_address, kLb1);
  EXPECT_EQ(st.master_priority, 101);
  EXPECT_EQ(st.master_down_remaining_us, 3'804'687 - 500 * kMs);
  EXPECT_EQ(st.last_reason, VrrpReason::startup);
  EXPECT_EQ(st.last_transition_us, 0);
}

TEST(VrrpInstance, EqualPriorityKeepsBackup) {
  // RFC 5798 6.4.2: ">= the local Priority" resets the timer; only a MASTER
  // compares addresses.
  VrrpInstance vi(make_settings(100, kLb2));
  vi.start(0);
  for (int64_t t = kSecond; t <= 10 * kSecond; t += kSecond) vi.receive(t, advert_from(kLb1, 100));
  run_until(vi, 10 * kSecond + 3 * kSecond);
  EXPECT_EQ(vi.state(), VrrpState::backup);
}

struct PreemptRow {
  const char* name;
  bool preempt;
  int64_t preempt_delay_us;
  int64_t expect_master_at;  // -1: stays BACKUP
  VrrpReason reason;
};

// A backup of priority 101 hears a master of priority 50 every second from
// t = 1 s to t = 30 s.
TEST(VrrpInstance, PreemptionOfALowerPriorityMaster) {
  const PreemptRow rows[] = {
      // Adverts from the lower master are discarded, so the timer started at
      // 0 runs out: 3 s + 155/256 s.
      {"preempt", true, 0, 3'605'468, VrrpReason::preempted},
      // nopreempt accepts any master: never takes over.
      {"nopreempt", false, 0, -1, VrrpReason::none},
      // keepalived's preempt_delay starts at the first lower advert (1 s):
      // adverts are accepted until 11 s, the one at 11 s is discarded, so
      // the timer reset at 10 s expires at 13.605468 s.
      {"preempt_delay 10 s", true, 10 * kSecond, 10 * kSecond + 3'605'468, VrrpReason::preempted},
  };
  for (const PreemptRow& row : rows) {
    SCOPED_TRACE(row.name);
    VrrpInstanceSettings s = make_settings(101, kLb2);
    s.preempt = row.preempt;
    s.preempt_delay_us = row.preempt_delay_us;
    VrrpInstance vi(s);
    vi.start(0);
    vi.take_actions();
    int64_t became_master = -1;
    VrrpReason reason = VrrpReason::none;
    for (int64_t t = kSecond; t <= 30 * kSecond; t += kSecond) {
      for (const VrrpAction& a : run_until(vi, t - 1)) {
        if (a.kind == Kind::state_changed && a.to == VrrpState::master && became_master < 0) {
          became_master = a.at_us;
          reason = a.reason;
        }
      }
      if (row.preempt_delay_us > 0 && t == 5 * kSecond) {
        EXPECT_EQ(vi.status(t).preempt_delay_remaining_us, 6 * kSecond);
      }
      vi.receive(t, advert_from(kLb1, 50));
      vi.take_actions();
    }
    EXPECT_EQ(became_master, row.expect_master_at);
    EXPECT_EQ(reason, row.reason);
    EXPECT_EQ(vi.state(), row.expect_master_at < 0 ? VrrpState::backup : VrrpState::master);
  }
}

TEST(VrrpInstance, BackupWhosePriorityRisesTakesOverWithPreempt) {
  VrrpInstance vi(make_settings(50, kLb2));
  vi.start(0);
  vi.take_actions();
  vi.receive(1 * kSecond, advert_from(kLb1, 100));
  vi.receive(2 * kSecond, advert_from(kLb1, 100));
  // `vrrp priority VI_1 150`: skew shrinks from 206/256 to 106/256 s, and the
  // running timer comes forward by the difference (keepalived).
  vi.set_base_priority(2 * kSecond + 100 * kMs, 150);
  EXPECT_EQ(vi.effective_priority(), 150);
  EXPECT_EQ(vi.next_deadline_us(), 2 * kSecond + 3'414'062);
  // From now on the master's adverts are lower than us: discarded.
  vi.receive(3 * kSecond, advert_from(kLb1, 100));
  vi.receive(4 * kSecond, advert_from(kLb1, 100));
  vi.receive(5 * kSecond, advert_from(kLb1, 100));
  EXPECT_EQ(vi.state(), VrrpState::backup);
  const auto acts = run_until(vi, 5 * kSecond + 500 * kMs);
  EXPECT_EQ(vi.state(), VrrpState::master);
  ASSERT_FALSE(acts.empty());
  EXPECT_EQ(acts[0].at_us, 2 * kSecond + 3'414'062);
  EXPECT_EQ(acts[0].reason, VrrpReason::preempted);
}

TEST(VrrpInstance, V3BackupAdoptsTheMastersInterval) {
  VrrpInstance vi(make_settings(101, kLb2, 3, 100));
  vi.start(0);
  EXPECT_EQ(vi.next_deadline_us(), 3'605'468);
  vi.receive(200 * kMs, advert_from(kLb1, 200, 3, 10));
  // 3 * 0.1 s + 155 * 0.1 s / 256 (keepalived: 155 * 10 * 625 / 16 us).
  EXPECT_EQ(vi.next_deadline_us(), 200 * kMs + 360'546);
  EXPECT_EQ(vi.status(200 * kMs).advert_interval_cs, 10);
  const auto acts = run_until(vi, 200 * kMs + 360'546);
  EXPECT_EQ(vi.state(), VrrpState::master);
  // As MASTER it advertises with its own configured interval again.
  const VrrpAction* advert = find_kind(acts, Kind::send_advert);
  ASSERT_NE(advert, nullptr);
  EXPECT_EQ(vi.make_advert(advert->priority).interval_cs, 100);
  EXPECT_EQ(vi.next_deadline_us(), 200 * kMs + 360'546 + kSecond);
  EXPECT_EQ(vi.status(kSecond).advert_interval_cs, 100);
}

TEST(VrrpInstance, V2DropsAdvertsWithAnotherInterval) {
  VrrpInstance vi(make_settings(50, kLb2));
  vi.start(0);
  for (int64_t t = kSecond; t <= 5 * kSecond; t += kSecond) {
    EXPECT_EQ(vi.receive(t, advert_from(kLb1, 200, 2, 200)), VrrpDrop::interval_mismatch);
  }
  run_until(vi, 5 * kSecond);
  EXPECT_EQ(vi.state(), VrrpState::master) << "a master it must ignore cannot hold it back";
  EXPECT_EQ(vi.counters().dropped(VrrpDrop::interval_mismatch), 5u);
  EXPECT_EQ(vi.counters().adverts_received, 0u);
}

TEST(VrrpInstance, PriorityZeroMakesTheBackupTakeOverAfterSkewTime) {
  VrrpInstance vi(make_settings(101, kLb2));
  vi.start(0);
  vi.take_actions();
  vi.receive(1 * kSecond, advert_from(kLb1, 200));
  vi.receive(1500 * kMs, advert_from(kLb1, 0));
  EXPECT_EQ(vi.counters().priority_zero_received, 1u);
  EXPECT_EQ(vi.next_deadline_us(), 1500 * kMs + 605'468);
  const auto acts = run_until(vi, 3 * kSecond);
  ASSERT_FALSE(acts.empty());
  EXPECT_EQ(acts[0].at_us, 1500 * kMs + 605'468);
  EXPECT_EQ(acts[0].reason, VrrpReason::master_released);
}

// ---- MASTER receiving ----

VrrpInstance master_at(int64_t& now, VrrpInstanceSettings s) {
  VrrpInstance vi(std::move(s));
  vi.start(now);
  now = vi.next_deadline_us();
  vi.tick(now);
  vi.take_actions();
  EXPECT_EQ(vi.state(), VrrpState::master);
  return vi;
}

TEST(VrrpInstance, MasterAnswersPriorityZeroAtOnce) {
  int64_t now = 0;
  VrrpInstance vi = master_at(now, make_settings(101, kLb2));
  const int64_t t = now + 300 * kMs;
  vi.receive(t, advert_from(kLb1, 0));
  const auto acts = vi.take_actions();
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].kind, Kind::send_advert);
  EXPECT_EQ(acts[0].priority, 101);
  EXPECT_EQ(vi.state(), VrrpState::master);
  EXPECT_EQ(vi.next_deadline_us(), t + kSecond) << "the advert timer restarts";
}

struct MasterRxRow {
  const char* name;
  uint8_t priority;
  uint32_t source;
  bool steps_down;
  VrrpReason reason;
};

TEST(VrrpInstance, MasterElection) {
  // We are MASTER with priority 100 at 10.99.1.3.
  const MasterRxRow rows[] = {
      {"higher priority", 101, kLb1, true, VrrpReason::higher_priority_advert},
      {"equal priority, higher address", 100, ipv4(10, 99, 1, 4), true,
       VrrpReason::equal_priority_higher_address},
      {"equal priority, lower address", 100, kLb1, false, VrrpReason::none},
      {"lower priority", 99, ipv4(10, 99, 1, 200), false, VrrpReason::none},
  };
  for (const MasterRxRow& row : rows) {
    SCOPED_TRACE(row.name);
    int64_t now = 0;
    VrrpInstance vi = master_at(now, make_settings(100, kLb2));
    const int64_t t = now + 250 * kMs;
    EXPECT_EQ(vi.receive(t, advert_from(row.source, row.priority)), std::nullopt);
    const auto acts = vi.take_actions();
    if (row.steps_down) {
      EXPECT_EQ(vi.state(), VrrpState::backup);
      EXPECT_EQ(kinds(acts), (std::vector<Kind>{Kind::release_addresses, Kind::state_changed}));
      EXPECT_EQ(acts[1].reason, row.reason);
      EXPECT_EQ(count_kind(acts, Kind::send_advert), 0u) << "losing is not handing over";
      EXPECT_EQ(vi.next_deadline_us(), t + 3'609'375);  // 3 s + 156/256 s
      EXPECT_EQ(vi.status(t).master_address, row.source);
    } else {
      // keepalived re-asserts at once so the other router hears us now.
      EXPECT_EQ(vi.state(), VrrpState::master);
      ASSERT_EQ(kinds(acts), (std::vector<Kind>{Kind::send_advert}));
      EXPECT_EQ(acts[0].priority, 100);
      EXPECT_EQ(vi.next_deadline_us(), t + kSecond);
    }
  }
}

TEST(VrrpInstance, TwoAddressOwnersLowerOurs) {
  int64_t now = 0;
  VrrpInstanceSettings s = make_settings(255, kLb2);
  VrrpInstance vi(s);
  vi.start(now);
  vi.take_actions();
  vi.receive(kSecond, advert_from(kLb1, 255));
  EXPECT_EQ(vi.base_priority(), 254);
  EXPECT_EQ(vi.state(), VrrpState::backup);
}

TEST(VrrpInstance, InactiveInstancesIgnoreAdverts) {
  VrrpInstance vi(make_settings(100));
  EXPECT_EQ(vi.receive(0, advert_from(kLb1, 101)), VrrpDrop::instance_inactive);
  vi.start(0);
  vi.stop(1);
  EXPECT_EQ(vi.receive(2, advert_from(kLb1, 101)), VrrpDrop::instance_inactive);
  EXPECT_EQ(vi.counters().dropped(VrrpDrop::instance_inactive), 2u);
  EXPECT_EQ(vi.next_deadline_us(), kVrrpNever);
}

// ---- fault, stop, start ----

TEST(VrrpInstance, LinkDownIsFaultAndLinkUpRunsTheElectionAgain) {
  int64_t now = 0;
  VrrpInstance vi = master_at(now, make_settings(101, kLb2));
  vi.link_down(now + 100);
  EXPECT_EQ(vi.state(), VrrpState::fault);
  auto acts = vi.take_actions();
  ASSERT_EQ(kinds(acts), (std::vector<Kind>{Kind::send_advert, Kind::release_addresses,
                                            Kind::state_changed}));
  EXPECT_EQ(acts[0].priority, 0);
  EXPECT_EQ(acts[2].reason, VrrpReason::link_down);
  EXPECT_EQ(vi.next_deadline_us(), kVrrpNever);
  EXPECT_EQ(vi.receive(now + 200, advert_from(kLb1, 50)), VrrpDrop::instance_inactive);

  vi.link_up(now + 10 * kSecond);
  EXPECT_EQ(vi.state(), VrrpState::backup);
  acts = vi.take_actions();
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].from, VrrpState::fault);
  EXPECT_EQ(acts[0].reason, VrrpReason::link_up);
  EXPECT_EQ(vi.next_deadline_us(), now + 10 * kSecond + 3'605'468);

  // A backup that loses its link goes to FAULT without a word.
  vi.link_down(now + 11 * kSecond);
  EXPECT_EQ(kinds(vi.take_actions()), (std::vector<Kind>{Kind::state_changed}));
}

TEST(VrrpInstance, TrackingFaultAndLinkFaultBothHoldFault) {
  int64_t now = 0;
  VrrpInstance vi = master_at(now, make_settings(101, kLb2));
  vi.set_tracking_fault(now + 100, true);
  EXPECT_EQ(vi.state(), VrrpState::fault);
  auto acts = vi.take_actions();
  ASSERT_EQ(kinds(acts), (std::vector<Kind>{Kind::send_advert, Kind::release_addresses,
                                            Kind::state_changed}));
  EXPECT_EQ(acts[0].priority, 0);
  EXPECT_EQ(acts[2].reason, VrrpReason::tracked_backend_down);

  // The link goes and comes back while the backend is still down: FAULT holds.
  vi.link_down(now + kSecond);
  vi.link_up(now + 2 * kSecond);
  EXPECT_EQ(vi.state(), VrrpState::fault);
  EXPECT_TRUE(vi.take_actions().empty());

  // The backend recovers while the link is down: FAULT holds until the link is up.
  vi.link_down(now + 3 * kSecond);
  vi.set_tracking_fault(now + 4 * kSecond, false);
  EXPECT_EQ(vi.state(), VrrpState::fault);
  vi.link_up(now + 5 * kSecond);
  EXPECT_EQ(vi.state(), VrrpState::backup);
  acts = vi.take_actions();
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].reason, VrrpReason::link_up);

  // Started while tracking says fault: FAULT at once, for that reason.
  VrrpInstance fresh(make_settings(101, kLb2));
  fresh.set_tracking_fault(0, true);
  fresh.start(0);
  EXPECT_EQ(fresh.state(), VrrpState::fault);
  acts = fresh.take_actions();
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].reason, VrrpReason::tracked_backend_down);
}

TEST(VrrpInstance, OwnerIsMasterAtOnceOnLinkUp) {
  VrrpInstance vi(make_settings(255));
  vi.link_down(0);
  vi.start(0);
  EXPECT_EQ(vi.state(), VrrpState::fault);
  vi.link_up(kSecond);
  EXPECT_EQ(vi.state(), VrrpState::master);
}

TEST(VrrpInstance, StopHandsOverWithPriorityZeroAndStartResumes) {
  int64_t now = 0;
  VrrpInstance vi = master_at(now, make_settings(101, kLb2));
  vi.stop(now + kSecond);
  EXPECT_EQ(vi.state(), VrrpState::stopped);
  auto acts = vi.take_actions();
  ASSERT_EQ(kinds(acts), (std::vector<Kind>{Kind::send_advert, Kind::release_addresses,
                                            Kind::state_changed}));
  EXPECT_EQ(acts[0].priority, 0);
  EXPECT_EQ(acts[2].reason, VrrpReason::operator_stop);
  EXPECT_EQ(vi.counters().priority_zero_sent, 1u);
  EXPECT_EQ(vi.counters().released_master, 1u);
  EXPECT_EQ(vi.next_deadline_us(), kVrrpNever);

  vi.start(now + 5 * kSecond);
  acts = vi.take_actions();
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].to, VrrpState::backup);
  EXPECT_EQ(acts[0].reason, VrrpReason::operator_start);

  // A backup stops silently.
  vi.stop(now + 6 * kSecond);
  EXPECT_EQ(kinds(vi.take_actions()), (std::vector<Kind>{Kind::state_changed}));
  EXPECT_EQ(vi.counters().priority_zero_sent, 1u);
}

// ---- priorities ----

TEST(VrrpInstance, EffectivePriorityIsClampedAndOwnerIsNotAdjusted) {
  VrrpInstance vi(make_settings(100));
  vi.set_priority_adjustment(0, -30);
  EXPECT_EQ(vi.effective_priority(), 70);
  vi.set_priority_adjustment(0, -200);
  EXPECT_EQ(vi.effective_priority(), 1);
  vi.set_priority_adjustment(0, +200);
  EXPECT_EQ(vi.effective_priority(), 254);
  vi.set_base_priority(0, 20);
  EXPECT_EQ(vi.effective_priority(), 220);

  VrrpInstance owner(make_settings(255));
  owner.set_priority_adjustment(0, -100);
  EXPECT_EQ(owner.effective_priority(), 255);
}

TEST(VrrpInstance, MasterAnnouncesAChangedPriorityInItsNextAdvert) {
  int64_t now = 0;
  VrrpInstance vi = master_at(now, make_settings(101, kLb2));
  vi.set_priority_adjustment(now + 10, -20);
  EXPECT_TRUE(vi.take_actions().empty());
  const auto acts = run_until(vi, now + kSecond);
  const VrrpAction* advert = find_kind(acts, Kind::send_advert);
  ASSERT_NE(advert, nullptr);
  EXPECT_EQ(advert->priority, 81);
}

// ---- GARP ----

struct GarpRow {
  const char* name;
  uint32_t repeat;
  int64_t delay_us;
  int64_t refresh_us;
  uint32_t refresh_repeat;
  int64_t interval_us;
  std::vector<std::pair<int64_t, uint32_t>> expected;  // (time after becoming master, rounds)
};

TEST(VrrpInstance, GratuitousArpBursts) {
  const GarpRow rows[] = {
      {"keepalived defaults: 5 now, 5 after 5 s", 5, 5 * kSecond, 0, 1, 0,
       {{0, 5}, {5 * kSecond, 5}}},
      {"no second burst", 3, 0, 0, 1, 0, {{0, 3}}},
      {"refresh every 4 s", 1, 0, 4 * kSecond, 2, 0,
       {{0, 1}, {4 * kSecond, 2}, {8 * kSecond, 2}}},
      {"spaced by vrrp_garp_interval 100 ms", 3, 5 * kSecond, 0, 1, 100 * kMs,
       {{0, 1}, {100 * kMs, 1}, {200 * kMs, 1}, {5 * kSecond, 1}, {5 * kSecond + 100 * kMs, 1},
        {5 * kSecond + 200 * kMs, 1}}},
  };
  for (const GarpRow& row : rows) {
    SCOPED_TRACE(row.name);
    VrrpInstanceSettings s = make_settings(255);
    s.garp_repeat = row.repeat;
    s.garp_delay_us = row.delay_us;
    s.garp_refresh_us = row.refresh_us;
    s.garp_refresh_repeat = row.refresh_repeat;
    s.garp_interval_us = row.interval_us;
    VrrpInstance vi(s);
    const int64_t t0 = 42 * kSecond;
    vi.start(t0);
    std::vector<VrrpAction> acts = vi.take_actions();
    const auto later = run_until(vi, t0 + 9 * kSecond);
    acts.insert(acts.end(), later.begin(), later.end());
    std::vector<std::pair<int64_t, uint32_t>> got;
    for (const VrrpAction& a : acts) {
      if (a.kind == Kind::send_garp) got.emplace_back(a.at_us - t0, a.garp_rounds);
    }
    EXPECT_EQ(got, row.expected);
  }
}

TEST(VrrpInstance, LeavingMasterCancelsPendingGarps) {
  int64_t now = 0;
  VrrpInstance vi = master_at(now, make_settings(101, kLb2));  // second burst due at +5 s
  vi.receive(now + kSecond, advert_from(kLb1, 200));
  EXPECT_EQ(vi.state(), VrrpState::backup);
  vi.take_actions();
  for (int64_t t = now + 2 * kSecond; t <= now + 10 * kSecond; t += kSecond) {
    vi.receive(t, advert_from(kLb1, 200));
    EXPECT_EQ(count_kind(run_until(vi, t + kSecond - 1), Kind::send_garp), 0u);
  }
}

// ---- pairs of instances over the codec ----

// Two or more instances on one segment. Adverts go through build_vrrp_frame
// and parse_vrrp_ipv4_packet, so the codec and the state machine are tested
// together; `linked` cuts the segment for split-brain tests.
class Segment {
 public:
  std::size_t add(VrrpInstanceSettings s) {
    nodes_.push_back(std::make_unique<VrrpInstance>(std::move(s)));
    log_.emplace_back();
    return nodes_.size() - 1;
  }
  VrrpInstance& node(std::size_t i) { return *nodes_[i]; }
  const std::vector<VrrpAction>& log(std::size_t i) const { return log_[i]; }
  bool linked = true;

  void start_all(int64_t now) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      nodes_[i]->start(now);
      drain(i, now);
    }
  }

  void run_until(int64_t until) {
    for (;;) {
      std::size_t next = nodes_.size();
      int64_t when = kVrrpNever;
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i]->next_deadline_us() < when) {
          when = nodes_[i]->next_deadline_us();
          next = i;
        }
      }
      if (next == nodes_.size() || when > until) return;
      nodes_[next]->tick(when);
      drain(next, when);
    }
  }

  // Carries out node i's actions; adverts reach the others at once.
  void drain(std::size_t i, int64_t now) {
    for (const VrrpAction& a : nodes_[i]->take_actions()) {
      log_[i].push_back(a);
      if (a.kind != Kind::send_advert || !linked) continue;
      VrrpFrameAddressing addressing;
      addressing.source = nodes_[i]->settings().primary_address;
      uint8_t frame[kVrrpMaxFrameLength];
      const std::size_t n = build_vrrp_frame(nodes_[i]->make_advert(a.priority), addressing,
                                             ++ip_id_, nodes_[i]->settings().v3_checksum, frame,
                                             sizeof(frame));
      ASSERT_GT(n, 0u);
      const VrrpParseResult r = parse_vrrp_ipv4_packet(frame + kEthernetHeaderLength, n - 14);
      ASSERT_TRUE(r.ok) << vrrp_drop_name(r.drop);
      for (std::size_t j = 0; j < nodes_.size(); ++j) {
        if (j == i) continue;
        nodes_[j]->receive(now, r.packet);
        drain(j, now);
      }
    }
  }

  // When node i last entered `state`, or -1.
  int64_t entered(std::size_t i, VrrpState state) const {
    int64_t t = -1;
    for (const VrrpAction& a : log_[i]) {
      if (a.kind == Kind::state_changed && a.to == state) t = a.at_us;
    }
    return t;
  }

 private:
  std::vector<std::unique_ptr<VrrpInstance>> nodes_;
  std::vector<std::vector<VrrpAction>> log_;
  uint16_t ip_id_ = 0;
};

VrrpInstanceSettings reference_lb1() {
  VrrpInstanceSettings s = make_settings(101, kLb1);
  s.initial_state = VrrpInitialState::master;
  return s;
}

VrrpInstanceSettings reference_lb2() { return make_settings(50, kLb2); }

TEST(VrrpInstance, ReferencePairElectsLb1AndHandsOverOnStop) {
  Segment seg;
  const std::size_t lb1 = seg.add(reference_lb1());
  const std::size_t lb2 = seg.add(reference_lb2());
  seg.start_all(0);
  seg.run_until(60 * kSecond);
  EXPECT_EQ(seg.node(lb1).state(), VrrpState::master);
  EXPECT_EQ(seg.node(lb2).state(), VrrpState::backup);
  EXPECT_EQ(seg.entered(lb1, VrrpState::master), 3'605'468);
  EXPECT_EQ(seg.node(lb2).counters().adverts_received, 57u);  // 3.6 s .. 59.6 s

  // `vrrp stop VI_1` on lb1: lb2 takes over after its skew time, 206/256 s.
  seg.node(lb1).stop(60 * kSecond);
  seg.drain(lb1, 60 * kSecond);
  seg.run_until(70 * kSecond);
  EXPECT_EQ(seg.node(lb2).state(), VrrpState::master);
  EXPECT_EQ(seg.entered(lb2, VrrpState::master), 60 * kSecond + 804'687);
  EXPECT_EQ(seg.node(lb2).counters().priority_zero_received, 1u);

  // lb1 comes back: it outranks lb2 and preempts after its master-down time,
  // lb2 stepping down on lb1's first advert.
  seg.node(lb1).start(70 * kSecond);
  seg.drain(lb1, 70 * kSecond);
  seg.run_until(80 * kSecond);
  EXPECT_EQ(seg.entered(lb1, VrrpState::master), 70 * kSecond + 3'605'468);
  EXPECT_EQ(seg.node(lb2).state(), VrrpState::backup);
  EXPECT_EQ(seg.entered(lb2, VrrpState::backup), 70 * kSecond + 3'605'468);
}

TEST(VrrpInstance, SplitBrainHealsWhenTheSegmentReturns) {
  for (uint8_t version : {2, 3}) {
    SCOPED_TRACE(testing::Message() << "VRRPv" << int(version));
    Segment seg;
    VrrpInstanceSettings a = make_settings(101, kLb1, version);
    VrrpInstanceSettings b = make_settings(50, kLb2, version);
    if (version == 3) b.v3_checksum = V3Checksum::message_only;  // mixed forms interoperate
    const std::size_t lb1 = seg.add(a);
    const std::size_t lb2 = seg.add(b);
    seg.linked = false;
    seg.start_all(0);
    seg.run_until(10 * kSecond);
    EXPECT_EQ(seg.node(lb1).state(), VrrpState::master);
    EXPECT_EQ(seg.node(lb2).state(), VrrpState::master);

    seg.linked = true;
    seg.run_until(20 * kSecond);
    EXPECT_EQ(seg.node(lb1).state(), VrrpState::master);
    EXPECT_EQ(seg.node(lb2).state(), VrrpState::backup);
    // The first advert after the heal decides it: lb1's at 10.605468 s
    // (lb2's would come at 10.804687 s), and lb2, lower, steps down.
    EXPECT_EQ(seg.entered(lb2, VrrpState::backup), 10 * kSecond + 605'468);
  }
}

TEST(VrrpInstance, LosingBackendsGivesTheVipToAPreemptingPeer) {
  Segment seg;
  const std::size_t lb1 = seg.add(reference_lb1());
  const std::size_t lb2 = seg.add(reference_lb2());
  seg.start_all(0);
  seg.run_until(10 * kSecond);
  ASSERT_EQ(seg.node(lb1).state(), VrrpState::master);

  // A tracked check on lb1 fails with weight -60: 101 -> 41, below lb2's 50.
  const int64_t t = 10 * kSecond + 100 * kMs;
  seg.node(lb1).set_priority_adjustment(t, -60);
  seg.run_until(20 * kSecond);
  EXPECT_EQ(seg.node(lb2).state(), VrrpState::master);
  EXPECT_EQ(seg.node(lb1).state(), VrrpState::backup);
  // lb2 last accepted lb1's advert at 9.605468 s (priority 101); the adverts
  // with 41 are discarded, so it takes over at 9.605468 + 3.804687 s.
  const int64_t takeover = 9 * kSecond + 605'468 + 3'804'687;
  EXPECT_EQ(seg.entered(lb2, VrrpState::master), takeover);
  EXPECT_EQ(seg.entered(lb1, VrrpState::backup), takeover);
  const auto& lb1_log = seg.log(lb1);
  const auto it = std::find_if(lb1_log.begin(), lb1_log.end(), [](const VrrpAction& a) {
    return a.kind == Kind::state_changed && a.from == VrrpState::master;
  });
  ASSERT_NE(it, lb1_log.end());
  EXPECT_EQ(it->reason, VrrpReason::higher_priority_advert);

  // The backends return: 101 again, and lb1 preempts lb2 in turn.
  seg.node(lb1).set_priority_adjustment(20 * kSecond, 0);
  seg.run_until(30 * kSecond);
  EXPECT_EQ(seg.node(lb1).state(), VrrpState::master);
  EXPECT_EQ(seg.node(lb2).state(), VrrpState::backup);
}

}  // namespace
}  // namespace dplb::vrrp

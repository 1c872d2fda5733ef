#pragma once

// What `show vrrp` reports about one instance: event counters (keepalived's
// vrrp_stats, plus drops by our reasons) and a snapshot of the election.

#include <array>
#include <cstdint>

#include "vrrp/vrrp_drop.h"
#include "vrrp/vrrp_state.h"

namespace dplb::vrrp {

struct VrrpCounters {
  uint64_t adverts_sent = 0;            // including priority-0 adverts
  uint64_t adverts_received = 0;        // accepted by the instance checks
  uint64_t priority_zero_sent = 0;
  uint64_t priority_zero_received = 0;
  uint64_t became_master = 0;
  uint64_t released_master = 0;         // left MASTER for any reason
  uint64_t transitions = 0;             // every state change
  uint64_t garp_rounds = 0;             // one round = one GARP per virtual address
  std::array<uint64_t, kVrrpDropCount> drops{};

  void count_drop(VrrpDrop d) { ++drops[static_cast<std::size_t>(d)]; }
  uint64_t dropped(VrrpDrop d) const { return drops[static_cast<std::size_t>(d)]; }
};

struct VrrpStatus {
  VrrpState state = VrrpState::initialize;
  bool link_up = true;
  uint8_t base_priority = 0;
  uint8_t effective_priority = 0;
  uint32_t master_address = 0;       // 0 until a master is known; ours while MASTER
  uint8_t master_priority = 0;
  uint16_t advert_interval_cs = 0;   // Master_Adver_Interval in use (v3 backups adopt the master's)
  int64_t master_down_interval_us = 0;
  int64_t master_down_remaining_us = -1;    // BACKUP only
  int64_t preempt_delay_remaining_us = -1;  // while a preempt_delay runs
  VrrpReason last_reason = VrrpReason::none;
  int64_t last_transition_us = -1;          // -1: never
};

}  // namespace dplb::vrrp

#include "vrrp/vrrp_instance.h"

#include <algorithm>
#include <utility>

#include "vrrp/vrrp_accept.h"

// Sources for the behaviour below (keepalived 2.x unless said otherwise):
//  - start: vrrp_scheduler.c vrrp_init_state; owner timeout of 1 us is taken
//    as "at once".
//  - BACKUP receiving: vrrp.c vrrp_state_backup (RFC 5798 6.4.2).
//  - MASTER receiving: vrrp.c vrrp_state_master_rx (RFC 5798 6.4.3), with the
//    defaults higher_prio_send_advert off and lower_prio_no_advert off.
//  - becoming MASTER: vrrp.c vrrp_state_goto_master/vrrp_state_become_master
//    and vrrp_state_master_tx; GARP bursts: vrrp_send_link_update and
//    vrrp_scheduler.c vrrp_gratuitous_arp_thread.
//  - faults: vrrp_track.c down_instance, vrrp_scheduler.c try_up_instance,
//    vrrp.c vrrp_state_leave_master / vrrp_state_leave_fault.
//  - priorities: vrrp_track.c vrrp_set_effective_priority.

namespace dplb::vrrp {

VrrpInstance::VrrpInstance(VrrpInstanceSettings settings) : settings_(std::move(settings)) {
  notes_ = normalize_vrrp_settings(settings_);
  base_priority_ = settings_.priority;
  effective_priority_ = base_priority_;
  master_interval_cs_ = settings_.advert_interval_cs;
}

int64_t VrrpInstance::own_interval_us() const {
  return static_cast<int64_t>(settings_.advert_interval_cs) * kMicrosPerCentisecond;
}

int64_t VrrpInstance::master_down_interval_us() const {
  return vrrp_master_down_interval_us(settings_.version, effective_priority_, master_interval_cs_);
}

VrrpAdvert VrrpInstance::make_advert(uint8_t priority) const {
  VrrpAdvert a;
  a.version = settings_.version;
  a.vrid = settings_.vrid;
  a.priority = priority;
  a.interval_cs = settings_.advert_interval_cs;
  if (settings_.version == 2 && settings_.auth_pass) {
    a.auth_type = kVrrpAuthPass;
    a.auth_data = settings_.auth_data;
  }
  const std::size_t n = std::min(settings_.virtual_addresses.size(), kVrrpMaxAddresses);
  a.address_count = static_cast<uint8_t>(n);
  std::copy_n(settings_.virtual_addresses.begin(), n, a.addresses.begin());
  return a;
}

std::vector<VrrpAction> VrrpInstance::take_actions() {
  std::vector<VrrpAction> out;
  out.swap(actions_);
  return out;
}

void VrrpInstance::transition(int64_t now_us, VrrpState to, VrrpReason reason) {
  VrrpAction a;
  a.kind = VrrpAction::Kind::state_changed;
  a.at_us = now_us;
  a.from = state_;
  a.to = to;
  a.reason = reason;
  actions_.push_back(a);
  state_ = to;
  last_reason_ = reason;
  last_transition_us_ = now_us;
  ++counters_.transitions;
}

void VrrpInstance::send_advert(int64_t now_us, uint8_t priority) {
  VrrpAction a;
  a.kind = VrrpAction::Kind::send_advert;
  a.at_us = now_us;
  a.priority = priority;
  actions_.push_back(a);
  ++counters_.adverts_sent;
  if (priority == kVrrpPriorityStop) ++counters_.priority_zero_sent;
}

// keepalived sends all rounds back to back unless vrrp_garp_interval spaces
// them; spaced rounds are queued on a timer of their own.
void VrrpInstance::send_garp(int64_t now_us, uint32_t rounds) {
  if (rounds == 0) return;
  uint32_t now_rounds = rounds;
  if (settings_.garp_interval_us > 0) {
    if (garp_rounds_pending_ > 0) {
      garp_rounds_pending_ += rounds;  // already spacing a burst: queue behind it
      return;
    }
    now_rounds = 1;
    garp_rounds_pending_ = rounds - 1;
    if (garp_rounds_pending_ > 0) garp_round_at_ = now_us + settings_.garp_interval_us;
  }
  VrrpAction a;
  a.kind = VrrpAction::Kind::send_garp;
  a.at_us = now_us;
  a.garp_rounds = now_rounds;
  actions_.push_back(a);
  counters_.garp_rounds += now_rounds;
}

void VrrpInstance::cancel_timers() {
  master_down_at_ = kVrrpNever;
  advert_at_ = kVrrpNever;
  preempt_at_ = kVrrpNever;
  garp_delay_at_ = kVrrpNever;
  garp_refresh_at_ = kVrrpNever;
  garp_round_at_ = kVrrpNever;
  garp_rounds_pending_ = 0;
}

void VrrpInstance::become_master(int64_t now_us, VrrpReason reason) {
  cancel_timers();
  transition(now_us, VrrpState::master, reason);
  ++counters_.became_master;
  // As MASTER we advertise, and time, with our own configured interval.
  master_interval_cs_ = settings_.advert_interval_cs;
  master_address_ = settings_.primary_address;
  master_priority_ = effective_priority_;
  actions_.push_back({VrrpAction::Kind::take_addresses, now_us});
  send_garp(now_us, settings_.garp_repeat);
  if (settings_.garp_delay_us > 0) garp_delay_at_ = now_us + settings_.garp_delay_us;
  if (settings_.garp_refresh_us > 0) garp_refresh_at_ = now_us + settings_.garp_refresh_us;
  send_advert(now_us, effective_priority_);
  advert_at_ = now_us + own_interval_us();
}

// Entering BACKUP from INIT, STOP or FAULT: listen with our own interval.
void VrrpInstance::become_backup(int64_t now_us, VrrpReason reason) {
  cancel_timers();
  transition(now_us, VrrpState::backup, reason);
  master_interval_cs_ = settings_.advert_interval_cs;
  master_address_ = 0;
  master_priority_ = 0;
  pending_master_reason_ = VrrpReason::master_no_response;
  master_down_at_ = now_us + master_down_interval_us();
}

// Losing an election: no priority-0 advert (keepalived leaves with advF
// false), the addresses go; the caller has set Master_Adver_Interval.
void VrrpInstance::leave_master_to_backup(int64_t now_us, VrrpReason reason) {
  cancel_timers();
  actions_.push_back({VrrpAction::Kind::release_addresses, now_us});
  ++counters_.released_master;
  transition(now_us, VrrpState::backup, reason);
  pending_master_reason_ = VrrpReason::master_no_response;
  master_down_at_ = now_us + master_down_interval_us();
}

// Handing over on purpose (fault, stop): tell the backups, who then take
// over after Skew_Time instead of Master_Down_Interval.
void VrrpInstance::release_as_master(int64_t now_us) {
  send_advert(now_us, kVrrpPriorityStop);
  actions_.push_back({VrrpAction::Kind::release_addresses, now_us});
  ++counters_.released_master;
}

void VrrpInstance::start(int64_t now_us) {
  if (state_ != VrrpState::initialize && state_ != VrrpState::stopped) return;
  const VrrpReason why = state_ == VrrpState::stopped ? VrrpReason::operator_start
                                                      : VrrpReason::startup;
  recompute_effective_priority(now_us);
  if (!link_up_ || tracking_fault_) {
    cancel_timers();
    transition(now_us, VrrpState::fault, link_up_ ? VrrpReason::tracked_backend_down : VrrpReason::link_down);
    return;
  }
  if (settings_.initial_state == VrrpInitialState::master && base_priority_ == kVrrpPriorityOwner) {
    become_master(now_us, VrrpReason::address_owner);
    return;
  }
  become_backup(now_us, why);
}

void VrrpInstance::stop(int64_t now_us) {
  if (state_ == VrrpState::stopped || state_ == VrrpState::initialize) return;
  if (state_ == VrrpState::master) release_as_master(now_us);
  cancel_timers();
  transition(now_us, VrrpState::stopped, VrrpReason::operator_stop);
}

void VrrpInstance::link_down(int64_t now_us) {
  link_up_ = false;
  enter_fault(now_us, VrrpReason::link_down);
}

void VrrpInstance::link_up(int64_t now_us) {
  link_up_ = true;
  if (!tracking_fault_) leave_fault(now_us, VrrpReason::link_up);
}

void VrrpInstance::set_tracking_fault(int64_t now_us, bool fault) {
  if (tracking_fault_ == fault) return;
  tracking_fault_ = fault;
  if (fault) {
    enter_fault(now_us, VrrpReason::tracked_backend_down);
  } else if (link_up_) {
    leave_fault(now_us, VrrpReason::tracked_backend_up);
  }
}

void VrrpInstance::enter_fault(int64_t now_us, VrrpReason reason) {
  if (state_ != VrrpState::backup && state_ != VrrpState::master) return;
  if (state_ == VrrpState::master) release_as_master(now_us);
  cancel_timers();
  transition(now_us, VrrpState::fault, reason);
}

void VrrpInstance::leave_fault(int64_t now_us, VrrpReason reason) {
  if (state_ != VrrpState::fault) return;
  if (base_priority_ == kVrrpPriorityOwner) {
    become_master(now_us, VrrpReason::address_owner);
  } else {
    become_backup(now_us, reason);
  }
}

std::optional<VrrpDrop> VrrpInstance::receive(int64_t now_us, const VrrpPacket& packet) {
  // keepalived ignores adverts in FAULT and INIT; STOP is our addition.
  if (state_ != VrrpState::backup && state_ != VrrpState::master) {
    counters_.count_drop(VrrpDrop::instance_inactive);
    return VrrpDrop::instance_inactive;
  }
  if (auto drop = check_advert_for_instance(packet, settings_)) {
    counters_.count_drop(*drop);
    return drop;
  }
  ++counters_.adverts_received;
  if (packet.advert.priority == kVrrpPriorityStop) ++counters_.priority_zero_received;
  if (state_ == VrrpState::backup) {
    receive_as_backup(now_us, packet);
  } else {
    receive_as_master(now_us, packet);
  }
  return std::nullopt;
}

void VrrpInstance::receive_as_backup(int64_t now_us, const VrrpPacket& packet) {
  const VrrpAdvert& a = packet.advert;
  if (a.priority == kVrrpPriorityStop) {
    // The master is leaving: take over after Skew_Time only, so the
    // highest-priority backup (smallest skew) wins the race.
    master_down_at_ = now_us + vrrp_skew_time_us(settings_.version, effective_priority_,
                                                 master_interval_cs_);
    pending_master_reason_ = VrrpReason::master_released;
    return;
  }
  // keepalived also keeps listening while a preempt_delay has not yet run
  // out; the delay starts with the first lower-priority advert it sees.
  const bool delay_holds = settings_.preempt_delay_us > 0 &&
                           (preempt_at_ == kVrrpNever || preempt_at_ > now_us);
  if (!settings_.preempt || a.priority >= effective_priority_ || delay_holds) {
    if (settings_.version == 3) master_interval_cs_ = a.interval_cs;
    master_down_at_ = now_us + master_down_interval_us();
    master_address_ = packet.source;
    master_priority_ = a.priority;
    pending_master_reason_ = VrrpReason::master_no_response;
    if (settings_.preempt_delay_us > 0) {
      if (a.priority >= effective_priority_) {
        preempt_at_ = kVrrpNever;  // the master outranks us: nothing to preempt
      } else if (preempt_at_ == kVrrpNever) {
        preempt_at_ = now_us + settings_.preempt_delay_us;
      }
    }
    return;
  }
  // A lower-priority master and we may preempt: ignore its adverts so the
  // master-down timer, left running, makes us MASTER (RFC 5798 6.4.2
  // "discard the ADVERTISEMENT").
  master_address_ = packet.source;
  master_priority_ = a.priority;
  pending_master_reason_ = VrrpReason::preempted;
}

void VrrpInstance::receive_as_master(int64_t now_us, const VrrpPacket& packet) {
  const VrrpAdvert& a = packet.advert;
  if (a.priority == kVrrpPriorityStop) {
    // Another router released the VRID: assert ourselves at once so the
    // backups it woke up (timers at Skew_Time) hear that a master exists.
    send_advert(now_us, effective_priority_);
    advert_at_ = now_us + own_interval_us();
    return;
  }
  if (a.priority == effective_priority_ && effective_priority_ == kVrrpPriorityOwner) {
    // Two address owners: keepalived reports a configuration error and
    // lowers its own priority to 254, which then loses this election.
    base_priority_ = kVrrpPriorityOwner - 1;
    recompute_effective_priority(now_us);
  }
  const bool higher_address = packet.source > settings_.primary_address;
  if (a.priority < effective_priority_ || (a.priority == effective_priority_ && !higher_address)) {
    // We win. keepalived answers at once ("forcing new election") so a
    // router that thinks it is master hears us now, not within an interval.
    send_advert(now_us, effective_priority_);
    advert_at_ = now_us + own_interval_us();
    return;
  }
  const VrrpReason why = a.priority > effective_priority_ ? VrrpReason::higher_priority_advert
                                                          : VrrpReason::equal_priority_higher_address;
  if (settings_.version == 3) master_interval_cs_ = a.interval_cs;
  master_address_ = packet.source;
  master_priority_ = a.priority;
  leave_master_to_backup(now_us, why);
}

void VrrpInstance::tick(int64_t now_us) {
  if (state_ == VrrpState::backup) {
    if (now_us >= master_down_at_) become_master(now_us, pending_master_reason_);
    return;
  }
  if (state_ != VrrpState::master) return;
  if (garp_rounds_pending_ > 0 && now_us >= garp_round_at_) {
    actions_.push_back({VrrpAction::Kind::send_garp, now_us, 0, 1});
    ++counters_.garp_rounds;
    --garp_rounds_pending_;
    garp_round_at_ = garp_rounds_pending_ > 0 ? now_us + settings_.garp_interval_us : kVrrpNever;
  }
  if (now_us >= garp_delay_at_) {
    garp_delay_at_ = kVrrpNever;
    send_garp(now_us, settings_.garp_repeat);
  }
  if (now_us >= garp_refresh_at_) {
    garp_refresh_at_ = now_us + settings_.garp_refresh_us;
    send_garp(now_us, settings_.garp_refresh_repeat);
  }
  if (now_us >= advert_at_) {
    send_advert(now_us, effective_priority_);
    advert_at_ = now_us + own_interval_us();
  }
}

int64_t VrrpInstance::next_deadline_us() const {
  if (state_ == VrrpState::backup) return master_down_at_;
  if (state_ != VrrpState::master) return kVrrpNever;
  int64_t next = advert_at_;
  if (garp_rounds_pending_ > 0) next = std::min(next, garp_round_at_);
  next = std::min(next, garp_delay_at_);
  next = std::min(next, garp_refresh_at_);
  return next;
}

void VrrpInstance::recompute_effective_priority(int64_t now_us) {
  uint8_t next = base_priority_;
  if (base_priority_ != kVrrpPriorityOwner) {
    const int total = static_cast<int>(base_priority_) + priority_adjustment_;
    next = static_cast<uint8_t>(std::clamp(total, 1, kVrrpPriorityOwner - 1));
  }
  if (next == effective_priority_) return;
  const bool increasing = next > effective_priority_;
  const int64_t old_interval = master_down_interval_us();
  effective_priority_ = next;
  // A MASTER announces the new priority in its next advert. A BACKUP's skew
  // shrinks when its priority rises: keepalived brings the running
  // master-down timer forward by the difference, never pushes it back.
  if (state_ == VrrpState::backup && increasing && master_down_at_ != kVrrpNever) {
    master_down_at_ = std::max(now_us, master_down_at_ - (old_interval - master_down_interval_us()));
  }
  if (state_ == VrrpState::master) master_priority_ = effective_priority_;
}

void VrrpInstance::set_priority_adjustment(int64_t now_us, int delta) {
  priority_adjustment_ = delta;
  recompute_effective_priority(now_us);
}

void VrrpInstance::set_base_priority(int64_t now_us, uint8_t priority) {
  if (priority == 0) return;
  base_priority_ = priority;
  recompute_effective_priority(now_us);
}

VrrpStatus VrrpInstance::status(int64_t now_us) const {
  VrrpStatus s;
  s.state = state_;
  s.link_up = link_up_;
  s.base_priority = base_priority_;
  s.effective_priority = effective_priority_;
  s.master_address = master_address_;
  s.master_priority = master_priority_;
  s.advert_interval_cs = master_interval_cs_;
  s.master_down_interval_us = master_down_interval_us();
  if (state_ == VrrpState::backup && master_down_at_ != kVrrpNever) {
    s.master_down_remaining_us = std::max<int64_t>(0, master_down_at_ - now_us);
  }
  if (state_ == VrrpState::backup && preempt_at_ != kVrrpNever) {
    s.preempt_delay_remaining_us = std::max<int64_t>(0, preempt_at_ - now_us);
  }
  s.last_reason = last_reason_;
  s.last_transition_us = last_transition_us_;
  return s;
}

}  // namespace dplb::vrrp

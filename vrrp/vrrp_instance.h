#pragma once

// One VRRP instance: the RFC 3768 / RFC 5798 state machine with keepalived's
// timings and choices, as pure logic on a clock the caller passes in (int64
// microseconds, any epoch, never decreasing). It does no I/O: every effect is
// a VrrpAction queued for the control-plane service, which drains them with
// take_actions() after each call and carries them out in order:
//
//   state_changed      log it, run notify scripts
//   take_addresses     the workers start answering for the virtual addresses
//   release_addresses  ... stop answering for them
//   send_advert        build make_advert(action.priority) with build_vrrp_frame
//   send_garp          action.garp_rounds rounds of one gratuitous ARP per address
//
// The service calls tick(now) when now >= next_deadline_us(), hands adverts
// that passed parse_vrrp_ipv4_packet to receive() of the instance with their
// VRID, and reports the port's link with link_down()/link_up().

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vrrp/vrrp_advert.h"
#include "vrrp/vrrp_counters.h"
#include "vrrp/vrrp_drop.h"
#include "vrrp/vrrp_settings.h"
#include "vrrp/vrrp_state.h"
#include "vrrp/vrrp_timing.h"

namespace dplb::vrrp {

struct VrrpAction {
  enum class Kind : uint8_t { state_changed, take_addresses, release_addresses, send_advert, send_garp };
  Kind kind = Kind::state_changed;
  int64_t at_us = 0;
  uint8_t priority = 0;      // send_advert: the priority field (0 = handing over)
  uint32_t garp_rounds = 0;  // send_garp
  VrrpState from = VrrpState::initialize;  // state_changed
  VrrpState to = VrrpState::initialize;
  VrrpReason reason = VrrpReason::none;
};

class VrrpInstance {
 public:
  // Applies normalize_vrrp_settings (see notes()); the settings must pass
  // validate_vrrp_settings. The instance stays in INIT until start().
  explicit VrrpInstance(VrrpInstanceSettings settings);

  const VrrpInstanceSettings& settings() const { return settings_; }
  const std::vector<std::string>& notes() const { return notes_; }

  // INIT or STOP -> BACKUP listening for Master_Down_Interval, or straight to
  // MASTER for the address owner (priority 255), or FAULT if the link is down.
  // Like keepalived 2.x (vrrp_scheduler.c vrrp_init_state), `state MASTER`
  // below priority 255 starts as BACKUP too: keepalived's man page says it
  // "will wait between 3 and 4 advert intervals before it can transition".
  void start(int64_t now_us);
  // The operator's `vrrp stop` and shutdown: a MASTER sends a priority-0
  // advert (backups take over after Skew_Time) and releases its addresses.
  void stop(int64_t now_us);

  // Port link changes. Down: FAULT (a MASTER first sends priority 0 and
  // releases). Up: FAULT -> BACKUP (or MASTER for the owner), as keepalived's
  // try_up_instance. Either may be called in any state; the link state is
  // remembered for start().
  void link_down(int64_t now_us);
  void link_up(int64_t now_us);
  // A tracked object with weight 0 failed (keepalived's track_script with
  // weight 0; here a backend with no server): FAULT as for a link down,
  // until it recovers and the link is up.
  void set_tracking_fault(int64_t now_us, bool fault);

  // An advert that passed the codec's checks. Returns why it was dropped
  // (also counted), or nullopt if it was processed.
  std::optional<VrrpDrop> receive(int64_t now_us, const VrrpPacket& packet);

  // Runs the timers that are due: master-down, advert, GARP bursts.
  void tick(int64_t now_us);
  // The earliest time tick() has work, or kVrrpNever.
  int64_t next_deadline_us() const;

  // Tracking weights (keepalived's track_script / track_interface weights):
  // effective priority = base + delta, held to 1..254; the address owner
  // (base 255) is never adjusted (keepalived vrrp_set_effective_priority).
  void set_priority_adjustment(int64_t now_us, int delta);
  // The console's `vrrp priority NAME N` (1..255).
  void set_base_priority(int64_t now_us, uint8_t priority);
  uint8_t base_priority() const { return base_priority_; }
  uint8_t effective_priority() const { return effective_priority_; }

  // The advert this instance sends, with `priority` in its priority field.
  VrrpAdvert make_advert(uint8_t priority) const;

  std::vector<VrrpAction> take_actions();
  VrrpState state() const { return state_; }
  const VrrpCounters& counters() const { return counters_; }
  VrrpStatus status(int64_t now_us) const;

 private:
  int64_t own_interval_us() const;
  int64_t master_down_interval_us() const;
  void recompute_effective_priority(int64_t now_us);
  void transition(int64_t now_us, VrrpState to, VrrpReason reason);
  void become_master(int64_t now_us, VrrpReason reason);
  void become_backup(int64_t now_us, VrrpReason reason);
  void leave_master_to_backup(int64_t now_us, VrrpReason reason);
  void release_as_master(int64_t now_us);
  void enter_fault(int64_t now_us, VrrpReason reason);
  void leave_fault(int64_t now_us, VrrpReason reason);
  void send_advert(int64_t now_us, uint8_t priority);
  void send_garp(int64_t now_us, uint32_t rounds);
  void cancel_timers();
  void receive_as_backup(int64_t now_us, const VrrpPacket& packet);
  void receive_as_master(int64_t now_us, const VrrpPacket& packet);

  VrrpInstanceSettings settings_;
  std::vector<std::string> notes_;
  VrrpState state_ = VrrpState::initialize;
  bool link_up_ = true;
  bool tracking_fault_ = false;
  uint8_t base_priority_ = 0;
  int priority_adjustment_ = 0;
  uint8_t effective_priority_ = 0;

  // Master_Adver_Interval: our own as MASTER and for v2; a v3 BACKUP adopts
  // the interval in the master's adverts (RFC 5798 6.4.2).
  uint16_t master_interval_cs_ = 0;
  uint32_t master_address_ = 0;
  uint8_t master_priority_ = 0;
  // Why the next BACKUP -> MASTER happens, decided by the last advert seen
  // (keepalived's next_master_reason).
  VrrpReason pending_master_reason_ = VrrpReason::master_no_response;

  int64_t master_down_at_ = kVrrpNever;  // BACKUP
  int64_t advert_at_ = kVrrpNever;       // MASTER
  int64_t preempt_at_ = kVrrpNever;      // BACKUP, while a preempt_delay runs
  int64_t garp_delay_at_ = kVrrpNever;   // MASTER: the second burst
  int64_t garp_refresh_at_ = kVrrpNever; // MASTER: periodic refresh
  int64_t garp_round_at_ = kVrrpNever;   // MASTER: next spaced round
  uint32_t garp_rounds_pending_ = 0;

  VrrpReason last_reason_ = VrrpReason::none;
  int64_t last_transition_us_ = -1;
  VrrpCounters counters_;
  std::vector<VrrpAction> actions_;
};

}  // namespace dplb::vrrp

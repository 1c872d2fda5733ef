#pragma once

// The states of a VRRP instance and why it entered them.

#include <cstdint>

namespace dplb::vrrp {

enum class VrrpState : uint8_t {
  initialize,  // constructed, never started
  backup,
  master,
  fault,       // the port is down: no adverts sent or heard
  stopped,     // stopped by the operator or at shutdown; start() resumes
};

// keepalived's words, which operators' scripts and habits expect.
inline const char* vrrp_state_name(VrrpState s) {
  switch (s) {
    case VrrpState::initialize: return "INIT";
    case VrrpState::backup: return "BACKUP";
    case VrrpState::master: return "MASTER";
    case VrrpState::fault: return "FAULT";
    case VrrpState::stopped: return "STOP";
  }
  return "UNKNOWN";
}

enum class VrrpReason : uint8_t {
  none,
  startup,                        // started: listening for a master as BACKUP
  address_owner,                  // priority 255: MASTER without waiting
  master_no_response,             // no advert for Master_Down_Interval
  master_released,                // the master sent priority 0; took over after Skew_Time
  preempted,                      // outranked a lower-priority master (its adverts ignored)
  higher_priority_advert,         // as MASTER, heard a higher priority
  equal_priority_higher_address,  // as MASTER, heard our priority from a higher address
  link_down,
  link_up,
  tracked_backend_down,           // a backend tracked with weight 0 has no server
  tracked_backend_up,
  operator_stop,
  operator_start,
};

inline const char* vrrp_reason_name(VrrpReason r) {
  switch (r) {
    case VrrpReason::none: return "none";
    case VrrpReason::startup: return "startup";
    case VrrpReason::address_owner: return "address owner";
    case VrrpReason::master_no_response: return "master not responding";
    case VrrpReason::master_released: return "master released (priority 0)";
    case VrrpReason::preempted: return "preempted lower-priority master";
    case VrrpReason::higher_priority_advert: return "higher priority advert";
    case VrrpReason::equal_priority_higher_address: return "equal priority, higher address";
    case VrrpReason::link_down: return "link down";
    case VrrpReason::link_up: return "link up";
    case VrrpReason::tracked_backend_down: return "tracked backend has no server";
    case VrrpReason::tracked_backend_up: return "tracked backend has a server again";
    case VrrpReason::operator_stop: return "stopped by operator";
    case VrrpReason::operator_start: return "started by operator";
  }
  return "unknown";
}

}  // namespace dplb::vrrp

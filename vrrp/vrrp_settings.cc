#include "vrrp/vrrp_settings.h"

#include <algorithm>

namespace dplb::vrrp {

std::array<uint8_t, kVrrpAuthLength> vrrp_auth_pass_bytes(std::string_view password) {
  std::array<uint8_t, kVrrpAuthLength> bytes{};
  const std::size_t n = std::min(password.size(), kVrrpAuthLength);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(password[i]);
  return bytes;
}

std::string validate_vrrp_settings(const VrrpInstanceSettings& s) {
  if (s.vrid == 0) return "vrid must be 1..255";
  if (s.priority == 0) return "priority must be 1..255";
  if (s.version != 2 && s.version != 3) return "version must be 2 or 3";
  if (s.version == 2) {
    if (s.advert_interval_cs < 100 || s.advert_interval_cs % 100 != 0 ||
        s.advert_interval_cs > 255 * 100) {
      return "a VRRPv2 advert interval is whole seconds, 1..255";
    }
  } else {
    if (s.advert_interval_cs < 1 || s.advert_interval_cs > 0x0fff) {
      return "a VRRPv3 advert interval is 0.01..40.95 s";
    }
    if (s.auth_pass) return "VRRPv3 has no authentication";
  }
  if (s.primary_address == 0) return "the primary address is not set";
  if (s.virtual_addresses.empty()) return "no virtual addresses";
  if (s.virtual_addresses.size() > kVrrpMaxAddresses) return "too many virtual addresses";
  for (std::size_t i = 0; i < s.virtual_addresses.size(); ++i) {
    for (std::size_t j = i + 1; j < s.virtual_addresses.size(); ++j) {
      if (s.virtual_addresses[i] == s.virtual_addresses[j]) return "duplicate virtual address";
    }
  }
  if (s.preempt_delay_us < 0 || s.garp_delay_us < 0 || s.garp_refresh_us < 0 ||
      s.garp_interval_us < 0) {
    return "negative delay";
  }
  return {};
}

std::vector<std::string> normalize_vrrp_settings(VrrpInstanceSettings& s) {
  std::vector<std::string> notes;
  if (s.priority == kVrrpPriorityOwner) {
    if (!s.preempt) {
      notes.emplace_back("nopreempt is incompatible with priority 255 - preempting");
      s.preempt = true;
    }
    if (s.initial_state != VrrpInitialState::master) {
      notes.emplace_back("priority 255: starting as though state were MASTER");
      s.initial_state = VrrpInitialState::master;
    }
  }
  if (s.initial_state == VrrpInitialState::master) {
    if (!s.preempt) {
      notes.emplace_back("nopreempt does not work with initial state MASTER - clearing");
      s.preempt = true;
    }
    if (s.preempt_delay_us != 0) {
      notes.emplace_back("preempt_delay does not work with initial state MASTER - clearing");
      s.preempt_delay_us = 0;
    }
  }
  if (!s.preempt && s.preempt_delay_us != 0) {
    notes.emplace_back("preempt_delay is incompatible with nopreempt - clearing");
    s.preempt_delay_us = 0;
  }
  return notes;
}

}  // namespace dplb::vrrp

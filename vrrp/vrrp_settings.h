#pragma once

// What one VRRP instance is configured with, in the library's own terms so
// it depends on no config parser: the service fills it from a [[vrrp]]
// section. Times are microseconds, addresses host-order IPv4.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vrrp/vrrp_advert.h"

namespace dplb::vrrp {

enum class VrrpInitialState : uint8_t { backup, master };

struct VrrpInstanceSettings {
  std::string name;
  uint8_t vrid = 0;         // 1..255
  uint8_t priority = 100;   // base priority 1..255; 255 = address owner
  uint8_t version = 2;      // 2 (RFC 3768) or 3 (RFC 5798)
  uint16_t advert_interval_cs = 100;  // v2: whole seconds (100, 200, ...); v3: 1..4095
  bool preempt = true;                // false = keepalived's nopreempt
  int64_t preempt_delay_us = 0;       // 0: preempt at once
  VrrpInitialState initial_state = VrrpInitialState::backup;
  uint32_t primary_address = 0;       // our address on the port: advert source, tie-breaker
  std::vector<uint32_t> virtual_addresses;
  bool auth_pass = false;             // v2 only: authentication PASS with auth_data
  std::array<uint8_t, kVrrpAuthLength> auth_data{};
  // keepalived's garp_master_repeat / _delay / _refresh / _refresh_repeat and
  // the global vrrp_garp_interval, with keepalived's defaults.
  uint32_t garp_repeat = 5;           // GARP rounds (one GARP per address) on becoming master
  int64_t garp_delay_us = 5'000'000;  // a second burst this long after (0: none)
  int64_t garp_refresh_us = 0;        // while master, a refresh this often (0: off)
  uint32_t garp_refresh_repeat = 1;   // rounds per refresh
  int64_t garp_interval_us = 0;       // spacing between rounds (0: all at once)
  // keepalived's v3_checksum_as_v2: how our v3 adverts checksum over IPv4.
  V3Checksum v3_checksum = V3Checksum::pseudo_header;
};

// keepalived's 8-byte password field: the first 8 characters, zero-padded
// (longer passwords are truncated with a warning by keepalived).
std::array<uint8_t, kVrrpAuthLength> vrrp_auth_pass_bytes(std::string_view password);

// An empty string if the settings are usable, else what is wrong.
std::string validate_vrrp_settings(const VrrpInstanceSettings& s);

// keepalived's silent fix-ups of contradictory settings (vrrp_parser.c /
// vrrp.c vrrp_complete_instance), applied by VrrpInstance's constructor:
//  - priority 255 cannot be nopreempt: preempt is forced on;
//  - priority 255 acts as though `state MASTER` was given;
//  - state MASTER clears nopreempt and preempt_delay;
//  - preempt_delay is meaningless with nopreempt: cleared.
// Returns one note per change, for the log.
std::vector<std::string> normalize_vrrp_settings(VrrpInstanceSettings& s);

}  // namespace dplb::vrrp

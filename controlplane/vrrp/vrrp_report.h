#pragma once

// What `show vrrp` prints, as pure formatting so tests can check it without
// a running appliance.

#include <array>
#include <cstdint>
#include <string>

#include "conf/config.h"
#include "dataplane/net/ethernet_classifier.h"
#include "vrrp/vrrp_counters.h"

namespace dplb::controlplane {

struct VrrpInstanceView {
  const conf::VrrpConfig* config = nullptr;
  std::string port_name;
  dataplane::MacAddress mac{};
  vrrp::VrrpStatus status;
  const vrrp::VrrpCounters* counters = nullptr;
  bool owns = false;           // what the workers were told last
  std::string tracked_down;    // tracked backends without a server, comma-separated
  int64_t now_us = 0;          // the instance's clock, for how long the state has lasted
};

// One block per instance; its first line reads "NAME: state STATE ...".
std::string format_vrrp_instance(const VrrpInstanceView& view);

// The adverts a port's workers handed over that no instance took.
std::string format_vrrp_port_drops(const std::string& port, uint64_t frames,
                                   const std::array<uint64_t, vrrp::kVrrpDropCount>& drops);

}  // namespace dplb::controlplane

#pragma once

// A port's link as the control plane should believe it. Poll-mode drivers
// report it through rte_eth_link_get_nowait. net_af_packet and net_af_xdp
// do not: their link is "up" from start to stop whatever the interface does
// (22.11's eth_link_update is empty in both), so a cut cable would go unnoticed and VRRP
// could never enter FAULT. For such a port the kernel interface underneath
// knows: its carrier in sysfs (the namespace's own, under `ip netns exec`).

#include <string>

#include "dataplane/port/port_setup.h"

namespace dplb::controlplane {

struct PortLinkStatus {
  bool up = false;
  std::string text;    // for the log, e.g. "Link up at 10 Gbps FDX Autoneg" or "carrier lost (kernel interface front)"
  bool known = false;  // false: neither the driver nor the kernel could tell
};

PortLinkStatus port_link_status(const dataplane::PortRuntime& port);

// The kernel interface under a net_af_packet / net_af_xdp device ("iface=front"), or "".
std::string kernel_interface_of(const dataplane::PortRuntime& port);

}  // namespace dplb::controlplane

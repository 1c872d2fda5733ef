#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dplb::dataplane {

// What the kernel says about the XDP program on an interface, for the boot
// log of a net_af_xdp port and for explaining why its sockets could not be
// made. Control plane only (netlink and bpf syscalls).
struct XdpAttachment {
  bool queried = false;   // false: the interface is unknown or the query failed (see error)
  uint32_t program_id = 0;  // 0: no program attached
  std::string program_name;
  std::string mode;  // "native", "generic (skb)", "offloaded", "several", or "" when none
  std::string error;
};

XdpAttachment query_xdp_attachment(const std::string& interface);

// "program 42 (xdp_dispatcher), native mode" or "no XDP program".
std::string describe(const XdpAttachment& attachment);

// Whether the interface strips VLAN tags into packet metadata on receive
// (ethtool's rx-vlan-offload). XDP sees only the frame's bytes, so under
// net_af_xdp such a tag is lost and a tagged frame looks untagged.
// nullopt when the kernel does not say.
std::optional<bool> rx_vlan_offload(const std::string& interface);

// The AF_XDP sockets this process holds and how many of them run zero-copy
// (the kernel driver DMAs into the mbufs) rather than copy mode.
struct XskSockets {
  unsigned total = 0;
  unsigned zero_copy = 0;
};

XskSockets count_xsk_sockets();

}  // namespace dplb::dataplane

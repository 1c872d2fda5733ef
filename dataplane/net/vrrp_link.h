#pragma once

// What VRRP (RFC 5798, and v2 of RFC 3768) asks of the link and IP layers:
// the advertisement group, its MAC, the protocol number and the virtual
// router MAC. The election itself runs on the control plane; workers only
// hand advertisements over and answer for the addresses they own.

#include <cstdint>

#include "dataplane/net/ethernet_classifier.h"
#include "dataplane/port/port_identity.h"

namespace dplb::dataplane {

inline constexpr uint8_t kIpProtocolVrrp = 112;
inline constexpr uint32_t kVrrpGroup = 0xe0000012;  // 224.0.0.18, host order
inline constexpr MacAddress kVrrpGroupMac = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};

// RFC 5798 7.3: 00-00-5E-00-01-{VRID} for IPv4.
constexpr MacAddress vrrp_virtual_mac(uint8_t vrid) { return {0x00, 0x00, 0x5e, 0x00, 0x01, vrid}; }

// Boot: the port takes part in VRRP. Its workers then accept the group MAC
// and hand protocol 112 to the control plane. False if the port's multicast
// list is full.
bool enable_vrrp(PortIdentity& port);

// Boot (use_vmac): frames to the virtual router MAC of `vrid` are ours too.
// False if the port's list of extra unicast MACs is full.
bool accept_virtual_mac(PortIdentity& port, uint8_t vrid);

}  // namespace dplb::dataplane

#pragma once

#include <cstdint>
#include <string_view>

namespace dplb::dataplane {

// Why a worker dropped a received frame. Every drop has exactly one reason so
// `show ports` adds up: rx = delivered + sum(drops).
enum class DropReason : uint8_t {
  runt,               // shorter than an Ethernet header
  not_for_us,         // unicast to another MAC (af_packet and promiscuous NICs see these)
  multicast_ignored,  // multicast group we have not joined
  vlan_tagged,        // 802.1Q/802.1ad: no VLAN support yet, see docs/config.md
  unknown_ethertype,  // no protocol handler registered for the EtherType
  arp_malformed,      // not Ethernet/IPv4 ARP, or shorter than an ARP packet
  arp_request_other,  // a request for an address that is not ours
  arp_vip_not_owned,  // a request for a virtual address (VRRP) another router owns now
  arp_unknown_op,     // RARP, InARP and other operations
  ipv4_truncated,     // shorter than its header or its total length says
  ipv4_bad_header,    // version not 4 or header length under 20 bytes
  ipv4_bad_checksum,
  ipv4_fragment,      // no reassembly: fragments are dropped
  ipv4_not_for_us,    // dplb is a host, not a router
  ipv4_vip_not_owned, // to a virtual address (VRRP) we do not own now: we are its backup
  ipv4_unhandled_protocol,  // no handler for this IP protocol
  ipv4_vrrp_ring_full,      // a VRRP advertisement the control channel had no room for
  udp_port_closed,          // UDP to us: nothing listens (answered with port unreachable, rate-limited)
  icmp_truncated,
  icmp_bad_checksum,
  icmp_unhandled_type,  // ICMP other than echo request and reply
  tcp_malformed,        // a TCP header that does not parse (bounds, offset, options, flags)
  tcp_bad_checksum,
  redirect_full,        // the owner worker's redirect ring was full
  count_,
};

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::count_);

// Stable, operator-facing names ("not-for-us"), used by show ports and tests.
std::string_view drop_reason_name(DropReason reason);

}  // namespace dplb::dataplane

#pragma once

// Why a received VRRP advertisement was not acted upon. Each dropped packet
// has exactly one reason, so the per-reason counters of `show vrrp` add up.
// The first group is decided by the codec from the packet alone; the second
// needs an instance's settings (vrrp_accept.h) or state (vrrp_instance.h).

#include <cstddef>
#include <cstdint>

namespace dplb::vrrp {

enum class VrrpDrop : uint8_t {
  // Packet checks (parse_vrrp_ipv4_packet).
  truncated,           // shorter than the IPv4 header, its total length, or the VRRP header
  bad_ip_header,       // not IPv4, header length < 20, bad header checksum, or a fragment
  not_vrrp,            // IP protocol is not 112
  ttl_not_255,         // RFC 3768 7.1 / RFC 5798 7.1: a routed (or forged off-link) advert
  bad_version,         // VRRP version other than 2 or 3
  bad_type,            // VRRP type other than 1 (ADVERTISEMENT)
  bad_length,          // the address count does not match the VRRP message length
  too_many_addresses,  // more addresses than this implementation keeps (kVrrpMaxAddresses)
  bad_checksum,        // v2: over the message; v3: in neither accepted form
  bad_interval,        // v3 with a zero maximum advertisement interval

  // Instance checks (check_advert_for_instance) and instance state.
  vrid_unknown,           // no instance has this VRID on the port (counted by the router)
  version_mismatch,       // a v3 advert to a v2 instance or the reverse
  auth_type_mismatch,     // v2: authentication type differs from ours
  auth_mismatch,          // v2 PASS: the 8 bytes differ from ours
  interval_mismatch,      // v2: advertisement interval differs from ours (RFC 3768 7.1)
  address_list_mismatch,  // the virtual addresses differ from ours, sender is not the owner
  own_advert,             // the source address is our own primary address
  instance_inactive,      // the instance is stopped or in FAULT: adverts are ignored
  not_a_peer,             // unicast_peers configured and the source is not one of them (keepalived's check)
  count_,
};

inline constexpr std::size_t kVrrpDropCount = static_cast<std::size_t>(VrrpDrop::count_);

// Stable, operator-facing names ("ttl-not-255") for counters and logs.
inline const char* vrrp_drop_name(VrrpDrop drop) {
  switch (drop) {
    case VrrpDrop::truncated: return "truncated";
    case VrrpDrop::bad_ip_header: return "bad-ip-header";
    case VrrpDrop::not_vrrp: return "not-vrrp";
    case VrrpDrop::ttl_not_255: return "ttl-not-255";
    case VrrpDrop::bad_version: return "bad-version";
    case VrrpDrop::bad_type: return "bad-type";
    case VrrpDrop::bad_length: return "bad-length";
    case VrrpDrop::too_many_addresses: return "too-many-addresses";
    case VrrpDrop::bad_checksum: return "bad-checksum";
    case VrrpDrop::bad_interval: return "bad-interval";
    case VrrpDrop::vrid_unknown: return "vrid-unknown";
    case VrrpDrop::version_mismatch: return "version-mismatch";
    case VrrpDrop::auth_type_mismatch: return "auth-type-mismatch";
    case VrrpDrop::auth_mismatch: return "auth-mismatch";
    case VrrpDrop::interval_mismatch: return "interval-mismatch";
    case VrrpDrop::address_list_mismatch: return "address-list-mismatch";
    case VrrpDrop::own_advert: return "own-advert";
    case VrrpDrop::instance_inactive: return "instance-inactive";
    case VrrpDrop::not_a_peer: return "not-a-peer";
    case VrrpDrop::count_: break;
  }
  return "unknown";
}

}  // namespace dplb::vrrp

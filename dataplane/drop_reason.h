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
  count_,
};

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::count_);

// Stable, operator-facing names ("not-for-us"), used by show ports and tests.
std::string_view drop_reason_name(DropReason reason);

}  // namespace dplb::dataplane

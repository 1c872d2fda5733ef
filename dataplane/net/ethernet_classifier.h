#pragma once

#include <array>
#include <cstdint>

#include "dataplane/net/drop_reason.h"

namespace dplb::dataplane {

using MacAddress = std::array<uint8_t, 6>;

// The link-layer identity of one port: its own MAC, the multicast MACs it
// has joined (VRRP's 01:00:5e:00:00:12) and the other unicast MACs it
// answers to (VRRP virtual router MACs, with use_vmac).
struct PortMacFilter {
  static constexpr std::size_t kMaxMulticast = 8;
  static constexpr std::size_t kMaxUnicast = 8;

  MacAddress mac{};
  std::array<MacAddress, kMaxMulticast> multicast{};
  uint8_t multicast_count = 0;
  std::array<MacAddress, kMaxUnicast> unicast{};
  uint8_t unicast_count = 0;

  bool join(const MacAddress& group);
  bool joined(const uint8_t* group) const;
  // False when the list is full.
  bool add_unicast(const MacAddress& extra);
  // The port's own MAC or one of the extra ones.
  bool accepts_unicast(const uint8_t* destination) const;
};

enum class LinkDestination : uint8_t { unicast, broadcast, multicast };

struct FrameVerdict {
  bool accepted = false;
  DropReason reason = DropReason::runt;  // meaningful when !accepted
  LinkDestination destination = LinkDestination::unicast;
  uint16_t ethertype = 0;  // host order
};

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr uint32_t kEthernetHeaderLength = 14;

// Decides from the Ethernet header alone whether a frame is ours to process.
FrameVerdict classify_frame(const uint8_t* frame, uint32_t length, const PortMacFilter& filter);

}  // namespace dplb::dataplane

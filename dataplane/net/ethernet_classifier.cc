#include "dataplane/net/ethernet_classifier.h"

#include <algorithm>
#include <cstring>

namespace dplb::dataplane {

bool PortMacFilter::join(const MacAddress& group) {
  if (joined(group.data())) return true;
  if (multicast_count == kMaxMulticast) return false;
  multicast[multicast_count++] = group;
  return true;
}

bool PortMacFilter::joined(const uint8_t* group) const {
  for (uint8_t i = 0; i < multicast_count; ++i) {
    if (std::memcmp(multicast[i].data(), group, 6) == 0) return true;
  }
  return false;
}

bool PortMacFilter::add_unicast(const MacAddress& extra) {
  if (accepts_unicast(extra.data())) return true;
  if (unicast_count == kMaxUnicast) return false;
  unicast[unicast_count++] = extra;
  return true;
}

bool PortMacFilter::accepts_unicast(const uint8_t* destination) const {
  if (std::memcmp(destination, mac.data(), 6) == 0) return true;
  // Only frames for other hosts get here on most ports (af_packet sees them):
  // the list is empty unless VRRP uses virtual MACs.
  for (uint8_t i = 0; i < unicast_count; ++i) {
    if (std::memcmp(unicast[i].data(), destination, 6) == 0) return true;
  }
  return false;
}

FrameVerdict classify_frame(const uint8_t* frame, uint32_t length, const PortMacFilter& filter) {
  FrameVerdict verdict;
  if (length < kEthernetHeaderLength) {
    verdict.reason = DropReason::runt;
    return verdict;
  }
  const uint8_t* destination = frame;
  static constexpr uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  if (std::memcmp(destination, kBroadcast, 6) == 0) {
    verdict.destination = LinkDestination::broadcast;
  } else if (destination[0] & 0x01) {
    verdict.destination = LinkDestination::multicast;
    if (!filter.joined(destination)) {
      verdict.reason = DropReason::multicast_ignored;
      return verdict;
    }
  } else if (!filter.accepts_unicast(destination)) {
    verdict.reason = DropReason::not_for_us;
    return verdict;
  }
  verdict.ethertype = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
  if (verdict.ethertype == kEtherTypeVlan || verdict.ethertype == kEtherTypeQinQ) {
    verdict.reason = DropReason::vlan_tagged;
    return verdict;
  }
  verdict.accepted = true;
  return verdict;
}

}  // namespace dplb::dataplane

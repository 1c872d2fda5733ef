#pragma once

// The virtual IPv4 addresses (VRRP VIPs) of one port as one worker sees
// them. The control plane runs the election and tells every worker what it
// owns (vip_own) and what it gave up (vip_release); the worker answers ARP,
// ICMP and TCP for owned addresses only. An address the table knows but does
// not own is a backup's: its packets are dropped with their own counters
// (ipv4-vip-not-owned, arp-vip-not-owned) rather than as any other host's.
//
// A fixed array searched linearly: a port has a handful of VIPs, lookups
// happen only for packets not addressed to the port's own address, and
// changes are rare (a VRRP transition).

#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/net/ethernet_classifier.h"

namespace dplb::dataplane {

struct VirtualAddress {
  uint32_t ipv4 = 0;  // host order
  MacAddress mac{};   // what ARP answers and our frames from this address carry
  bool owned = false;
};

class VirtualAddressTable {
 public:
  static constexpr std::size_t kCapacity = 32;

  // The address is ours from now on, answered with `mac`. False when the
  // table is full.
  bool own(uint32_t ipv4, const MacAddress& mac);
  // The address is a VIP we do not own (any more). Known from now on even if
  // it was not before, so its packets are counted as a backup's. Returns
  // true if it was owned until now. False-and-unknown when the table is full.
  bool release(uint32_t ipv4);

  // Null unless the table knows the address (owned or not).
  const VirtualAddress* find(uint32_t ipv4) const {
    for (uint8_t i = 0; i < count_; ++i) {
      if (entries_[i].ipv4 == ipv4) return &entries_[i];
    }
    return nullptr;
  }
  // Null unless the address is owned.
  const VirtualAddress* owned(uint32_t ipv4) const {
    const VirtualAddress* v = find(ipv4);
    return v != nullptr && v->owned ? v : nullptr;
  }
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }

 private:
  VirtualAddress* slot(uint32_t ipv4);  // finds or adds; null when full

  std::array<VirtualAddress, kCapacity> entries_{};
  uint8_t count_ = 0;
};

}  // namespace dplb::dataplane

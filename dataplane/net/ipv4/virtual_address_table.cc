#include "dataplane/net/ipv4/virtual_address_table.h"

namespace dplb::dataplane {

VirtualAddress* VirtualAddressTable::slot(uint32_t ipv4) {
  for (uint8_t i = 0; i < count_; ++i) {
    if (entries_[i].ipv4 == ipv4) return &entries_[i];
  }
  if (count_ == kCapacity) return nullptr;
  VirtualAddress& v = entries_[count_++];
  v = VirtualAddress{ipv4, {}, false};
  return &v;
}

bool VirtualAddressTable::own(uint32_t ipv4, const MacAddress& mac) {
  VirtualAddress* v = slot(ipv4);
  if (v == nullptr) return false;
  v->mac = mac;
  v->owned = true;
  return true;
}

bool VirtualAddressTable::release(uint32_t ipv4) {
  VirtualAddress* v = slot(ipv4);
  if (v == nullptr) return false;
  const bool was = v->owned;
  v->owned = false;
  return was;
}

}  // namespace dplb::dataplane

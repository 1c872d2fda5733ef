#include "dataplane/net/vrrp_link.h"

namespace dplb::dataplane {

bool enable_vrrp(PortIdentity& port) {
  if (!port.link.join(kVrrpGroupMac)) return false;
  port.vrrp = true;
  return true;
}

bool accept_virtual_mac(PortIdentity& port, uint8_t vrid) { return port.link.add_unicast(vrrp_virtual_mac(vrid)); }

}  // namespace dplb::dataplane

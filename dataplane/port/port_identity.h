#pragma once

#include <cstdint>

#include "dataplane/net/ethernet_classifier.h"

namespace dplb::dataplane {

// What a worker needs to know about a port to answer on it: the link
// identity (MAC, joined groups) and the host's IPv4 address there.
struct PortIdentity {
  PortMacFilter link;
  uint32_t ipv4 = 0;  // host byte order
  bool tx_ipv4_checksum_offload = false;  // the NIC fills IPv4 header checksums
  bool tx_multi_segment = true;           // the NIC sends mbuf chains (else they are copied into one)
  uint16_t mtu = 1500;
  // VRRP runs on this port (set at boot with enable_vrrp, dataplane/net/vrrp_link.h):
  // advertisements to 224.0.0.18 or to `ipv4` go to the control plane.
  bool vrrp = false;
};

}  // namespace dplb::dataplane

#pragma once

#include <string>

#include "dataplane/net/ethernet_classifier.h"

namespace dplb::dataplane {

// A multicast MAC in the multicast list of a Linux interface under a
// net_af_packet or net_af_xdp port (SIOCADDMULTI, what `ip maddr add`
// does). Neither driver can program the NIC's multicast filter, and the
// kernel joined no group for dplb's addresses, so a NIC would drop the
// frames before the packet socket or the XDP program saw them; a veth
// filters nothing, so the lab does not show the difference. Control plane
// only. Return "" or the reason.
std::string join_kernel_multicast(const std::string& interface, const MacAddress& group);
std::string leave_kernel_multicast(const std::string& interface, const MacAddress& group);

}  // namespace dplb::dataplane

#pragma once

// The checks an advert that passed the codec must still pass for one
// instance: they need the instance's settings, so the control plane first
// routes the packet by VRID, then asks here (VrrpInstance::receive does).

#include <optional>

#include "vrrp/vrrp_advert.h"
#include "vrrp/vrrp_drop.h"
#include "vrrp/vrrp_settings.h"

namespace dplb::vrrp {

// nullopt if `packet` is an advert this instance must process, else why not:
//  - VRID other than ours (vrid_unknown), our own source address (own_advert);
//  - a different VRRP version (version_mismatch): keepalived's "invalid version";
//  - v2: authentication type other than ours (auth_type_mismatch), PASS bytes
//    other than ours (auth_mismatch), advert interval other than ours
//    (interval_mismatch: RFC 3768 7.1 drops it so that two groups with one
//    VRID cannot both elect a master; v3 adopts the master's interval instead);
//  - the address list differs from ours (count or members) and the sender is
//    not the address owner: RFC 3768 7.1 / RFC 5798 7.1 say to drop it unless
//    its priority is 255. keepalived drops even the owner's; the RFC is
//    followed here since it only matters against a misconfigured owner.
std::optional<VrrpDrop> check_advert_for_instance(const VrrpPacket& packet,
                                                  const VrrpInstanceSettings& settings);

}  // namespace dplb::vrrp

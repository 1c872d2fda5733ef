#include "vrrp/vrrp_accept.h"

#include <algorithm>

namespace dplb::vrrp {
namespace {

bool same_addresses(const VrrpAdvert& a, const std::vector<uint32_t>& ours) {
  if (a.address_count != ours.size()) return false;
  const auto list = a.address_list();
  // Order is not significant; sizes are equal and ours has no duplicates, so
  // "every one of ours is present" is set equality.
  return std::all_of(ours.begin(), ours.end(), [&list](uint32_t addr) {
    return std::find(list.begin(), list.end(), addr) != list.end();
  });
}

}  // namespace

std::optional<VrrpDrop> check_advert_for_instance(const VrrpPacket& packet,
                                                  const VrrpInstanceSettings& settings) {
  const VrrpAdvert& a = packet.advert;
  if (a.vrid != settings.vrid) return VrrpDrop::vrid_unknown;
  if (packet.source == settings.primary_address) return VrrpDrop::own_advert;
  if (a.version != settings.version) return VrrpDrop::version_mismatch;
  if (a.version == 2) {
    const uint8_t our_type = settings.auth_pass ? kVrrpAuthPass : kVrrpAuthNone;
    if (a.auth_type != our_type) return VrrpDrop::auth_type_mismatch;
    if (settings.auth_pass && a.auth_data != settings.auth_data) return VrrpDrop::auth_mismatch;
    if (a.interval_cs != settings.advert_interval_cs) return VrrpDrop::interval_mismatch;
  }
  if (!same_addresses(a, settings.virtual_addresses) && a.priority != kVrrpPriorityOwner) {
    return VrrpDrop::address_list_mismatch;
  }
  return std::nullopt;
}

}  // namespace dplb::vrrp

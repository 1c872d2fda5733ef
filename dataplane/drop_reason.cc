#include "dataplane/drop_reason.h"

namespace dplb::dataplane {

std::string_view drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::runt: return "runt";
    case DropReason::not_for_us: return "not-for-us";
    case DropReason::multicast_ignored: return "multicast-ignored";
    case DropReason::vlan_tagged: return "vlan-tagged";
    case DropReason::unknown_ethertype: return "unknown-ethertype";
    case DropReason::count_: break;
  }
  return "invalid";
}

}  // namespace dplb::dataplane

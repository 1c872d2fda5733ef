#include "dataplane/net/drop_reason.h"

namespace dplb::dataplane {

std::string_view drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::runt: return "runt";
    case DropReason::not_for_us: return "not-for-us";
    case DropReason::multicast_ignored: return "multicast-ignored";
    case DropReason::vlan_tagged: return "vlan-tagged";
    case DropReason::unknown_ethertype: return "unknown-ethertype";
    case DropReason::arp_malformed: return "arp-malformed";
    case DropReason::arp_request_other: return "arp-request-other";
    case DropReason::arp_vip_not_owned: return "arp-vip-not-owned";
    case DropReason::arp_unknown_op: return "arp-unknown-op";
    case DropReason::ipv4_truncated: return "ipv4-truncated";
    case DropReason::ipv4_bad_header: return "ipv4-bad-header";
    case DropReason::ipv4_bad_checksum: return "ipv4-bad-checksum";
    case DropReason::ipv4_fragment: return "ipv4-fragment";
    case DropReason::ipv4_not_for_us: return "ipv4-not-for-us";
    case DropReason::ipv4_vip_not_owned: return "ipv4-vip-not-owned";
    case DropReason::ipv4_unhandled_protocol: return "ipv4-unhandled-protocol";
    case DropReason::ipv4_vrrp_ring_full: return "ipv4-vrrp-ring-full";
    case DropReason::udp_port_closed: return "udp-port-closed";
    case DropReason::icmp_truncated: return "icmp-truncated";
    case DropReason::icmp_bad_checksum: return "icmp-bad-checksum";
    case DropReason::icmp_unhandled_type: return "icmp-unhandled-type";
    case DropReason::tcp_malformed: return "tcp-malformed";
    case DropReason::tcp_bad_checksum: return "tcp-bad-checksum";
    case DropReason::redirect_full: return "flow-redirect-full";
    case DropReason::count_: break;
  }
  return "invalid";
}

}  // namespace dplb::dataplane

#include "dataplane/net/ipv4/ipv4_input.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/net/icmp/icmp_echo.h"
#include "dataplane/net/vrrp_link.h"

namespace dplb::dataplane {

PacketVerdict ipv4_input(rte_mbuf* frame, const PortIdentity& port, const VirtualAddressTable& vips) {
  constexpr uint32_t kL3 = sizeof(rte_ether_hdr);
  if (rte_pktmbuf_data_len(frame) < kL3 + sizeof(rte_ipv4_hdr)) {
    return PacketVerdict::drop(DropReason::ipv4_truncated);
  }
  auto* ip = rte_pktmbuf_mtod_offset(frame, rte_ipv4_hdr*, kL3);
  const uint32_t header_length = rte_ipv4_hdr_len(ip);
  if ((ip->version_ihl >> 4) != 4 || header_length < sizeof(rte_ipv4_hdr)) {
    return PacketVerdict::drop(DropReason::ipv4_bad_header);
  }
  const uint32_t total_length = rte_be_to_cpu_16(ip->total_length);
  if (rte_pktmbuf_data_len(frame) < kL3 + header_length || total_length < header_length ||
      rte_pktmbuf_pkt_len(frame) < kL3 + total_length) {
    return PacketVerdict::drop(DropReason::ipv4_truncated);
  }
  // The NIC may already have verified it; otherwise a valid header sums to 0xffff.
  const uint64_t checked = frame->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
  if (checked == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
      (checked != RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_raw_cksum(ip, header_length) != 0xffff)) {
    return PacketVerdict::drop(DropReason::ipv4_bad_checksum);
  }
  if ((rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
    return PacketVerdict::drop(DropReason::ipv4_fragment);
  }
  // Ethernet pads short frames; what follows the IP datagram is not ours.
  const auto trim = [&] {
    rte_pktmbuf_trim(frame, static_cast<uint16_t>(rte_pktmbuf_pkt_len(frame) - kL3 - total_length));
  };
  const uint32_t destination = rte_be_to_cpu_32(ip->dst_addr);
  if (destination == kVrrpGroup && ip->next_proto_id == kIpProtocolVrrp) {
    // The group is only joined on VRRP ports; elsewhere it can only have
    // come as a broadcast or to our MAC, and nothing here speaks VRRP.
    if (!port.vrrp) return PacketVerdict::drop(DropReason::ipv4_unhandled_protocol);
    trim();
    return PacketVerdict::deliver_vrrp();
  }
  // The address the packet is for, and the MAC answers leave from.
  uint32_t local = port.ipv4;
  const MacAddress* local_mac = &port.link.mac;
  if (port.ipv4 == 0 || destination != port.ipv4) {
    const VirtualAddress* vip = vips.empty() ? nullptr : vips.find(destination);
    if (vip == nullptr) return PacketVerdict::drop(DropReason::ipv4_not_for_us);
    if (!vip->owned) return PacketVerdict::drop(DropReason::ipv4_vip_not_owned);
    local = vip->ipv4;
    local_mac = &vip->mac;
  }
  trim();
  switch (ip->next_proto_id) {
    case IPPROTO_ICMP: return answer_icmp(frame, port, header_length, local, *local_mac);
    case IPPROTO_TCP: return PacketVerdict::deliver_tcp();
    case IPPROTO_UDP: return PacketVerdict::drop(DropReason::udp_port_closed);
    case kIpProtocolVrrp:
      // Unicast advertisements (keepalived's unicast_peer) come to the port's
      // own address, never to a VIP.
      if (port.vrrp && local == port.ipv4) return PacketVerdict::deliver_vrrp();
      return PacketVerdict::drop(DropReason::ipv4_unhandled_protocol);
    default: return PacketVerdict::drop(DropReason::ipv4_unhandled_protocol);
  }
}

}  // namespace dplb::dataplane

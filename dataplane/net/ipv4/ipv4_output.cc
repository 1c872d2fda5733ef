#include "dataplane/net/ipv4/ipv4_output.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

namespace dplb::dataplane {

void finish_ipv4_checksum(rte_mbuf* frame, rte_ipv4_hdr* ip, const PortIdentity& port) {
  ip->hdr_checksum = 0;
  if (port.tx_ipv4_checksum_offload) {
    frame->l2_len = sizeof(rte_ether_hdr);
    frame->l3_len = rte_ipv4_hdr_len(ip);
    frame->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
  } else {
    ip->hdr_checksum = rte_ipv4_cksum(ip);
  }
}

rte_icmp_hdr* append_icmp_headers(rte_mbuf* frame, const PortIdentity& port, uint32_t destination,
                                  const uint8_t* destination_mac, uint16_t icmp_length, uint16_t packet_id,
                                  bool dont_fragment) {
  const uint16_t ip_length = static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + icmp_length);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(frame, sizeof(rte_ether_hdr) + ip_length));
  if (eth == nullptr) return nullptr;
  if (destination_mac != nullptr) {
    std::memcpy(eth->dst_addr.addr_bytes, destination_mac, RTE_ETHER_ADDR_LEN);
  } else {
    std::memset(eth->dst_addr.addr_bytes, 0, RTE_ETHER_ADDR_LEN);
  }
  std::memcpy(eth->src_addr.addr_bytes, port.link.mac.data(), RTE_ETHER_ADDR_LEN);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  std::memset(ip, 0, sizeof(*ip));
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->total_length = rte_cpu_to_be_16(ip_length);
  ip->packet_id = rte_cpu_to_be_16(packet_id);
  ip->fragment_offset = dont_fragment ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_ICMP;
  ip->src_addr = rte_cpu_to_be_32(port.ipv4);
  ip->dst_addr = rte_cpu_to_be_32(destination);
  finish_ipv4_checksum(frame, ip, port);
  return reinterpret_cast<rte_icmp_hdr*>(ip + 1);
}

}  // namespace dplb::dataplane

#include "dataplane/arp_responder.h"

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>

namespace dplb::dataplane {

PacketVerdict answer_arp(rte_mbuf* frame, const PortIdentity& port, NeighbourObservation* seen) {
  seen->valid = false;
  constexpr uint32_t kLength = sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr);
  if (rte_pktmbuf_data_len(frame) < kLength) return PacketVerdict::drop(DropReason::arp_malformed);
  auto* eth = rte_pktmbuf_mtod(frame, rte_ether_hdr*);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != RTE_ETHER_ADDR_LEN ||
      arp->arp_plen != 4) {
    return PacketVerdict::drop(DropReason::arp_malformed);
  }
  const uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
  if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) return PacketVerdict::drop(DropReason::arp_unknown_op);
  rte_arp_ipv4& data = arp->arp_data;
  const uint32_t ours = rte_cpu_to_be_32(port.ipv4);
  const bool for_us = port.ipv4 != 0 && data.arp_tip == ours;
  if (data.arp_sip != 0) {
    seen->valid = true;
    seen->addressed_to_us = for_us && data.arp_sip != data.arp_tip;
    seen->claims_our_address =
        data.arp_sip == ours && std::memcmp(data.arp_sha.addr_bytes, port.link.mac.data(), RTE_ETHER_ADDR_LEN) != 0;
    seen->ipv4 = rte_be_to_cpu_32(data.arp_sip);
    std::memcpy(seen->mac.data(), data.arp_sha.addr_bytes, RTE_ETHER_ADDR_LEN);
  }
  // Replies, and requests that announce (sender == target), ask nothing of us.
  if (op == RTE_ARP_OP_REPLY || data.arp_sip == data.arp_tip) return PacketVerdict::consume();
  if (!for_us) return PacketVerdict::drop(DropReason::arp_request_other);
  rte_ether_addr own;
  std::memcpy(own.addr_bytes, port.link.mac.data(), RTE_ETHER_ADDR_LEN);
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
  data.arp_tha = data.arp_sha;
  data.arp_tip = data.arp_sip;
  data.arp_sha = own;
  data.arp_sip = rte_cpu_to_be_32(port.ipv4);
  eth->dst_addr = data.arp_tha;
  eth->src_addr = own;
  return PacketVerdict::send();
}

}  // namespace dplb::dataplane

#include "dataplane/net/arp/arp_responder.h"

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>

namespace dplb::dataplane {

PacketVerdict answer_arp(rte_mbuf* frame, const PortIdentity& port, const VirtualAddressTable& vips,
                         NeighbourObservation* seen) {
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
  const uint32_t target = rte_be_to_cpu_32(data.arp_tip);
  // Who answers for the target: the port itself, or an owned VIP with its
  // own MAC (the virtual router MAC with use_vmac).
  const bool for_port = port.ipv4 != 0 && data.arp_tip == ours;
  const VirtualAddress* vip = for_port || vips.empty() ? nullptr : vips.find(target);
  const bool for_us = for_port || (vip != nullptr && vip->owned);
  const MacAddress& answer_mac = vip != nullptr ? vip->mac : port.link.mac;
  if (data.arp_sip != 0) {
    seen->valid = true;
    seen->addressed_to_us = for_us && data.arp_sip != data.arp_tip;
    const uint32_t sender = rte_be_to_cpu_32(data.arp_sip);
    if (data.arp_sip == ours) {
      seen->claims_our_address =
          std::memcmp(data.arp_sha.addr_bytes, port.link.mac.data(), RTE_ETHER_ADDR_LEN) != 0;
    } else if (const VirtualAddress* claimed = vips.empty() ? nullptr : vips.owned(sender); claimed != nullptr) {
      // Another router announcing a VIP we hold: how a VRRP peer that
      // became master (or a misconfigured host) shows itself.
      seen->claims_our_address =
          std::memcmp(data.arp_sha.addr_bytes, claimed->mac.data(), RTE_ETHER_ADDR_LEN) != 0;
      seen->virtual_address = seen->claims_our_address;
    }
    seen->ipv4 = sender;
    std::memcpy(seen->mac.data(), data.arp_sha.addr_bytes, RTE_ETHER_ADDR_LEN);
  }
  // Replies, and requests that announce (sender == target), ask nothing of us.
  if (op == RTE_ARP_OP_REPLY || data.arp_sip == data.arp_tip) return PacketVerdict::consume();
  if (!for_us) {
    return PacketVerdict::drop(vip != nullptr ? DropReason::arp_vip_not_owned : DropReason::arp_request_other);
  }
  rte_ether_addr own;
  std::memcpy(own.addr_bytes, answer_mac.data(), RTE_ETHER_ADDR_LEN);
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
  data.arp_tha = data.arp_sha;
  data.arp_tip = data.arp_sip;
  data.arp_sha = own;
  data.arp_sip = rte_cpu_to_be_32(target);
  eth->dst_addr = data.arp_tha;
  eth->src_addr = own;
  return PacketVerdict::send();
}

}  // namespace dplb::dataplane

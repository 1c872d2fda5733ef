#include "dataplane/net/arp/arp_announcement.h"

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>

namespace dplb::dataplane {

rte_mbuf* build_gratuitous_arp(rte_mempool* pool, uint32_t address, const MacAddress& mac) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  // 60 bytes, zero-padded, as build_arp_request: no device has to pad.
  constexpr uint16_t kFrame = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;
  auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kFrame));
  if (data == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  std::memset(data, 0, kFrame);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(data);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  std::memset(eth->dst_addr.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
  std::memcpy(eth->src_addr.addr_bytes, mac.data(), RTE_ETHER_ADDR_LEN);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  std::memcpy(arp->arp_data.arp_sha.addr_bytes, mac.data(), RTE_ETHER_ADDR_LEN);
  arp->arp_data.arp_sip = rte_cpu_to_be_32(address);
  std::memset(arp->arp_data.arp_tha.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
  arp->arp_data.arp_tip = rte_cpu_to_be_32(address);
  return m;
}

}  // namespace dplb::dataplane

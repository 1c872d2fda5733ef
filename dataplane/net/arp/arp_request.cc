#include "dataplane/net/arp/arp_request.h"

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>

namespace dplb::dataplane {

rte_mbuf* build_arp_request(rte_mempool* pool, const PortIdentity& port, uint32_t target,
                            const std::optional<MacAddress>& unicast_to) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  // 60 bytes: the Ethernet minimum without FCS, zero-padded, so no device
  // has to pad (and no stale bytes go out).
  constexpr uint16_t kFrame = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;
  auto* data = rte_pktmbuf_mtod(m, uint8_t*);
  rte_pktmbuf_append(m, kFrame);
  std::memset(data, 0, kFrame);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(data);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  std::memcpy(eth->src_addr.addr_bytes, port.link.mac.data(), RTE_ETHER_ADDR_LEN);
  if (unicast_to) {
    std::memcpy(eth->dst_addr.addr_bytes, unicast_to->data(), RTE_ETHER_ADDR_LEN);
  } else {
    std::memset(eth->dst_addr.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
  }
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  std::memcpy(arp->arp_data.arp_sha.addr_bytes, port.link.mac.data(), RTE_ETHER_ADDR_LEN);
  arp->arp_data.arp_sip = rte_cpu_to_be_32(port.ipv4);
  arp->arp_data.arp_tip = rte_cpu_to_be_32(target);
  return m;
}

}  // namespace dplb::dataplane

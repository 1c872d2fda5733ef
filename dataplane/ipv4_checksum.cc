#include "dataplane/ipv4_checksum.h"

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

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

}  // namespace dplb::dataplane

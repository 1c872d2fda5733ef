#include "dataplane/net/icmp/icmp_echo.h"

#include "dataplane/net/ipv4/ipv4_output.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>

namespace dplb::dataplane {
namespace {

constexpr uint8_t kReplyTtl = 64;

// RFC 1624 incremental update: the checksum after one 16-bit word of the
// summed data changed from `before` to `after`, without re-reading the data.
uint16_t checksum_adjust(uint16_t checksum, uint16_t before, uint16_t after) {
  uint32_t sum = static_cast<uint16_t>(~checksum) + static_cast<uint32_t>(static_cast<uint16_t>(~before)) + after;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

PacketVerdict answer_icmp(rte_mbuf* frame, const PortIdentity& port, uint32_t ip_header_length, uint32_t local,
                          const MacAddress& local_mac) {
  const uint32_t l4 = sizeof(rte_ether_hdr) + ip_header_length;
  auto* ip = rte_pktmbuf_mtod_offset(frame, rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  const uint32_t icmp_length = rte_be_to_cpu_16(ip->total_length) - ip_header_length;
  if (icmp_length < sizeof(rte_icmp_hdr) || rte_pktmbuf_data_len(frame) < l4 + sizeof(rte_icmp_hdr)) {
    return PacketVerdict::drop(DropReason::icmp_truncated);
  }
  uint16_t sum = 0;
  if (rte_raw_cksum_mbuf(frame, l4, icmp_length, &sum) != 0 || sum != 0xffff) {
    return PacketVerdict::drop(DropReason::icmp_bad_checksum);
  }
  auto* icmp = rte_pktmbuf_mtod_offset(frame, rte_icmp_hdr*, l4);
  if (icmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY && icmp->icmp_code == 0) return PacketVerdict::deliver_echo_reply();
  if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
    return PacketVerdict::drop(DropReason::icmp_unhandled_type);
  }
  // Type and code share the first 16-bit word: 0x0800 becomes 0x0000.
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
  icmp->icmp_cksum = rte_cpu_to_be_16(checksum_adjust(rte_be_to_cpu_16(icmp->icmp_cksum),
                                                      RTE_IP_ICMP_ECHO_REQUEST << 8, RTE_IP_ICMP_ECHO_REPLY << 8));
  ip->dst_addr = ip->src_addr;
  ip->src_addr = rte_cpu_to_be_32(local);
  ip->time_to_live = kReplyTtl;
  finish_ipv4_checksum(frame, ip, port);
  auto* eth = rte_pktmbuf_mtod(frame, rte_ether_hdr*);
  eth->dst_addr = eth->src_addr;
  std::memcpy(eth->src_addr.addr_bytes, local_mac.data(), RTE_ETHER_ADDR_LEN);
  return PacketVerdict::send();
}

}  // namespace dplb::dataplane

#include "dataplane/net/icmp/icmp_echo_request.h"

#include "dataplane/net/ipv4/ipv4_output.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

namespace dplb::dataplane {

rte_mbuf* build_echo_request(rte_mempool* pool, const PortIdentity& port, const EchoRequest& request) {
  const uint16_t data_bytes = std::max(request.data_bytes, kEchoTimestampBytes);
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  rte_icmp_hdr* icmp = append_icmp_headers(m, port, request.destination, nullptr,
                                           static_cast<uint16_t>(sizeof(rte_icmp_hdr) + data_bytes),
                                           request.sequence, true);
  if (icmp == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
  icmp->icmp_code = 0;
  icmp->icmp_cksum = 0;
  icmp->icmp_ident = rte_cpu_to_be_16(request.id);
  icmp->icmp_seq_nb = rte_cpu_to_be_16(request.sequence);
  auto* payload = reinterpret_cast<uint8_t*>(icmp + 1);
  std::memcpy(payload, &request.sent_tsc, sizeof(request.sent_tsc));
  for (uint16_t i = kEchoTimestampBytes; i < data_bytes; ++i) payload[i] = static_cast<uint8_t>(i);
  icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, sizeof(rte_icmp_hdr) + data_bytes));
  if (icmp->icmp_cksum == 0) icmp->icmp_cksum = 0xffff;
  return m;
}

EchoReply read_echo_reply(const rte_mbuf* frame) {
  EchoReply reply;
  const auto* ip = rte_pktmbuf_mtod_offset(frame, const rte_ipv4_hdr*, sizeof(rte_ether_hdr));
  const uint32_t header_length = rte_ipv4_hdr_len(ip);
  const auto* icmp =
      rte_pktmbuf_mtod_offset(frame, const rte_icmp_hdr*, sizeof(rte_ether_hdr) + header_length);
  reply.source = rte_be_to_cpu_32(ip->src_addr);
  reply.ttl = ip->time_to_live;
  reply.icmp_bytes = static_cast<uint16_t>(rte_be_to_cpu_16(ip->total_length) - header_length);
  reply.id = rte_be_to_cpu_16(icmp->icmp_ident);
  reply.sequence = rte_be_to_cpu_16(icmp->icmp_seq_nb);
  const uint32_t timestamp_offset = sizeof(rte_ether_hdr) + header_length + sizeof(rte_icmp_hdr);
  if (reply.icmp_bytes >= sizeof(rte_icmp_hdr) + kEchoTimestampBytes &&
      rte_pktmbuf_data_len(frame) >= timestamp_offset + kEchoTimestampBytes) {
    std::memcpy(&reply.sent_tsc, rte_pktmbuf_mtod_offset(frame, const uint8_t*, timestamp_offset),
                sizeof(reply.sent_tsc));
  }
  return reply;
}

}  // namespace dplb::dataplane

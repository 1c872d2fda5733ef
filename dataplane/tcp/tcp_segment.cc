#include "dataplane/tcp/tcp_segment.h"

#include "dataplane/net/ipv4/ipv4_checksum.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

namespace dplb::dataplane {

TcpSegmentError parse_tcp_segment(const rte_mbuf* frame, uint32_t ip_header_length, TcpSegment* out) {
  constexpr uint32_t kL3 = sizeof(rte_ether_hdr);
  const uint32_t l4 = kL3 + ip_header_length;
  const auto* ip = rte_pktmbuf_mtod_offset(frame, const rte_ipv4_hdr*, kL3);
  const uint32_t segment_length = rte_be_to_cpu_16(ip->total_length) - ip_header_length;
  if (segment_length < sizeof(rte_tcp_hdr) || rte_pktmbuf_data_len(frame) < l4 + sizeof(rte_tcp_hdr)) {
    return TcpSegmentError::truncated;
  }
  const auto* tcp = rte_pktmbuf_mtod_offset(frame, const rte_tcp_hdr*, l4);
  const uint32_t header_length = (tcp->data_off >> 4) * 4u;
  if (header_length < sizeof(rte_tcp_hdr)) return TcpSegmentError::bad_offset;
  if (header_length > segment_length || rte_pktmbuf_data_len(frame) < l4 + header_length) {
    return TcpSegmentError::truncated;
  }
  const uint64_t checked = frame->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
  if (checked == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
      (checked != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
       !ipv4_l4_checksum_ok(frame, ip, l4))) {
    return TcpSegmentError::bad_checksum;
  }
  const uint8_t flags = tcp->tcp_flags;
  const bool syn = flags & tcp_flag::syn;
  if ((syn && (flags & (tcp_flag::fin | tcp_flag::rst))) ||
      (flags & (tcp_flag::syn | tcp_flag::ack | tcp_flag::rst | tcp_flag::fin)) == 0) {
    return TcpSegmentError::bad_flags;
  }
  const auto* options = reinterpret_cast<const uint8_t*>(tcp + 1);
  if (parse_tcp_options(options, header_length - sizeof(rte_tcp_hdr), &out->options) != TcpOptionError::none) {
    return TcpSegmentError::bad_options;
  }
  out->source = rte_be_to_cpu_32(ip->src_addr);
  out->destination = rte_be_to_cpu_32(ip->dst_addr);
  out->source_port = rte_be_to_cpu_16(tcp->src_port);
  out->destination_port = rte_be_to_cpu_16(tcp->dst_port);
  out->sequence = rte_be_to_cpu_32(tcp->sent_seq);
  out->acknowledgement = rte_be_to_cpu_32(tcp->recv_ack);
  out->flags = flags;
  out->window = rte_be_to_cpu_16(tcp->rx_win);
  out->urgent = rte_be_to_cpu_16(tcp->tcp_urp);
  out->payload_offset = l4 + header_length;
  out->payload_length = segment_length - header_length;
  return TcpSegmentError::none;
}

}  // namespace dplb::dataplane

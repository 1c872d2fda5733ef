#include "dataplane/net/ipv4/ipv4_checksum.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>

namespace dplb::dataplane {

namespace {

// One's-complement sum of the L4 bytes of the chain (pseudo-header not included), folded.
uint32_t raw_sum(const rte_mbuf* m, uint32_t offset, uint32_t length) {
  while (m != nullptr && offset >= m->data_len) {
    offset -= m->data_len;
    m = m->next;
  }
  uint32_t sum = 0;
  uint32_t done = 0;
  while (m != nullptr && done < length) {
    const uint32_t n = std::min<uint32_t>(m->data_len - offset, length - done);
    uint32_t part = __rte_raw_cksum_reduce(__rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const char*, offset), n, 0));
    // A piece that starts at an odd position of the stream contributes with its bytes swapped.
    if (done & 1) part = rte_bswap16(static_cast<uint16_t>(part));
    sum += part;
    done += n;
    offset = 0;
    m = m->next;
  }
  return __rte_raw_cksum_reduce(sum);
}

}  // namespace

uint16_t ipv4_l4_checksum(const rte_mbuf* m, const rte_ipv4_hdr* ip, uint32_t l4_offset) {
  const uint32_t length = rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);
  uint32_t sum = raw_sum(m, l4_offset, length) + rte_ipv4_phdr_cksum(ip, 0);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  uint16_t out = static_cast<uint16_t>(~sum);
  // RFC 768: a computed zero goes out as all ones (harmless for TCP).
  if (out == 0 && ip->next_proto_id == IPPROTO_UDP) out = 0xffff;
  return out;
}

bool ipv4_l4_checksum_ok(const rte_mbuf* m, const rte_ipv4_hdr* ip, uint32_t l4_offset) {
  const uint32_t length = rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip);
  uint32_t sum = raw_sum(m, l4_offset, length) + rte_ipv4_phdr_cksum(ip, 0);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

}  // namespace dplb::dataplane

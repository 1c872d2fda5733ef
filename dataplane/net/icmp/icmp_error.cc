#include "dataplane/net/icmp/icmp_error.h"

#include "dataplane/net/ipv4/ipv4_output.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

namespace dplb::dataplane {

IcmpRateLimiter::IcmpRateLimiter(uint64_t tsc_hz)
    : ticks_per_token_((tsc_hz == 0 ? 1'000'000'000ull : tsc_hz) / kPerSecond) {}

bool IcmpRateLimiter::allow(uint64_t now_tsc) {
  if (last_tsc_ == 0) last_tsc_ = now_tsc;
  const uint64_t earned = (now_tsc - last_tsc_) / ticks_per_token_;
  if (earned > 0) {
    tokens_ = static_cast<uint32_t>(std::min<uint64_t>(kBurst, tokens_ + earned));
    last_tsc_ += earned * ticks_per_token_;
  }
  if (tokens_ == 0) return false;
  --tokens_;
  return true;
}

rte_mbuf* build_port_unreachable(rte_mempool* pool, const PortIdentity& port, const rte_mbuf* offending) {
  const auto* in_eth = rte_pktmbuf_mtod(offending, const rte_ether_hdr*);
  const auto* in_ip = reinterpret_cast<const rte_ipv4_hdr*>(in_eth + 1);
  const uint32_t in_header = rte_ipv4_hdr_len(in_ip);
  const uint32_t in_length = rte_be_to_cpu_16(in_ip->total_length);
  const uint32_t quoted = std::min<uint32_t>(in_length, in_header + 8);
  if (rte_pktmbuf_data_len(offending) < sizeof(rte_ether_hdr) + quoted) return nullptr;
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  rte_icmp_hdr* icmp = append_icmp_headers(m, port, rte_be_to_cpu_32(in_ip->src_addr), in_eth->src_addr.addr_bytes,
                                           static_cast<uint16_t>(sizeof(rte_icmp_hdr) + quoted), 0, false);
  if (icmp == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  // From the address the datagram was for, as Linux answers: the port's, or
  // an owned virtual address (VRRP), which the client knows us by.
  if (auto* ip = reinterpret_cast<rte_ipv4_hdr*>(icmp) - 1; ip->src_addr != in_ip->dst_addr) {
    ip->src_addr = in_ip->dst_addr;
    finish_ipv4_checksum(m, ip, port);
  }
  std::memset(icmp, 0, sizeof(*icmp));
  icmp->icmp_type = 3;  // destination unreachable
  icmp->icmp_code = 3;  // port unreachable
  std::memcpy(icmp + 1, in_ip, quoted);
  icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, sizeof(rte_icmp_hdr) + quoted));
  return m;
}

}  // namespace dplb::dataplane

#pragma once

// The TCP/UDP checksum over an mbuf chain, written here because DPDK 22.11's
// rte_raw_cksum_mbuf() truncates each segment's 32-bit partial sum to 16
// bits before byte-swapping it when the segment starts at an odd offset, so
// chains whose pieces have odd lengths (TCP slices of the send queue) got
// wrong checksums. Later DPDK releases fold the sum first, as this does.

#include <cstdint>

struct rte_mbuf;
struct rte_ipv4_hdr;

namespace dplb::dataplane {

// The checksum to write into the L4 header (its checksum field zero).
uint16_t ipv4_l4_checksum(const rte_mbuf* m, const rte_ipv4_hdr* ip, uint32_t l4_offset);

// True if the L4 checksum of a received packet verifies.
bool ipv4_l4_checksum_ok(const rte_mbuf* m, const rte_ipv4_hdr* ip, uint32_t l4_offset);

}  // namespace dplb::dataplane

#pragma once

// The in-memory benchmarks' NIC: what a packet a stack sent looks like when
// the other side receives it.

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <rte_mbuf.h>

namespace dplb::bench {

// Copies `packet` (an IPv4 packet as the sending stack built it) into a
// fresh direct mbuf behind a 14-byte Ethernet stand-in, as a NIC's receive
// DMA would leave it, and frees the original. Exits when the pool is empty:
// a run that has lost frames measures nothing.
inline rte_mbuf* as_received_frame(rte_mempool* pool, rte_mbuf* packet, const char* program) {
  const uint32_t length = rte_pktmbuf_pkt_len(packet);
  rte_mbuf* frame = rte_pktmbuf_alloc(pool);
  char* data = frame != nullptr ? rte_pktmbuf_append(frame, static_cast<uint16_t>(14 + length)) : nullptr;
  if (data == nullptr) {
    std::fprintf(stderr, "%s: mbuf pool exhausted on the wire\n", program);
    std::exit(1);
  }
  std::memset(data, 0, 12);
  data[12] = 0x08;  // EtherType IPv4
  data[13] = 0x00;
  const void* p = rte_pktmbuf_read(packet, 0, length, data + 14);
  if (p != data + 14) std::memcpy(data + 14, p, length);
  rte_pktmbuf_free(packet);
  return frame;
}

}  // namespace dplb::bench

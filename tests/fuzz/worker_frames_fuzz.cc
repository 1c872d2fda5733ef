// Frames through a worker's receive path in memory (Ethernet, ARP, IPv4,
// ICMP, and TCP to a port nobody listens on): the input is a burst of up
// to 32 frames, each prefixed by a two-byte length. Whatever comes in,
// every frame that goes out must be well formed (lengths that agree, IPv4
// header and ICMP checksums that verify) and every mbuf must come back.
#include <rte_mbuf.h>

#include <cstring>

#include "dataplane/worker/worker.h"
#include "tests/fuzz/fuzz_eal.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/sim/sim_packet_io.h"

namespace dataplane = dplb::dataplane;
using Bytes = dplb::testing::Bytes;

namespace {

constexpr std::size_t kPoolSize = 1023;

rte_mempool* pool() {
  static rte_mempool* p =
      rte_pktmbuf_pool_create("fuzz_worker", kPoolSize, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  return p;
}

uint16_t sum16(const uint8_t* p, std::size_t n) {
  uint32_t s = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) s += uint32_t{p[i]} << 8 | p[i + 1];
  if (n % 2) s += uint32_t{p[n - 1]} << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

void check_frame(const Bytes& f) {
  FUZZ_CHECK(f.size() >= 14);
  const uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
  if (type == 0x0806) {
    FUZZ_CHECK(f.size() >= 14 + 28);
    return;
  }
  if (type != 0x0800) return;
  FUZZ_CHECK(f.size() >= 14 + 20);
  const uint8_t* ip = f.data() + 14;
  const std::size_t header = (ip[0] & 0x0f) * 4u;
  const std::size_t total = static_cast<std::size_t>(ip[2] << 8 | ip[3]);
  FUZZ_CHECK((ip[0] >> 4) == 4 && header >= 20);
  FUZZ_CHECK(total >= header && 14 + total <= f.size());
  FUZZ_CHECK(sum16(ip, header) == 0xffff);  // header checksum verifies
  if (ip[9] == 1) FUZZ_CHECK(sum16(ip + header, total - header) == 0xffff);  // ICMP
}

}  // namespace

DPLB_FUZZ_INITIALIZE_EAL()

DPLB_FUZZ_TARGET(worker_frames) {
  rte_mempool* p = pool();
  FUZZ_CHECK(p != nullptr);
  dataplane::PortIdentity port;
  port.link.mac = {0x02, 0x99, 0x01, 0x00, 0x01, 0x01};
  port.link.join({0x01, 0x00, 0x5e, 0x00, 0x00, 0x12});
  port.ipv4 = 0x0a630102;
  dataplane::WorkerCounters counters;
  {
    dplb::testing::SimPacketIo io(p, 1);
    dataplane::Worker worker(0, {port}, io, counters);
    std::size_t at = 0;
    for (int i = 0; i < 32 && at + 2 <= size; ++i) {
      const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(data[at] << 8 | data[at + 1]) % 1515,
                                                  size - at - 2);
      io.inject(0, Bytes(data + at + 2, data + at + 2 + n));
      at += 2 + n;
    }
    while (worker.poll_once() != 0) {
    }
    for (const auto& frame : io.take_transmitted(0)) check_frame(frame);
  }
  FUZZ_CHECK(rte_mempool_avail_count(p) == kPoolSize);  // no mbuf kept or leaked
  return 0;
}

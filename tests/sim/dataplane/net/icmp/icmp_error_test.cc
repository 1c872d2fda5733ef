// UDP to a port nobody listens on: an ICMP port unreachable that quotes the
// offending header and 8 bytes, byte for byte; and the token bucket that
// keeps a flood from turning into an ICMP flood.

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include "dataplane/net/icmp/icmp_error.h"
#include "dataplane/worker/worker.h"
#include "tests/sim/sim_packet_io.h"
#include "tests/support/packet_fixtures.h"

namespace dplb::testing {
namespace {

constexpr MacAddress kOurMac = {0x02, 0x99, 0x01, 0x00, 0x01, 0x01};
constexpr MacAddress kClientMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x64};
const uint32_t kOurIp = ipv4(10, 99, 1, 2);
const uint32_t kClientIp = ipv4(10, 99, 1, 100);

TEST(IcmpError, UdpToAClosedPortGetsPortUnreachable) {
  rte_mempool* pool = rte_pktmbuf_pool_create("icmp_error", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(pool, nullptr);
  dataplane::PortIdentity port;
  port.link.mac = kOurMac;
  port.ipv4 = kOurIp;
  dataplane::WorkerCounters counters;
  {
    SimPacketIo io(pool, 1);
    dataplane::Worker worker(0, {port}, io, counters, dataplane::WorkerLinks{nullptr, nullptr, pool});
    Ipv4Fields udp;
    udp.protocol = 17;
    udp.source = kClientIp;
    udp.destination = kOurIp;
    const Bytes datagram = FrameBuilder().u16(40000).u16(53).u16(20).u16(0).append(Bytes(12, 0xab)).build();
    const Bytes input = ipv4_frame(kOurMac, kClientMac, udp, datagram);
    io.inject(0, input);
    worker.poll_once();
    auto out = io.take_transmitted(0);
    ASSERT_EQ(out.size(), 1u);
    // The quoted part: the offending IPv4 header and the UDP header (8 bytes).
    Bytes quoted(input.begin() + 14, input.begin() + 14 + 20 + 8);
    Bytes icmp = FrameBuilder().u8(3).u8(3).u16(0).u32(0).append(quoted).build();
    const uint16_t sum = internet_checksum(icmp.data(), icmp.size());
    icmp[2] = static_cast<uint8_t>(sum >> 8);
    icmp[3] = static_cast<uint8_t>(sum);
    Ipv4Fields reply;
    reply.source = kOurIp;
    reply.destination = kClientIp;
    reply.id = 0;
    reply.flags_fragment = 0;
    EXPECT_EQ(out[0], ipv4_frame(kClientMac, kOurMac, reply, icmp));
    EXPECT_EQ(counters.ports[0].drop(dataplane::DropReason::udp_port_closed).get(), 1u);
    EXPECT_EQ(counters.ports[0].icmp_unreachables_sent.get(), 1u);
  }
  EXPECT_EQ(rte_mempool_avail_count(pool), 255u);
  rte_mempool_free(pool);
}

TEST(IcmpRateLimiter, BurstThenOnePerMillisecond) {
  dataplane::IcmpRateLimiter limiter(0);  // one tick per nanosecond
  uint64_t t = 1'000'000;
  for (uint32_t i = 0; i < dataplane::IcmpRateLimiter::kBurst; ++i) EXPECT_TRUE(limiter.allow(t)) << i;
  EXPECT_FALSE(limiter.allow(t));
  EXPECT_FALSE(limiter.allow(t + 999'999));
  EXPECT_TRUE(limiter.allow(t + 1'000'000));
  EXPECT_FALSE(limiter.allow(t + 1'000'001));
  EXPECT_TRUE(limiter.allow(t + 10'000'000'000ull));  // refilled, capped at the burst
  int allowed = 1;
  while (limiter.allow(t + 10'000'000'000ull)) ++allowed;
  EXPECT_EQ(allowed, static_cast<int>(dataplane::IcmpRateLimiter::kBurst));
}

}  // namespace
}  // namespace dplb::testing

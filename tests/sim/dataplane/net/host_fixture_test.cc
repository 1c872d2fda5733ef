// Host behaviour on one port, fixture by fixture: a frame goes in, and the
// frames that come out (byte for byte) and the one counter that moved must be
// exactly those of the table. Expected answers are built independently with
// tests/support/packet_fixtures.h.

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <optional>

#include "dataplane/worker/worker.h"
#include "tests/sim/sim_packet_io.h"
#include "tests/support/packet_fixtures.h"

namespace dplb::testing {
namespace {

using dataplane::DropReason;

constexpr MacAddress kOurMac = {0x02, 0x99, 0x01, 0x00, 0x01, 0x01};
constexpr MacAddress kClientMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x64};
constexpr MacAddress kZeroMac = {};
const uint32_t kOurIp = ipv4(10, 99, 1, 2);
const uint32_t kClientIp = ipv4(10, 99, 1, 100);
const uint32_t kOtherIp = ipv4(10, 99, 1, 3);

// What the worker must report to the control plane about an ARP sender.
struct Seen {
  uint32_t ip;
  MacAddress mac;
  bool addressed_to_us;
  bool claims_our_address;
  bool operator==(const Seen&) const = default;
};

struct Fixture {
  const char* what;
  Bytes input;
  std::vector<Bytes> output;          // frames sent back out of the port
  std::optional<DropReason> dropped;  // the drop counter that must move, if any
  std::optional<Seen> seen = std::nullopt;
};

Bytes echo_request(std::size_t data_size, Ipv4Fields f = {}) {
  f.source = kClientIp;
  if (f.destination == 0) f.destination = kOurIp;
  return ipv4_frame(kOurMac, kClientMac, f, icmp_message(8, 0, 0x4242, 7, data_size));
}

Bytes echo_reply(std::size_t data_size, Ipv4Fields request = {}) {
  Ipv4Fields f = request;
  f.source = kOurIp;
  f.destination = kClientIp;
  f.ttl = 64;
  return ipv4_frame(kClientMac, kOurMac, f, icmp_message(0, 0, 0x4242, 7, data_size));
}

Bytes padded(Bytes frame, std::size_t to) {
  frame.resize(std::max(frame.size(), to), 0);
  return frame;
}

std::vector<Fixture> fixtures() {
  Ipv4Fields ttl_one;
  ttl_one.ttl = 1;
  Ipv4Fields bad_checksum;
  bad_checksum.corrupt_checksum = true;
  Ipv4Fields longer_than_frame;
  longer_than_frame.total_length_delta = 40;
  Ipv4Fields shorter_than_header;
  shorter_than_header.total_length_delta = -70;  // 84 - 70 = 14 < 20
  Ipv4Fields more_fragments;
  more_fragments.flags_fragment = 0x2000;
  Ipv4Fields later_fragment;
  later_fragment.flags_fragment = 0x00b9;
  Ipv4Fields other_host;
  other_host.destination = kOtherIp;
  Ipv4Fields with_options;
  with_options.options = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
  Ipv4Fields udp;
  udp.protocol = 17;
  udp.source = kClientIp;
  udp.destination = kOurIp;
  Ipv4Fields unknown_protocol = udp;
  unknown_protocol.protocol = 253;
  Ipv4Fields icmp_to_us;
  icmp_to_us.source = kClientIp;
  icmp_to_us.destination = kOurIp;

  return {
      {"ARP request for our address is answered",
       arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, kZeroMac, kOurIp),
       {arp_frame(kClientMac, kOurMac, 2, kOurMac, kOurIp, kClientMac, kClientIp)},
       std::nullopt, Seen{kClientIp, kClientMac, true, false}},
      {"padded ARP request keeps its padding in the reply",
       padded(arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, kZeroMac, kOurIp), 60),
       {padded(arp_frame(kClientMac, kOurMac, 2, kOurMac, kOurIp, kClientMac, kClientIp), 60)},
       std::nullopt, Seen{kClientIp, kClientMac, true, false}},
      {"ARP request for another address",
       arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, kZeroMac, kOtherIp), {},
       DropReason::arp_request_other, Seen{kClientIp, kClientMac, false, false}},
      {"ARP probe (sender 0.0.0.0) teaches nothing",
       arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, 0, kZeroMac, kOurIp),
       {arp_frame(kClientMac, kOurMac, 2, kOurMac, kOurIp, kClientMac, 0)}, std::nullopt},
      {"gratuitous ARP request is consumed and reported",
       arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, kZeroMac, kClientIp), {}, std::nullopt,
       Seen{kClientIp, kClientMac, false, false}},
      {"ARP reply to us is consumed and reported",
       arp_frame(kOurMac, kClientMac, 2, kClientMac, kClientIp, kOurMac, kOurIp), {}, std::nullopt,
       Seen{kClientIp, kClientMac, true, false}},
      {"another host announcing our address is a conflict",
       arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, kOurIp, kZeroMac, kOurIp), {}, std::nullopt,
       Seen{kOurIp, kClientMac, false, true}},
      {"RARP operation", arp_frame(kBroadcastMac, kClientMac, 3, kClientMac, kClientIp, kZeroMac, kOurIp), {},
       DropReason::arp_unknown_op},
      {"ARP truncated to 20 bytes",
       [] {
         Bytes b = arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, kZeroMac, kOurIp);
         b.resize(14 + 20);
         return b;
       }(),
       {}, DropReason::arp_malformed},
      {"ARP with a 16-byte protocol address",
       [] {
         Bytes b = arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, kZeroMac, kOurIp);
         b[14 + 5] = 16;
         return b;
       }(),
       {}, DropReason::arp_malformed},
      {"ICMP echo with no data", echo_request(0), {echo_reply(0)}, std::nullopt},
      {"ICMP echo of 56 bytes (ping's default)", echo_request(56), {echo_reply(56)}, std::nullopt},
      {"ICMP echo of 1472 bytes (a full 1500-byte MTU)", echo_request(1472), {echo_reply(1472)}, std::nullopt},
      {"ICMP echo padded by Ethernet is answered without the padding", padded(echo_request(0), 60),
       {echo_reply(0)}, std::nullopt},
      {"ICMP echo with TTL 1 is answered (we are its destination)", echo_request(56, ttl_one), {echo_reply(56)},
       std::nullopt},
      {"ICMP echo with IP options", echo_request(8, with_options), {echo_reply(8, with_options)}, std::nullopt},
      {"ICMP echo to a broadcast MAC",
       [] {
         Bytes b = echo_request(8);
         std::copy(kBroadcastMac.begin(), kBroadcastMac.end(), b.begin());
         return b;
       }(),
       {echo_reply(8)}, std::nullopt},
      {"bad IPv4 header checksum", echo_request(56, bad_checksum), {}, DropReason::ipv4_bad_checksum},
      {"IPv4 total length beyond the frame", echo_request(56, longer_than_frame), {}, DropReason::ipv4_truncated},
      {"IPv4 total length shorter than its header", echo_request(56, shorter_than_header), {},
       DropReason::ipv4_truncated},
      {"IPv4 frame cut inside the header", FrameBuilder().ethernet(kOurMac, kClientMac, 0x0800).zeros(10).build(),
       {}, DropReason::ipv4_truncated},
      {"IPv6 version in an IPv4 frame",
       [] {
         Bytes b = echo_request(8);
         b[14] = 0x65;
         return b;
       }(),
       {}, DropReason::ipv4_bad_header},
      {"first fragment (more fragments set)", echo_request(56, more_fragments), {}, DropReason::ipv4_fragment},
      {"later fragment (offset set)", echo_request(56, later_fragment), {}, DropReason::ipv4_fragment},
      {"IPv4 for another host", echo_request(56, other_host), {}, DropReason::ipv4_not_for_us},
      {"UDP to us (no pool here, so no ICMP error)", ipv4_frame(kOurMac, kClientMac, udp, Bytes(16, 0)), {},
       DropReason::udp_port_closed},
      {"unknown IP protocol 253", ipv4_frame(kOurMac, kClientMac, unknown_protocol, Bytes(16, 0)), {},
       DropReason::ipv4_unhandled_protocol},
      {"ICMP with a bad checksum", ipv4_frame(kOurMac, kClientMac, icmp_to_us, icmp_message(8, 0, 1, 1, 56, true)),
       {}, DropReason::icmp_bad_checksum},
      {"ICMP timestamp request", ipv4_frame(kOurMac, kClientMac, icmp_to_us, icmp_message(13, 0, 1, 1, 12)), {},
       DropReason::icmp_unhandled_type},
      {"ICMP shorter than its header", ipv4_frame(kOurMac, kClientMac, icmp_to_us, Bytes{8, 0, 0xf7, 0xff}), {},
       DropReason::icmp_truncated},
      {"echo request to another MAC", [] {
         Bytes b = echo_request(8);
         b[5] ^= 1;
         return b;
       }(),
       {}, DropReason::not_for_us},
  };
}

class HostFixtureTest : public ::testing::TestWithParam<Fixture> {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("host_fixtures", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }
  static rte_mempool* pool_;
};

rte_mempool* HostFixtureTest::pool_ = nullptr;

void PrintTo(const Fixture& f, std::ostream* os) { *os << f.what; }

TEST_P(HostFixtureTest, FramesOutAndCounters) {
  const Fixture& f = GetParam();
  dataplane::PortIdentity port;
  port.link.mac = kOurMac;
  port.ipv4 = kOurIp;
  dataplane::WorkerCounters counters;
  {
    SimPacketIo io(pool_, 1);
    dataplane::ControlChannel control;
    ASSERT_EQ(control.create(0, SOCKET_ID_ANY), "");
    dataplane::Worker worker(0, {port}, io, counters, dataplane::WorkerLinks{&control, nullptr, nullptr});
    io.inject(0, f.input);
    ASSERT_EQ(worker.poll_once(), 1u);
    EXPECT_EQ(io.take_transmitted(0), f.output) << f.what;
    dataplane::ControlEvent events[4];
    const unsigned n = control.take_events(events, 4);
    ASSERT_EQ(n, f.seen ? 1u : 0u) << f.what;
    if (n == 1) {
      EXPECT_EQ(events[0].port, 0);
      EXPECT_EQ((Seen{events[0].ipv4, events[0].mac, events[0].addressed_to_us, events[0].claims_our_address}),
                *f.seen)
          << f.what;
    }
  }
  const auto& pc = counters.ports[0];
  for (std::size_t r = 0; r < dataplane::kDropReasonCount; ++r) {
    auto reason = static_cast<DropReason>(r);
    EXPECT_EQ(pc.drop(reason).get(), f.dropped == reason ? 1u : 0u)
        << f.what << ": counter " << dataplane::drop_reason_name(reason);
  }
  EXPECT_EQ(pc.tx_packets.get(), f.output.size());
  EXPECT_EQ(rte_mempool_avail_count(pool_), 511u) << "mbuf leaked";
}

std::string fixture_name(const ::testing::TestParamInfo<Fixture>& info) {
  std::string name;
  for (const char* p = info.param.what; *p; ++p) name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Table, HostFixtureTest, ::testing::ValuesIn(fixtures()), fixture_name);

// With IPv4 checksum offload the reply leaves the header checksum to the NIC
// and says so in the mbuf; everything else is the same frame.
TEST(HostChecksumOffload, EchoReplyAsksTheNicForTheHeaderChecksum) {
  rte_mempool* pool = rte_pktmbuf_pool_create("offload", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(pool, nullptr);
  dataplane::PortIdentity port;
  port.link.mac = kOurMac;
  port.ipv4 = kOurIp;
  port.tx_ipv4_checksum_offload = true;
  dataplane::WorkerCounters counters;
  {
    SimPacketIo io(pool, 1);
    dataplane::Worker worker(0, {port}, io, counters);
    io.inject(0, echo_request(56));
    worker.poll_once();
    const auto& raw = io.transmitted_mbufs(0);
    ASSERT_EQ(raw.size(), 1u);
    EXPECT_TRUE(raw[0]->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
    EXPECT_TRUE(raw[0]->ol_flags & RTE_MBUF_F_TX_IPV4);
    EXPECT_EQ(raw[0]->l2_len, 14u);
    EXPECT_EQ(raw[0]->l3_len, 20u);
    Bytes expected = echo_reply(56);
    expected[24] = expected[25] = 0;  // left for the NIC
    EXPECT_EQ(io.take_transmitted(0), std::vector<Bytes>{expected});
  }
  rte_mempool_free(pool);
}

}  // namespace
}  // namespace dplb::testing

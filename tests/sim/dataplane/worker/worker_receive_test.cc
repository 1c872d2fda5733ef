// Frames through a worker's receive path, table-driven: each fixture is a
// frame and the one counter it must move. Every mbuf must come back to the
// pool, whatever happened to the frame.

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include "dataplane/worker/worker.h"
#include "tests/sim/sim_packet_io.h"

namespace dplb::testing {
namespace {

using dataplane::DropReason;

constexpr MacAddress kOurMac = {0x02, 0x99, 0x01, 0x00, 0x01, 0x01};
constexpr MacAddress kPeerMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x64};
constexpr MacAddress kOtherMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x65};
constexpr MacAddress kVrrpGroup = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
constexpr MacAddress kMdnsGroup = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};

struct Fixture {
  const char* what;
  Bytes frame;
  DropReason counted_as;
};

std::vector<Fixture> fixtures() {
  return {
      {"ARP broadcast with a zeroed header",
       FrameBuilder().ethernet(kBroadcastMac, kPeerMac, 0x0806).zeros(28).build(), DropReason::arp_malformed},
      {"IPv4 to our MAC with a zeroed header", FrameBuilder().ethernet(kOurMac, kPeerMac, 0x0800).zeros(46).build(),
       DropReason::ipv4_bad_header},
      {"IPv6 to our MAC", FrameBuilder().ethernet(kOurMac, kPeerMac, 0x86dd).zeros(46).build(),
       DropReason::unknown_ethertype},
      {"unicast to another host", FrameBuilder().ethernet(kOtherMac, kPeerMac, 0x0800).zeros(46).build(),
       DropReason::not_for_us},
      {"multicast group not joined", FrameBuilder().ethernet(kMdnsGroup, kPeerMac, 0x0800).zeros(46).build(),
       DropReason::multicast_ignored},
      {"multicast group joined", FrameBuilder().ethernet(kVrrpGroup, kPeerMac, 0x0800).zeros(46).build(),
       DropReason::ipv4_bad_header},
      {"802.1Q tagged", FrameBuilder().ethernet(kOurMac, kPeerMac, 0x8100).vlan(10, 0x0800).zeros(46).build(),
       DropReason::vlan_tagged},
      {"802.1ad tagged", FrameBuilder().ethernet(kOurMac, kPeerMac, 0x88a8).vlan(10, 0x8100).zeros(46).build(),
       DropReason::vlan_tagged},
      {"runt of 13 bytes", FrameBuilder().append(kOurMac).append(kPeerMac).u8(0x08).build(), DropReason::runt},
      {"empty frame", Bytes{}, DropReason::runt},
  };
}

class WorkerReceiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("worker_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }

  dataplane::PortIdentity filter() const {
    dataplane::PortIdentity f;
    f.link.mac = kOurMac;
    f.link.join(kVrrpGroup);
    f.ipv4 = 0x0a630102;  // 10.99.1.2
    return f;
  }

  static rte_mempool* pool_;
};

rte_mempool* WorkerReceiveTest::pool_ = nullptr;

TEST_F(WorkerReceiveTest, EachFixtureMovesExactlyItsCounter) {
  for (const auto& fixture : fixtures()) {
    SimPacketIo io(pool_, 1);
    dataplane::WorkerCounters counters;
    dataplane::Worker worker(0, {filter()}, io, counters);
    io.inject(0, fixture.frame);
    EXPECT_EQ(worker.poll_once(), 1u) << fixture.what;
    const auto& port = counters.ports[0];
    EXPECT_EQ(port.rx_packets.get(), 1u) << fixture.what;
    EXPECT_EQ(port.rx_bytes.get(), fixture.frame.size()) << fixture.what;
    for (std::size_t r = 0; r < dataplane::kDropReasonCount; ++r) {
      auto reason = static_cast<DropReason>(r);
      EXPECT_EQ(port.drop(reason).get(), reason == fixture.counted_as ? 1u : 0u)
          << fixture.what << ": counter " << dataplane::drop_reason_name(reason);
    }
    EXPECT_TRUE(io.take_transmitted(0).empty()) << fixture.what;
    EXPECT_EQ(rte_mempool_avail_count(pool_), 1023u) << fixture.what << ": mbuf leaked";
  }
}

TEST_F(WorkerReceiveTest, BurstsLargerThanOneBurstSizeAreAllHandled) {
  SimPacketIo io(pool_, 2);
  dataplane::WorkerCounters counters;
  dataplane::Worker worker(0, {filter(), filter()}, io, counters);
  Bytes frame = FrameBuilder().ethernet(kOtherMac, kPeerMac, 0x0800).zeros(46).build();
  for (int i = 0; i < 100; ++i) io.inject(1, frame);
  uint32_t handled = 0;
  while (uint32_t n = worker.poll_once()) {
    EXPECT_LE(n, dataplane::kBurstSize);
    handled += n;
  }
  EXPECT_EQ(handled, 100u);
  EXPECT_EQ(counters.ports[1].drop(DropReason::not_for_us).get(), 100u);
  EXPECT_EQ(counters.ports[0].rx_packets.get(), 0u);
  EXPECT_EQ(rte_mempool_avail_count(pool_), 1023u);
}

TEST(DropReasonNames, AreStableAndDistinct) {
  std::set<std::string_view> names;
  for (std::size_t r = 0; r < dataplane::kDropReasonCount; ++r) {
    names.insert(dataplane::drop_reason_name(static_cast<DropReason>(r)));
  }
  EXPECT_EQ(names.size(), dataplane::kDropReasonCount);
  EXPECT_EQ(names.count("invalid"), 0u);
}

}  // namespace
}  // namespace dplb::testing

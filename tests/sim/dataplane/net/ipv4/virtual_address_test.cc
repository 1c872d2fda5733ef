// Virtual addresses (VRRP VIPs) on one port, fixture by fixture: the
// control plane has told the worker it owns two VIPs (one answered with the
// port's MAC, one with a virtual router MAC) and that a third is a VIP it
// does not own. A frame goes in; the frames that come out (byte for byte),
// the one drop counter that moved and the ARP observation reported must be
// exactly those of the table.

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <optional>

#include "dataplane/net/ipv4/virtual_address_table.h"
#include "dataplane/net/vrrp_link.h"
#include "dataplane/worker/worker.h"
#include "tests/sim/sim_packet_io.h"
#include "tests/support/packet_fixtures.h"

namespace dplb::testing {
namespace {

using dataplane::ControlCommand;
using dataplane::DropReason;

constexpr MacAddress kOurMac = {0x02, 0x99, 0x05, 0x00, 0x01, 0x01};
constexpr MacAddress kClientMac = {0x02, 0x99, 0x05, 0x00, 0x00, 0x64};
constexpr MacAddress kPeerMac = {0x02, 0x99, 0x05, 0x00, 0x01, 0x02};  // the other VRRP router
constexpr MacAddress kZeroMac = {};
constexpr uint8_t kVrid = 51;
constexpr MacAddress kVirtualMac = dataplane::vrrp_virtual_mac(kVrid);
constexpr MacAddress kOtherVirtualMac = dataplane::vrrp_virtual_mac(52);
const uint32_t kOurIp = ipv4(10, 99, 5, 2);
const uint32_t kClientIp = ipv4(10, 99, 5, 100);
const uint32_t kVip = ipv4(10, 99, 5, 10);         // owned, answered with the port's MAC
const uint32_t kVmacVip = ipv4(10, 99, 5, 11);     // owned, answered with the virtual router MAC
const uint32_t kBackupVip = ipv4(10, 99, 5, 12);   // a VIP the peer owns
const uint32_t kStranger = ipv4(10, 99, 5, 13);    // not a VIP at all

struct Seen {
  uint32_t ip;
  MacAddress mac;
  bool addressed_to_us;
  bool claims_our_address;
  bool virtual_address;
  bool operator==(const Seen&) const = default;
};

struct Fixture {
  const char* what;
  Bytes input;
  std::vector<Bytes> output;
  std::optional<DropReason> dropped;
  std::optional<Seen> seen = std::nullopt;
};

Bytes echo_request(const MacAddress& to_mac, uint32_t to, std::size_t data_size = 56) {
  Ipv4Fields f;
  f.source = kClientIp;
  f.destination = to;
  return ipv4_frame(to_mac, kClientMac, f, icmp_message(8, 0, 0x4242, 7, data_size));
}

Bytes echo_reply(const MacAddress& from_mac, uint32_t from, std::size_t data_size = 56) {
  Ipv4Fields f;
  f.source = from;
  f.destination = kClientIp;
  f.ttl = 64;
  return ipv4_frame(kClientMac, from_mac, f, icmp_message(0, 0, 0x4242, 7, data_size));
}

Bytes arp_request_for(uint32_t target) {
  return arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, kClientIp, kZeroMac, target);
}

Bytes arp_reply_from(const MacAddress& mac, uint32_t address) {
  return arp_frame(kClientMac, mac, 2, mac, address, kClientMac, kClientIp);
}

std::vector<Fixture> fixtures() {
  Ipv4Fields group_icmp;
  group_icmp.source = kClientIp;
  group_icmp.destination = dataplane::kVrrpGroup;
  Ipv4Fields vrrp_to_vip;
  vrrp_to_vip.source = kClientIp;
  vrrp_to_vip.destination = kVip;
  vrrp_to_vip.protocol = 112;
  vrrp_to_vip.ttl = 255;
  return {
      {"ARP request for an owned VIP is answered with the port's MAC", arp_request_for(kVip),
       {arp_reply_from(kOurMac, kVip)}, std::nullopt, Seen{kClientIp, kClientMac, true, false, false}},
      {"ARP request for an owned VIP with use_vmac is answered with the virtual MAC", arp_request_for(kVmacVip),
       {arp_reply_from(kVirtualMac, kVmacVip)}, std::nullopt, Seen{kClientIp, kClientMac, true, false, false}},
      {"ARP request for the port's address still comes from the port", arp_request_for(kOurIp),
       {arp_reply_from(kOurMac, kOurIp)}, std::nullopt, Seen{kClientIp, kClientMac, true, false, false}},
      {"ARP request for a VIP we do not own is left to its owner", arp_request_for(kBackupVip), {},
       DropReason::arp_vip_not_owned, Seen{kClientIp, kClientMac, false, false, false}},
      {"ARP request for another host", arp_request_for(kStranger), {}, DropReason::arp_request_other,
       Seen{kClientIp, kClientMac, false, false, false}},
      {"ARP probe for an owned VIP is answered",
       arp_frame(kBroadcastMac, kClientMac, 1, kClientMac, 0, kZeroMac, kVip),
       {arp_frame(kClientMac, kOurMac, 2, kOurMac, kVip, kClientMac, 0)}, std::nullopt},
      {"another router announcing our VIP is reported as a claim on it",
       arp_frame(kBroadcastMac, kPeerMac, 1, kPeerMac, kVip, kBroadcastMac, kVip), {}, std::nullopt,
       Seen{kVip, kPeerMac, false, true, true}},
      {"another router announcing our virtual-MAC VIP with the same MAC is not a claim",
       arp_frame(kBroadcastMac, kVirtualMac, 1, kVirtualMac, kVmacVip, kBroadcastMac, kVmacVip), {}, std::nullopt,
       Seen{kVmacVip, kVirtualMac, false, false, false}},
      {"the master announcing the VIP we back up is an ordinary observation",
       arp_frame(kBroadcastMac, kPeerMac, 1, kPeerMac, kBackupVip, kBroadcastMac, kBackupVip), {}, std::nullopt,
       Seen{kBackupVip, kPeerMac, false, false, false}},
      {"ICMP echo to an owned VIP is answered from the VIP", echo_request(kOurMac, kVip),
       {echo_reply(kOurMac, kVip)}, std::nullopt},
      {"ICMP echo to a virtual MAC VIP is answered from the VIP and its MAC", echo_request(kVirtualMac, kVmacVip),
       {echo_reply(kVirtualMac, kVmacVip)}, std::nullopt},
      {"ICMP echo to the port's address still comes from the port", echo_request(kOurMac, kOurIp),
       {echo_reply(kOurMac, kOurIp)}, std::nullopt},
      {"ICMP echo to a VIP we do not own", echo_request(kOurMac, kBackupVip), {}, DropReason::ipv4_vip_not_owned},
      {"ICMP echo to another host", echo_request(kOurMac, kStranger), {}, DropReason::ipv4_not_for_us},
      {"a frame for another virtual router's MAC", echo_request(kOtherVirtualMac, kVip), {},
       DropReason::not_for_us},
      {"VRRP (protocol 112) to a VIP is not an advertisement",
       ipv4_frame(kOurMac, kClientMac, vrrp_to_vip, Bytes(20, 0)), {}, DropReason::ipv4_unhandled_protocol},
      {"ICMP to the VRRP group is not for us",
       ipv4_frame(dataplane::kVrrpGroupMac, kClientMac, group_icmp, icmp_message(8, 0, 1, 1, 8)), {},
       DropReason::ipv4_not_for_us},
      {"a multicast group the port has not joined (OSPF)",
       ipv4_frame({0x01, 0x00, 0x5e, 0x00, 0x00, 0x05}, kClientMac, group_icmp, icmp_message(8, 0, 1, 1, 8)), {},
       DropReason::multicast_ignored},
  };
}

class VirtualAddressFixtureTest : public ::testing::TestWithParam<Fixture> {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("vip_fixtures", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }
  static rte_mempool* pool_;
};

rte_mempool* VirtualAddressFixtureTest::pool_ = nullptr;

void PrintTo(const Fixture& f, std::ostream* os) { *os << f.what; }

void post(dataplane::ControlChannel& control, ControlCommand::Kind kind, uint32_t vip, const MacAddress& mac = {}) {
  ControlCommand c;
  c.kind = kind;
  c.port = 0;
  c.ipv4 = vip;
  c.mac = mac;
  ASSERT_TRUE(control.post_command(c));
}

TEST_P(VirtualAddressFixtureTest, FramesOutAndCounters) {
  const Fixture& f = GetParam();
  dataplane::PortIdentity port;
  port.link.mac = kOurMac;
  port.ipv4 = kOurIp;
  ASSERT_TRUE(dataplane::enable_vrrp(port));
  ASSERT_TRUE(dataplane::accept_virtual_mac(port, kVrid));
  dataplane::WorkerCounters counters;
  {
    SimPacketIo io(pool_, 1);
    dataplane::ControlChannel control;
    ASSERT_EQ(control.create(300, SOCKET_ID_ANY), "");
    dataplane::Worker worker(0, {port}, io, counters, dataplane::WorkerLinks{&control, nullptr, nullptr});
    post(control, ControlCommand::Kind::vip_own, kVip, kOurMac);
    post(control, ControlCommand::Kind::vip_own, kVmacVip, kVirtualMac);
    post(control, ControlCommand::Kind::vip_release, kBackupVip);
    ASSERT_EQ(worker.poll_once(), 3u);
    EXPECT_EQ(worker.virtual_addresses(0).size(), 3u);
    io.inject(0, f.input);
    ASSERT_EQ(worker.poll_once(), 1u);
    EXPECT_EQ(io.take_transmitted(0), f.output) << f.what;
    dataplane::ControlEvent events[4];
    const unsigned n = control.take_events(events, 4);
    ASSERT_EQ(n, f.seen ? 1u : 0u) << f.what;
    if (n == 1) {
      EXPECT_EQ(events[0].kind, dataplane::ControlEvent::Kind::neighbour_seen);
      EXPECT_EQ((Seen{events[0].ipv4, events[0].mac, events[0].addressed_to_us, events[0].claims_our_address,
                      events[0].virtual_address}),
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

INSTANTIATE_TEST_SUITE_P(Table, VirtualAddressFixtureTest, ::testing::ValuesIn(fixtures()), fixture_name);

// Ownership moves both ways at run time: what a master answered, the backup
// it became drops, and the other way round.
TEST(VirtualAddressOwnership, ReleaseThenOwnAgainSwitchesTheAnswers) {
  rte_mempool* pool = rte_pktmbuf_pool_create("vip_switch", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(pool, nullptr);
  dataplane::PortIdentity port;
  port.link.mac = kOurMac;
  port.ipv4 = kOurIp;
  dataplane::WorkerCounters counters;
  {
    SimPacketIo io(pool, 1);
    dataplane::ControlChannel control;
    ASSERT_EQ(control.create(301, SOCKET_ID_ANY), "");
    dataplane::Worker worker(0, {port}, io, counters, dataplane::WorkerLinks{&control, nullptr, nullptr});
    // Unknown: any other host's address.
    io.inject(0, echo_request(kOurMac, kVip));
    worker.poll_once();
    EXPECT_TRUE(io.take_transmitted(0).empty());
    EXPECT_EQ(counters.ports[0].drop(DropReason::ipv4_not_for_us).get(), 1u);
    post(control, ControlCommand::Kind::vip_own, kVip, kOurMac);
    io.inject(0, echo_request(kOurMac, kVip));
    worker.poll_once();
    EXPECT_EQ(io.take_transmitted(0), std::vector<Bytes>{echo_reply(kOurMac, kVip)});
    post(control, ControlCommand::Kind::vip_release, kVip);
    io.inject(0, echo_request(kOurMac, kVip));
    io.inject(0, arp_request_for(kVip));
    worker.poll_once();
    EXPECT_TRUE(io.take_transmitted(0).empty());
    EXPECT_EQ(counters.ports[0].drop(DropReason::ipv4_vip_not_owned).get(), 1u);
    EXPECT_EQ(counters.ports[0].drop(DropReason::arp_vip_not_owned).get(), 1u);
    post(control, ControlCommand::Kind::vip_own, kVip, kOurMac);
    io.inject(0, arp_request_for(kVip));
    worker.poll_once();
    EXPECT_EQ(io.take_transmitted(0), std::vector<Bytes>{arp_reply_from(kOurMac, kVip)});
    dataplane::ControlEvent events[8];
    while (control.take_events(events, 8) > 0) {
    }
  }
  EXPECT_EQ(rte_mempool_avail_count(pool), 63u) << "mbuf leaked";
  rte_mempool_free(pool);
}

TEST(VirtualAddressTable, OwnReleaseFindAndCapacity) {
  dataplane::VirtualAddressTable table;
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.find(kVip), nullptr);
  EXPECT_FALSE(table.release(kVip)) << "registering an unowned VIP: it was not owned";
  ASSERT_NE(table.find(kVip), nullptr);
  EXPECT_EQ(table.owned(kVip), nullptr);
  EXPECT_TRUE(table.own(kVip, kVirtualMac));
  ASSERT_NE(table.owned(kVip), nullptr);
  EXPECT_EQ(table.owned(kVip)->mac, kVirtualMac);
  EXPECT_TRUE(table.own(kVip, kOurMac)) << "owning again updates the MAC";
  EXPECT_EQ(table.owned(kVip)->mac, kOurMac);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.release(kVip));
  EXPECT_EQ(table.owned(kVip), nullptr);
  for (uint32_t i = 1; i < dataplane::VirtualAddressTable::kCapacity; ++i) EXPECT_TRUE(table.own(kVip + i, kOurMac));
  EXPECT_EQ(table.size(), dataplane::VirtualAddressTable::kCapacity);
  EXPECT_FALSE(table.own(kVip + 100, kOurMac)) << "bounded";
  EXPECT_FALSE(table.release(kVip + 100));
  EXPECT_EQ(table.find(kVip + 100), nullptr);
  EXPECT_TRUE(table.own(kVip, kOurMac)) << "a known address can always change";
}

TEST(PortMacFilter, VirtualRouterMacsAreAcceptedOnlyWhenAdded) {
  dataplane::PortMacFilter filter;
  filter.mac = kOurMac;
  const Bytes to_vmac = FrameBuilder().ethernet(kVirtualMac, kClientMac, 0x0800).zeros(20).build();
  EXPECT_EQ(dataplane::classify_frame(to_vmac.data(), static_cast<uint32_t>(to_vmac.size()), filter).reason,
            DropReason::not_for_us);
  EXPECT_TRUE(filter.add_unicast(kVirtualMac));
  EXPECT_TRUE(filter.add_unicast(kVirtualMac)) << "adding twice is harmless";
  EXPECT_EQ(filter.unicast_count, 1u);
  EXPECT_TRUE(dataplane::classify_frame(to_vmac.data(), static_cast<uint32_t>(to_vmac.size()), filter).accepted);
  for (uint8_t i = 1; i < dataplane::PortMacFilter::kMaxUnicast; ++i) {
    EXPECT_TRUE(filter.add_unicast(dataplane::vrrp_virtual_mac(static_cast<uint8_t>(100 + i))));
  }
  EXPECT_FALSE(filter.add_unicast(dataplane::vrrp_virtual_mac(200))) << "bounded";
}

}  // namespace
}  // namespace dplb::testing

// The worker's side of VRRP: advertisements handed to the control plane
// with their mbuf, frames the control plane sends (gratuitous ARP, unicast
// advertisements through ARP resolution), and TCP on virtual addresses:
// passive opens answered from the VIP only while it is owned, and reset
// when it is released.

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <memory>
#include <optional>
#include <vector>

#include "conf/config.h"
#include "dataplane/net/arp/arp_announcement.h"
#include "dataplane/net/ipv4/route_table.h"
#include "dataplane/net/vrrp_link.h"
#include "dataplane/worker/worker.h"
#include "tests/sim/sim_packet_io.h"
#include "tests/support/packet_fixtures.h"

namespace dplb::testing {
namespace {

using dataplane::ControlCommand;
using dataplane::ControlEvent;
using dataplane::DropReason;

constexpr MacAddress kOurMac = {0x02, 0x99, 0x06, 0x00, 0x01, 0x01};
constexpr MacAddress kPeerMac = {0x02, 0x99, 0x06, 0x00, 0x01, 0x02};
constexpr MacAddress kClientMac = {0x02, 0x99, 0x06, 0x00, 0x00, 0x64};
constexpr uint8_t kVrid = 51;
constexpr MacAddress kVirtualMac = dataplane::vrrp_virtual_mac(kVrid);
const uint32_t kOurIp = ipv4(10, 99, 6, 2);
const uint32_t kPeerIp = ipv4(10, 99, 6, 3);
const uint32_t kClientIp = ipv4(10, 99, 6, 100);
const uint32_t kVip = ipv4(10, 99, 6, 10);
const uint32_t kVmacVip = ipv4(10, 99, 6, 11);

// A VRRPv3 advertisement (RFC 5798 5.1) for one VIP; the worker does not
// look inside, so its checksum is left at zero.
Bytes advertisement(const MacAddress& eth_dst, uint32_t destination, uint8_t ttl) {
  Ipv4Fields f;
  f.source = kPeerIp;
  f.destination = destination;
  f.protocol = 112;
  f.ttl = ttl;
  f.flags_fragment = 0;
  const Bytes vrrp = FrameBuilder().u8(0x31).u8(kVrid).u8(100).u8(1).u16(100).u16(0).u32(kVip).build();
  return ipv4_frame(eth_dst, kPeerMac, f, vrrp);
}

uint32_t be32(const Bytes& b, std::size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

Bytes frame_bytes(const rte_mbuf* m) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return Bytes(p, p + rte_pktmbuf_data_len(m));
}

rte_mbuf* mbuf_of(rte_mempool* pool, const Bytes& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())), bytes.data(), bytes.size());
  return m;
}

class VrrpDataplaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = rte_pktmbuf_pool_create(("vrrp_dp" + std::to_string(instance_++)).c_str(), 1023, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    ASSERT_EQ(control_.create(400 + instance_, SOCKET_ID_ANY), "");
    conf::Config config;
    conf::PortConfig front;
    front.name = "front";
    front.address = conf::Ipv4Prefix{{kOurIp}, 24};
    config.ports.push_back(front);
    ASSERT_EQ(routes_.build(config, SOCKET_ID_ANY), "");
  }
  void TearDown() override {
    worker_.reset();
    io_.reset();
    control_.discard_commands();
    EXPECT_EQ(rte_mempool_avail_count(pool_), 1023u) << "mbuf leaked";
    rte_mempool_free(pool_);
  }

  void start(bool vrrp, bool tcp = false) {
    dataplane::PortIdentity port;
    port.link.mac = kOurMac;
    port.ipv4 = kOurIp;
    if (vrrp) {
      ASSERT_TRUE(dataplane::enable_vrrp(port));
      ASSERT_TRUE(dataplane::accept_virtual_mac(port, kVrid));
    }
    io_ = std::make_unique<SimPacketIo>(pool_, 1);
    dataplane::WorkerLinks links{&control_, nullptr, pool_, 64};
    if (tcp) {
      links.routes = &routes_;
      links.tcp = &tcp_settings_;
      links.secret = {0x1234, 0x5678};
    }
    worker_ = std::make_unique<dataplane::Worker>(0, std::vector<dataplane::PortIdentity>{port}, *io_, counters_,
                                                  links);
  }

  void command(ControlCommand c) {
    c.port = 0;
    ASSERT_TRUE(control_.post_command(c));
    worker_->poll_once();
  }
  void own(uint32_t vip, const MacAddress& mac) {
    ControlCommand c;
    c.kind = ControlCommand::Kind::vip_own;
    c.ipv4 = vip;
    c.mac = mac;
    command(c);
  }
  void release(uint32_t vip) {
    ControlCommand c;
    c.kind = ControlCommand::Kind::vip_release;
    c.ipv4 = vip;
    command(c);
  }
  void neighbour(uint32_t ip, const MacAddress& mac) {
    ControlCommand c;
    c.kind = ControlCommand::Kind::neighbour_set;
    c.ipv4 = ip;
    c.mac = mac;
    command(c);
  }
  std::vector<ControlEvent> events() {
    std::vector<ControlEvent> out;
    ControlEvent e[16];
    unsigned n;
    while ((n = control_.take_events(e, 16)) > 0) out.insert(out.end(), e, e + n);
    return out;
  }
  void receive(const Bytes& frame) {
    io_->inject(0, frame);
    worker_->poll_once();
  }
  uint64_t dropped(DropReason r) const { return counters_.ports[0].drop(r).get(); }

  static inline unsigned instance_ = 0;
  rte_mempool* pool_ = nullptr;
  dataplane::ControlChannel control_;
  dataplane::RouteTable routes_;
  dataplane::TcpSettings tcp_settings_;
  std::unique_ptr<SimPacketIo> io_;
  dataplane::WorkerCounters counters_;
  std::unique_ptr<dataplane::Worker> worker_;
};

// ---- advertisements in ------------------------------------------------------

TEST_F(VrrpDataplaneTest, AdvertisementsOfAnyTtlGoToTheControlPlaneWithTheirMbuf) {
  start(true);
  // TTL 255 as RFC 5798 requires, and TTL 1: judging it is the control plane's job.
  const Bytes multicast = advertisement(dataplane::kVrrpGroupMac, dataplane::kVrrpGroup, 255);
  const Bytes wrong_ttl = advertisement(dataplane::kVrrpGroupMac, dataplane::kVrrpGroup, 1);
  const Bytes unicast = advertisement(kOurMac, kOurIp, 255);  // keepalived's unicast_peer
  Bytes padded = multicast;
  padded.resize(80, 0);  // Ethernet padding is trimmed off, as for any IPv4 packet
  for (const Bytes* frame : std::initializer_list<const Bytes*>{&multicast, &wrong_ttl, &unicast, &padded}) {
    io_->inject(0, *frame);
  }
  worker_->poll_once();
  EXPECT_TRUE(io_->take_transmitted(0).empty());
  const auto got = events();
  ASSERT_EQ(got.size(), 4u);
  const Bytes* expected[] = {&multicast, &wrong_ttl, &unicast, &multicast};
  const uint32_t destinations[] = {dataplane::kVrrpGroup, dataplane::kVrrpGroup, kOurIp, dataplane::kVrrpGroup};
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].kind, ControlEvent::Kind::vrrp_frame);
    EXPECT_EQ(got[i].port, 0);
    EXPECT_EQ(got[i].ipv4, destinations[i]);
    ASSERT_NE(got[i].frame, nullptr);
    EXPECT_EQ(frame_bytes(got[i].frame), *expected[i]) << i;
    EXPECT_EQ(got[i].frame->pkt_len, expected[i]->size());
    rte_pktmbuf_free(got[i].frame);  // as the control plane does
  }
  for (std::size_t r = 0; r < dataplane::kDropReasonCount; ++r) {
    EXPECT_EQ(dropped(static_cast<DropReason>(r)), 0u) << dataplane::drop_reason_name(static_cast<DropReason>(r));
  }
  EXPECT_EQ(counters_.ports[0].rx_packets.get(), 4u);
}

TEST_F(VrrpDataplaneTest, AdvertisementsOnAPortWithoutVrrpAreDropped) {
  start(false);
  receive(advertisement(dataplane::kVrrpGroupMac, dataplane::kVrrpGroup, 255));
  EXPECT_EQ(dropped(DropReason::multicast_ignored), 1u) << "the group is not joined";
  receive(advertisement(kBroadcastMac, dataplane::kVrrpGroup, 255));
  receive(advertisement(kOurMac, kOurIp, 255));
  EXPECT_EQ(dropped(DropReason::ipv4_unhandled_protocol), 2u);
  EXPECT_TRUE(events().empty());
  EXPECT_TRUE(io_->take_transmitted(0).empty());
}

TEST_F(VrrpDataplaneTest, ABrokenIpHeaderIsDroppedBeforeTheControlPlane) {
  start(true);
  Bytes bad = advertisement(dataplane::kVrrpGroupMac, dataplane::kVrrpGroup, 255);
  bad[14 + 10] ^= 0x01;  // header checksum
  receive(bad);
  EXPECT_EQ(dropped(DropReason::ipv4_bad_checksum), 1u);
  EXPECT_TRUE(events().empty());
}

TEST_F(VrrpDataplaneTest, AFullEventRingIsACountedDrop) {
  start(true);
  ControlEvent filler;
  filler.kind = ControlEvent::Kind::resolve_request;
  unsigned posted = 0;
  while (control_.post_event(filler)) ++posted;
  ASSERT_GT(posted, 0u);
  const uint64_t lost_before = control_.counters().events_lost.get();
  receive(advertisement(dataplane::kVrrpGroupMac, dataplane::kVrrpGroup, 255));
  EXPECT_EQ(dropped(DropReason::ipv4_vrrp_ring_full), 1u);
  EXPECT_EQ(control_.counters().events_lost.get(), lost_before + 1);
  EXPECT_EQ(events().size(), posted);  // only the fillers: the frame went back to the pool
}

TEST_F(VrrpDataplaneTest, UdpToAnOwnedVipIsRefusedFromTheVip) {
  start(true);
  own(kVip, kOurMac);
  Ipv4Fields f;
  f.source = kClientIp;
  f.destination = kVip;
  f.protocol = 17;
  receive(ipv4_frame(kOurMac, kClientMac, f, Bytes(16, 0)));
  const auto sent = io_->take_transmitted(0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][14 + 9], 1) << "ICMP";
  EXPECT_EQ(sent[0][34], 3) << "destination unreachable";
  EXPECT_EQ(be32(sent[0], 14 + 12), kVip) << "from the address the client used";
  EXPECT_EQ(internet_checksum(sent[0].data() + 14, 20), 0) << "header checksum redone";
  EXPECT_EQ(dropped(DropReason::udp_port_closed), 1u);
}

// ---- frames the control plane sends ----------------------------------------

TEST(GratuitousArp, IsABroadcastRequestFromTheVipToItselfAsKeepalivedSends) {
  rte_mempool* pool = rte_pktmbuf_pool_create("garp", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(pool, nullptr);
  for (const MacAddress& mac : {kOurMac, kVirtualMac}) {
    rte_mbuf* m = dataplane::build_gratuitous_arp(pool, kVip, mac);
    ASSERT_NE(m, nullptr);
    Bytes expected = arp_frame(kBroadcastMac, mac, 1, mac, kVip, kBroadcastMac, kVip);
    expected.resize(60, 0);
    EXPECT_EQ(frame_bytes(m), expected);
    EXPECT_EQ(m->pkt_len, 60u);
    rte_pktmbuf_free(m);
  }
  EXPECT_EQ(rte_mempool_avail_count(pool), 63u);
  rte_mempool_free(pool);
}

TEST_F(VrrpDataplaneTest, GratuitousArpGoesOutAsATransmitCommand) {
  start(true);
  ControlCommand c;
  c.kind = ControlCommand::Kind::transmit;
  c.frame = dataplane::build_gratuitous_arp(pool_, kVmacVip, kVirtualMac);
  command(c);
  const auto sent = io_->take_transmitted(0);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(Bytes(sent[0].begin(), sent[0].begin() + 12),
            FrameBuilder().append(kBroadcastMac).append(kVirtualMac).build());
}

TEST_F(VrrpDataplaneTest, SendIpv4ResolvesTheNextHopThenSends) {
  start(true);
  // A unicast advertisement built by the control plane, destination MAC unknown.
  Bytes frame = advertisement(MacAddress{}, kPeerIp, 255);
  std::copy(kOurMac.begin(), kOurMac.end(), frame.begin() + 6);
  ControlCommand c;
  c.kind = ControlCommand::Kind::send_ipv4;
  c.next_hop = kPeerIp;
  c.frame = mbuf_of(pool_, frame);
  command(c);
  EXPECT_TRUE(io_->take_transmitted(0).empty()) << "parked until the neighbour is known";
  auto got = events();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, ControlEvent::Kind::resolve_request);
  EXPECT_EQ(got[0].ipv4, kPeerIp);
  neighbour(kPeerIp, kPeerMac);
  Bytes expected = frame;
  std::copy(kPeerMac.begin(), kPeerMac.end(), expected.begin());
  EXPECT_EQ(io_->take_transmitted(0), std::vector<Bytes>{expected});
  // Known now: the next one leaves at once.
  c.frame = mbuf_of(pool_, frame);
  command(c);
  EXPECT_EQ(io_->take_transmitted(0), std::vector<Bytes>{expected});
  EXPECT_TRUE(events().empty());
}

TEST(ControlChannelFrames, UnpostableAndLeftoverFramesGoBackToTheirPool) {
  rte_mempool* pool = rte_pktmbuf_pool_create("vrrp_leftover", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(pool, nullptr);
  {
    dataplane::ControlChannel channel;
    ASSERT_EQ(channel.create(499, SOCKET_ID_ANY), "");
    ControlCommand c;
    c.kind = ControlCommand::Kind::send_ipv4;
    c.frame = rte_pktmbuf_alloc(pool);
    ASSERT_TRUE(channel.post_command(c));
    ControlEvent e;
    e.kind = ControlEvent::Kind::vrrp_frame;
    e.frame = rte_pktmbuf_alloc(pool);
    ASSERT_TRUE(channel.post_event(e));
    EXPECT_EQ(rte_mempool_avail_count(pool), 61u);
    channel.discard_commands();
    EXPECT_EQ(rte_mempool_avail_count(pool), 63u);
  }
  rte_mempool_free(pool);
}

// ---- TCP on virtual addresses ----------------------------------------------

// Records what the stack tells the application.
class RecordingApp final : public dataplane::TcpApplication {
 public:
  void on_accepted(dataplane::TcpConnection& c) override {
    accepted.push_back(c.tuple());
    if (close_on_accept) c.close();
  }
  void on_closed(dataplane::TcpConnection& c, dataplane::TcpCloseReason reason) override {
    closed.push_back({c.tuple().local_address, reason});
  }
  std::vector<dataplane::FourTuple> accepted;
  std::vector<std::pair<uint32_t, dataplane::TcpCloseReason>> closed;
  bool close_on_accept = false;
};

// A TCP segment the worker sent, read back from the frame.
struct SentSegment {
  MacAddress eth_source;
  MacAddress eth_destination;
  uint32_t source;
  uint32_t destination;
  uint16_t source_port;
  uint16_t destination_port;
  uint32_t sequence;
  uint32_t acknowledgement;
  uint8_t flags;
};

SentSegment parse(const Bytes& frame) {
  SentSegment s{};
  std::copy(frame.begin(), frame.begin() + 6, s.eth_destination.begin());
  std::copy(frame.begin() + 6, frame.begin() + 12, s.eth_source.begin());
  const std::size_t ip = 14;
  const std::size_t tcp = ip + (frame[ip] & 0x0f) * 4u;
  s.source = be32(frame, ip + 12);
  s.destination = be32(frame, ip + 16);
  s.source_port = static_cast<uint16_t>(frame[tcp] << 8 | frame[tcp + 1]);
  s.destination_port = static_cast<uint16_t>(frame[tcp + 2] << 8 | frame[tcp + 3]);
  s.sequence = be32(frame, tcp + 4);
  s.acknowledgement = be32(frame, tcp + 8);
  s.flags = frame[tcp + 13];
  return s;
}

constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;
constexpr uint8_t kAck = 0x10;

Bytes tcp_frame(const MacAddress& eth_dst, uint32_t to, uint16_t from_port, uint32_t seq, uint32_t ack,
                uint8_t flags) {
  Ipv4Fields f;
  f.source = kClientIp;
  f.destination = to;
  f.protocol = 6;
  TcpFields t;
  t.source_port = from_port;
  t.destination_port = 80;
  t.sequence = seq;
  t.acknowledgement = ack;
  t.flags = flags;
  return ipv4_frame(eth_dst, kClientMac, f, tcp_segment(kClientIp, to, t, {}));
}

class VrrpTcpTest : public VrrpDataplaneTest {
 protected:
  void SetUp() override {
    VrrpDataplaneTest::SetUp();
    start(true, true);
    ASSERT_NE(worker_->tcp(), nullptr);
    ASSERT_TRUE(worker_->tcp()->listen(80, &app_, tcp_settings_.defaults));
    neighbour(kClientIp, kClientMac);
    own(kVip, kOurMac);
    own(kVmacVip, kVirtualMac);
  }
  void TearDown() override {
    worker_->shutdown_tcp();
    VrrpDataplaneTest::TearDown();
  }

  // SYN in, SYN-ACK out: returns it.
  std::optional<SentSegment> open(const MacAddress& eth_dst, uint32_t to, uint16_t from_port) {
    receive(tcp_frame(eth_dst, to, from_port, 1000, 0, kSyn));
    const auto sent = io_->take_transmitted(0);
    if (sent.size() != 1) return std::nullopt;
    return parse(sent[0]);
  }
  // ... and the ACK that completes the handshake; returns the SYN-ACK.
  SentSegment establish(const MacAddress& eth_dst, uint32_t to, uint16_t from_port) {
    const auto syn_ack = open(eth_dst, to, from_port);
    EXPECT_TRUE(syn_ack);
    if (!syn_ack) return {};
    receive(tcp_frame(eth_dst, to, from_port, 1001, syn_ack->sequence + 1, kAck));
    return *syn_ack;
  }

  RecordingApp app_;
};

TEST_F(VrrpTcpTest, ASynToAnOwnedVipIsAnsweredFromTheVip) {
  const auto syn_ack = open(kOurMac, kVip, 40000);
  ASSERT_TRUE(syn_ack);
  EXPECT_EQ(syn_ack->flags, kSyn | kAck);
  EXPECT_EQ(syn_ack->source, kVip);
  EXPECT_EQ(syn_ack->destination, kClientIp);
  EXPECT_EQ(syn_ack->source_port, 80);
  EXPECT_EQ(syn_ack->acknowledgement, 1001u);
  EXPECT_EQ(syn_ack->eth_source, kOurMac);
  EXPECT_EQ(syn_ack->eth_destination, kClientMac);
  // With use_vmac the VIP's frames leave from the virtual router MAC.
  const auto vmac_syn_ack = open(kVirtualMac, kVmacVip, 40001);
  ASSERT_TRUE(vmac_syn_ack);
  EXPECT_EQ(vmac_syn_ack->source, kVmacVip);
  EXPECT_EQ(vmac_syn_ack->eth_source, kVirtualMac);
  // The handshake completes on the VIP; the application sees it as the local address.
  receive(tcp_frame(kOurMac, kVip, 40000, 1001, syn_ack->sequence + 1, kAck));
  ASSERT_EQ(app_.accepted.size(), 1u);
  EXPECT_EQ(app_.accepted[0].local_address, kVip);
  EXPECT_EQ(app_.accepted[0].local_port, 80);
}

TEST_F(VrrpTcpTest, ASynToAVipWeDoNotOwnGetsNothing) {
  release(kVip);
  EXPECT_FALSE(open(kOurMac, kVip, 40000));
  EXPECT_EQ(dropped(DropReason::ipv4_vip_not_owned), 1u);
  EXPECT_EQ(worker_->tcp()->connections(), 0u);
  EXPECT_EQ(counters_.tcp.resets_sent.get(), 0u) << "a backup stays silent";
}

TEST_F(VrrpTcpTest, ReleasingAVipResetsItsConnectionsAndOnlyThose) {
  const SentSegment to_vip = establish(kOurMac, kVip, 40000);
  establish(kOurMac, kOurIp, 40001);  // to the port's own address
  EXPECT_TRUE(io_->take_transmitted(0).empty());
  const auto half_open = open(kOurMac, kVip, 40002);
  ASSERT_TRUE(half_open);
  ASSERT_EQ(app_.accepted.size(), 2u);
  ASSERT_EQ(worker_->tcp()->connections(), 3u);
  // Nothing was sent after the SYN-ACK: SND.NXT is ISS + 1.
  const uint32_t established_next = to_vip.sequence + 1;
  release(kVip);
  const auto sent = io_->take_transmitted(0);
  ASSERT_EQ(sent.size(), 2u);
  std::vector<SentSegment> resets;
  for (const auto& f : sent) resets.push_back(parse(f));
  for (const auto& r : resets) {
    EXPECT_EQ(r.flags, kRst | kAck);
    EXPECT_EQ(r.source, kVip);
    EXPECT_EQ(r.destination, kClientIp);
    EXPECT_EQ(r.eth_source, kOurMac) << "a released VIP's frames leave from the port's MAC";
    EXPECT_EQ(r.eth_destination, kClientMac);
    EXPECT_EQ(r.acknowledgement, 1001u);
  }
  const auto& established = resets[0].destination_port == 40000 ? resets[0] : resets[1];
  const auto& syn_received = resets[0].destination_port == 40002 ? resets[0] : resets[1];
  EXPECT_EQ(established.destination_port, 40000);
  EXPECT_EQ(established.sequence, established_next);
  EXPECT_EQ(syn_received.destination_port, 40002);
  EXPECT_EQ(syn_received.sequence, half_open->sequence + 1);
  // The application hears of the established one as of any reset; the
  // half-open one it never knew.
  ASSERT_EQ(app_.closed.size(), 1u);
  EXPECT_EQ(app_.closed[0].first, kVip);
  EXPECT_EQ(app_.closed[0].second, dataplane::TcpCloseReason::reset);
  EXPECT_EQ(counters_.tcp.vip_resets.get(), 2u);
  EXPECT_EQ(worker_->tcp()->connections(), 1u) << "the connection to the port's address lives on";
  worker_->tcp()->for_each_connection(
      [&](const dataplane::TcpConnection& c) { EXPECT_EQ(c.tuple().local_address, kOurIp); });
  // The client's next segment on the reset connection meets a backup now.
  receive(tcp_frame(kOurMac, kVip, 40000, 1001, established_next, kAck));
  EXPECT_TRUE(io_->take_transmitted(0).empty());
  EXPECT_EQ(dropped(DropReason::ipv4_vip_not_owned), 1u);
}

TEST_F(VrrpTcpTest, ReleasingAVipFreesItsTimeWaitConnectionsSilently) {
  app_.close_on_accept = true;  // we close first: TIME_WAIT is ours
  const SentSegment syn_ack = establish(kOurMac, kVip, 40000);
  const auto fin = io_->take_transmitted(0);
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(parse(fin[0]).flags & 0x01, 0x01) << "our FIN";
  receive(tcp_frame(kOurMac, kVip, 40000, 1001, syn_ack.sequence + 2, kAck | 0x01));
  EXPECT_EQ(io_->take_transmitted(0).size(), 1u) << "the ACK of the peer's FIN";
  ASSERT_EQ(worker_->tcp()->connections(), 1u);
  worker_->tcp()->for_each_connection(
      [&](const dataplane::TcpConnection& c) { EXPECT_EQ(c.state(), dataplane::TcpState::time_wait); });
  release(kVip);
  EXPECT_TRUE(io_->take_transmitted(0).empty());
  EXPECT_EQ(worker_->tcp()->connections(), 0u);
  EXPECT_EQ(counters_.tcp.vip_resets.get(), 0u);
  EXPECT_TRUE(app_.closed.empty());
}

TEST_F(VrrpTcpTest, ReleasingAVipWithoutConnectionsSendsNothing) {
  establish(kOurMac, kOurIp, 40001);
  EXPECT_TRUE(io_->take_transmitted(0).empty());
  release(kVip);
  EXPECT_TRUE(io_->take_transmitted(0).empty());
  EXPECT_EQ(counters_.tcp.vip_resets.get(), 0u);
  EXPECT_TRUE(app_.closed.empty());
}

}  // namespace
}  // namespace dplb::testing

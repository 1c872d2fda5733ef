// Two workers, each with its own queues, joined by the redirect mesh: a
// ping the appliance sends from one worker is answered, the answer lands on
// the other worker's queue, and is handed to its owner, which reports the
// round trip to the control plane.

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include "dataplane/worker/worker.h"
#include "tests/sim/sim_packet_io.h"
#include "tests/support/packet_fixtures.h"

namespace dplb::testing {
namespace {

constexpr MacAddress kOurMac = {0x02, 0x99, 0x02, 0x00, 0x01, 0x01};
constexpr MacAddress kServerMac = {0x02, 0x99, 0x02, 0x01, 0x00, 0x0b};
const uint32_t kOurIp = ipv4(10, 99, 2, 2);
const uint32_t kServerIp = ipv4(10, 99, 2, 11);

// What a peer's kernel does with an echo request: the same message back, as a reply.
Bytes as_reply(const Bytes& request) {
  Bytes r = request;
  std::copy(request.begin() + 6, request.begin() + 12, r.begin());
  std::copy(request.begin(), request.begin() + 6, r.begin() + 6);
  std::copy(request.begin() + 26, request.begin() + 30, r.begin() + 30);
  std::copy(request.begin() + 30, request.begin() + 34, r.begin() + 26);
  r[14 + 10] = r[14 + 11] = 0;
  uint16_t ip_sum = internet_checksum(r.data() + 14, 20);
  r[24] = static_cast<uint8_t>(ip_sum >> 8);
  r[25] = static_cast<uint8_t>(ip_sum);
  r[34] = 0;  // echo reply
  r[36] = r[37] = 0;
  uint16_t icmp_sum = internet_checksum(r.data() + 34, r.size() - 34);
  r[36] = static_cast<uint8_t>(icmp_sum >> 8);
  r[37] = static_cast<uint8_t>(icmp_sum);
  return r;
}

class FlowRedirectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = rte_pktmbuf_pool_create(("redirect_test" + std::to_string(instance_++)).c_str(), 511, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    ASSERT_EQ(mesh_.create(2, SOCKET_ID_ANY), "");
    dataplane::PortIdentity port;
    port.link.mac = kOurMac;
    port.ipv4 = kOurIp;
    for (uint32_t w = 0; w < 2; ++w) {
      ASSERT_EQ(control_[w].create(100 + instance_ * 2 + w, SOCKET_ID_ANY), "");
      io_[w] = std::make_unique<SimPacketIo>(pool_, 1);
      worker_[w] = std::make_unique<dataplane::Worker>(
          w, std::vector<dataplane::PortIdentity>{port}, *io_[w], counters_[w],
          dataplane::WorkerLinks{&control_[w], &mesh_, pool_});
    }
  }
  void TearDown() override {
    for (auto& w : worker_) w.reset();
    for (auto& io : io_) io.reset();
  }

  // The owner's table published the server to every worker.
  void publish_server() {
    for (auto& control : control_) {
      dataplane::ControlCommand set;
      set.kind = dataplane::ControlCommand::Kind::neighbour_set;
      set.port = 0;
      set.ipv4 = kServerIp;
      set.mac = kServerMac;
      ASSERT_TRUE(control.post_command(set));
    }
  }

  Bytes send_echo_from(uint32_t w, uint16_t id, uint16_t sequence) {
    if (!published_) {
      publish_server();
      published_ = true;
    }
    dataplane::ControlCommand c;
    c.kind = dataplane::ControlCommand::Kind::send_echo;
    c.port = 0;
    c.echo_id = id;
    c.echo_sequence = sequence;
    c.echo_data_bytes = 56;
    c.ipv4 = kServerIp;
    c.next_hop = kServerIp;
    EXPECT_TRUE(control_[w].post_command(c));
    worker_[w]->poll_once();
    auto sent = io_[w]->take_transmitted(0);
    EXPECT_EQ(sent.size(), 1u);
    return sent.empty() ? Bytes{} : sent[0];
  }

  bool published_ = false;
  static inline unsigned instance_ = 0;
  rte_mempool* pool_ = nullptr;
  dataplane::RedirectMesh mesh_;
  dataplane::ControlChannel control_[2];
  std::unique_ptr<SimPacketIo> io_[2];
  dataplane::WorkerCounters counters_[2];
  std::unique_ptr<dataplane::Worker> worker_[2];
};

TEST_F(FlowRedirectTest, EchoRequestIsAWellFormedPing) {
  Bytes sent = send_echo_from(1, 7, 3);
  ASSERT_EQ(sent.size(), 14u + 20 + 8 + 56);
  Ipv4Fields f;
  f.source = kOurIp;
  f.destination = kServerIp;
  f.id = 3;
  Bytes expected = ipv4_frame(kServerMac, kOurMac, f, icmp_message(8, 0, 7, 3, 56));
  // Everything but the send timestamp (first 8 data bytes) and the ICMP checksum it changes.
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if ((i >= 36 && i < 38) || (i >= 42 && i < 50)) continue;
    EXPECT_EQ(sent[i], i < 42 + 8 ? expected[i] : static_cast<uint8_t>(i - 42)) << "byte " << i;
  }
  EXPECT_EQ(internet_checksum(sent.data() + 34, sent.size() - 34), 0) << "ICMP checksum";
  EXPECT_EQ(internet_checksum(sent.data() + 14, 20), 0) << "IPv4 checksum";
  EXPECT_EQ(counters_[1].flows.echo_requests_sent.get(), 1u);
}

TEST_F(FlowRedirectTest, AReplyOnTheWrongWorkerReachesItsOwner) {
  // Identifier 7 belongs to worker 1 (7 % 2); the answer arrives on worker 0's queue.
  Bytes reply = as_reply(send_echo_from(1, 7, 3));
  io_[0]->inject(0, reply);
  EXPECT_GE(worker_[0]->poll_once(), 1u);  // the frame, and the neighbour update queued for it
  EXPECT_EQ(counters_[0].flows.redirected_out.get(), 1u);
  dataplane::ControlEvent events[4];
  EXPECT_EQ(control_[0].take_events(events, 4), 0u) << "worker 0 does not own the flow";
  EXPECT_EQ(worker_[1]->poll_once(), 1u);
  EXPECT_EQ(counters_[1].flows.redirected_in.get(), 1u);
  EXPECT_EQ(counters_[1].flows.echo_replies_received.get(), 1u);
  ASSERT_EQ(control_[1].take_events(events, 4), 1u);
  EXPECT_EQ(events[0].kind, dataplane::ControlEvent::Kind::echo_reply);
  EXPECT_EQ(events[0].ipv4, kServerIp);
  EXPECT_EQ(events[0].echo_id, 7);
  EXPECT_EQ(events[0].echo_sequence, 3);
  EXPECT_EQ(events[0].echo_bytes, 64);
  EXPECT_EQ(events[0].ttl, 64);
  EXPECT_GT(events[0].rtt_ns, 0u);
  EXPECT_EQ(rte_mempool_avail_count(pool_), 511u) << "mbuf leaked";
}

TEST_F(FlowRedirectTest, AReplyOnItsOwnerIsNotRedirected) {
  Bytes reply = as_reply(send_echo_from(0, 8, 1));
  io_[0]->inject(0, reply);
  worker_[0]->poll_once();
  EXPECT_EQ(counters_[0].flows.redirected_out.get(), 0u);
  EXPECT_EQ(counters_[0].flows.echo_replies_received.get(), 1u);
  dataplane::ControlEvent events[4];
  EXPECT_EQ(control_[0].take_events(events, 4), 1u);
}

TEST(FlowOwner, IdentifiersArePartitionedByWorker) {
  EXPECT_EQ(dataplane::owner_of_local_id(7, 1), 0u);
  EXPECT_EQ(dataplane::owner_of_local_id(7, 2), 1u);
  EXPECT_EQ(dataplane::owner_of_local_id(9, 4), 1u);
  EXPECT_EQ(dataplane::owner_of_local_id(65535, 3), 0u);
}

}  // namespace
}  // namespace dplb::testing

// A worker sending to a neighbour it cannot address yet: the frame waits,
// the owner is asked once, and the owner's answer either releases the frame
// with the right MAC or drops it, counted. Plus the cache and the queue on
// their own.

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/net/arp/arp_pending_queue.h"
#include "dataplane/net/arp/neighbour_cache.h"
#include "dataplane/worker/worker.h"
#include "tests/sim/sim_packet_io.h"
#include "tests/support/packet_fixtures.h"

namespace dplb::testing {
namespace {

constexpr MacAddress kOurMac = {0x02, 0x99, 0x02, 0x00, 0x01, 0x01};
constexpr MacAddress kServerMac = {0x02, 0x99, 0x02, 0x01, 0x00, 0x0b};
const uint32_t kOurIp = ipv4(10, 99, 2, 2);
const uint32_t kServerIp = ipv4(10, 99, 2, 11);

TEST(NeighbourCache, SetFindClearAndReuse) {
  dataplane::NeighbourCache cache(8);
  EXPECT_EQ(cache.find(kServerIp), nullptr);
  EXPECT_TRUE(cache.set(kServerIp, 1, kServerMac));
  ASSERT_NE(cache.find(kServerIp), nullptr);
  EXPECT_EQ(cache.find(kServerIp)->mac, kServerMac);
  EXPECT_EQ(cache.find(kServerIp)->port, 1);
  for (uint32_t i = 1; i < 8; ++i) EXPECT_TRUE(cache.set(kServerIp + i, 1, kServerMac));
  EXPECT_FALSE(cache.set(kServerIp + 100, 1, kServerMac)) << "bounded like the owner's table";
  cache.clear(kServerIp + 3);
  EXPECT_EQ(cache.find(kServerIp + 3), nullptr);
  EXPECT_NE(cache.find(kServerIp + 7), nullptr) << "probing continues past a deleted slot";
  EXPECT_TRUE(cache.set(kServerIp + 100, 1, kServerMac));
  EXPECT_EQ(cache.size(), 8u);
}

class NeighbourResolutionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = rte_pktmbuf_pool_create(("resolution" + std::to_string(instance_++)).c_str(), 255, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    ASSERT_EQ(control_.create(200 + instance_, SOCKET_ID_ANY), "");
    dataplane::PortIdentity port;
    port.link.mac = kOurMac;
    port.ipv4 = kOurIp;
    io_ = std::make_unique<SimPacketIo>(pool_, 1);
    worker_ = std::make_unique<dataplane::Worker>(0, std::vector<dataplane::PortIdentity>{port}, *io_, counters_,
                                                  dataplane::WorkerLinks{&control_, nullptr, pool_, 64});
  }
  void TearDown() override {
    worker_.reset();
    io_.reset();
    EXPECT_EQ(rte_mempool_avail_count(pool_), 255u) << "mbuf leaked";
    rte_mempool_free(pool_);
  }

  void command(dataplane::ControlCommand::Kind kind, uint16_t sequence = 0) {
    dataplane::ControlCommand c;
    c.kind = kind;
    c.port = 0;
    c.ipv4 = kServerIp;
    c.next_hop = kServerIp;
    c.mac = kServerMac;
    c.echo_id = 1;
    c.echo_sequence = sequence;
    c.echo_data_bytes = 56;
    ASSERT_TRUE(control_.post_command(c));
    worker_->poll_once();
  }

  static inline unsigned instance_ = 0;
  rte_mempool* pool_ = nullptr;
  dataplane::ControlChannel control_;
  std::unique_ptr<SimPacketIo> io_;
  dataplane::WorkerCounters counters_;
  std::unique_ptr<dataplane::Worker> worker_;
};

TEST_F(NeighbourResolutionTest, FramesWaitThenLeaveWithTheResolvedMac) {
  command(dataplane::ControlCommand::Kind::send_echo, 1);
  command(dataplane::ControlCommand::Kind::send_echo, 2);
  EXPECT_TRUE(io_->take_transmitted(0).empty());
  EXPECT_EQ(counters_.neighbours.parked.get(), 2u);
  dataplane::ControlEvent events[4];
  ASSERT_EQ(control_.take_events(events, 4), 1u) << "the owner is asked once per destination";
  EXPECT_EQ(events[0].kind, dataplane::ControlEvent::Kind::resolve_request);
  EXPECT_EQ(events[0].ipv4, kServerIp);
  command(dataplane::ControlCommand::Kind::neighbour_set);
  auto sent = io_->take_transmitted(0);
  ASSERT_EQ(sent.size(), 2u);
  for (const auto& frame : sent) EXPECT_EQ(Bytes(frame.begin(), frame.begin() + 6), Bytes(kServerMac.begin(), kServerMac.end()));
  EXPECT_EQ(counters_.neighbours.released.get(), 2u);
  // Known now: the next one leaves at once.
  command(dataplane::ControlCommand::Kind::send_echo, 3);
  EXPECT_EQ(io_->take_transmitted(0).size(), 1u);
  EXPECT_EQ(control_.take_events(events, 4), 0u);
}

TEST_F(NeighbourResolutionTest, AGivenUpNeighbourDropsItsFramesCounted) {
  command(dataplane::ControlCommand::Kind::send_echo, 1);
  command(dataplane::ControlCommand::Kind::neighbour_clear);
  EXPECT_TRUE(io_->take_transmitted(0).empty());
  EXPECT_EQ(counters_.neighbours.unresolved.get(), 1u);
}

TEST_F(NeighbourResolutionTest, TheQueueIsBounded) {
  for (uint16_t s = 1; s <= dataplane::ArpPendingQueue::kFramesPerDestination + 3; ++s) {
    command(dataplane::ControlCommand::Kind::send_echo, s);
  }
  EXPECT_EQ(counters_.neighbours.parked.get(), dataplane::ArpPendingQueue::kFramesPerDestination);
  EXPECT_EQ(counters_.neighbours.queue_full.get(), 3u);
  command(dataplane::ControlCommand::Kind::neighbour_clear);
}

TEST(NeighbourResolutionFullCache, FramesForARefusedEntryAreDroppedNotSent) {
  rte_mempool* pool = rte_pktmbuf_pool_create("full_cache", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(pool, nullptr);
  dataplane::ControlChannel control;
  ASSERT_EQ(control.create(300, SOCKET_ID_ANY), "");
  dataplane::PortIdentity port;
  port.link.mac = kOurMac;
  port.ipv4 = kOurIp;
  dataplane::WorkerCounters counters;
  {
    SimPacketIo io(pool, 1);
    dataplane::Worker worker(0, {port}, io, counters, dataplane::WorkerLinks{&control, nullptr, pool, 1});
    auto post = [&](dataplane::ControlCommand::Kind kind, uint32_t ip) {
      dataplane::ControlCommand c;
      c.kind = kind;
      c.ipv4 = ip;
      c.next_hop = ip;
      c.mac = kServerMac;
      c.echo_id = 1;
      c.echo_sequence = 1;
      c.echo_data_bytes = 56;
      ASSERT_TRUE(control.post_command(c));
      worker.poll_once();
    };
    post(dataplane::ControlCommand::Kind::neighbour_set, kServerIp + 1);  // fills the one-entry cache
    post(dataplane::ControlCommand::Kind::send_echo, kServerIp);
    post(dataplane::ControlCommand::Kind::neighbour_set, kServerIp);  // refused: cache full
    EXPECT_TRUE(io.take_transmitted(0).empty());
    EXPECT_EQ(counters.neighbours.unresolved.get(), 1u);
  }
  EXPECT_EQ(rte_mempool_avail_count(pool), 63u);
  rte_mempool_free(pool);
}

TEST(ArpPendingQueue, DestinationsExpire) {
  rte_mempool* pool = rte_pktmbuf_pool_create("pending_expire", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  dataplane::ArpPendingQueue q;
  EXPECT_EQ(q.park(1, 0, rte_pktmbuf_alloc(pool), 100), dataplane::ArpPendingQueue::Parked::first);
  EXPECT_EQ(q.park(1, 0, rte_pktmbuf_alloc(pool), 150), dataplane::ArpPendingQueue::Parked::added);
  EXPECT_EQ(q.park(2, 0, rte_pktmbuf_alloc(pool), 500), dataplane::ArpPendingQueue::Parked::first);
  rte_mbuf* out[16];
  EXPECT_EQ(q.expire(1099, 1000, out, 16), 0u);
  EXPECT_EQ(q.expire(1100, 1000, out, 16), 2u) << "destination 1, parked at 100";
  rte_pktmbuf_free_bulk(out, 2);
  uint16_t port;
  EXPECT_EQ(q.release(2, out, &port), 1u);
  rte_pktmbuf_free(out[0]);
  EXPECT_TRUE(q.empty());
  rte_mempool_free(pool);
}

}  // namespace
}  // namespace dplb::testing

// The L4 checksum over mbuf chains whose pieces have odd lengths, against
// the same bytes in one buffer (DPDK 22.11's rte_raw_cksum_mbuf gets these
// wrong; see dataplane/net/ipv4/ipv4_checksum.h).

#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>
#include <vector>

#include "dataplane/net/ipv4/ipv4_checksum.h"
#include "tests/sim/sim_link.h"

namespace dplb::testing {
namespace {

class Ipv4Checksum : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("l4_cksum", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }
  static rte_mempool* pool_;
};
rte_mempool* Ipv4Checksum::pool_ = nullptr;

TEST_F(Ipv4Checksum, ChainsWithOddPiecesMatchOneBuffer) {
  SplitMix64 random(7);
  for (int round = 0; round < 200; ++round) {
    const uint32_t payload = 1 + static_cast<uint32_t>(random.below(1460));
    std::vector<uint8_t> bytes(20 + 20 + payload);
    for (auto& b : bytes) b = static_cast<uint8_t>(random.next());
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(bytes.data());
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(bytes.size()));
    ip->next_proto_id = IPPROTO_TCP;
    bytes[20 + 16] = bytes[20 + 17] = 0;  // the TCP checksum field
    const uint16_t expected = rte_ipv4_udptcp_cksum(ip, bytes.data() + 20);

    // The same bytes as a head (headers and a few payload bytes) and pieces of random, often odd, length.
    rte_mbuf* head = rte_pktmbuf_alloc(pool_);
    const uint32_t first = 40 + static_cast<uint32_t>(random.below(std::min<uint32_t>(payload, 9)));
    std::memcpy(rte_pktmbuf_append(head, static_cast<uint16_t>(first)), bytes.data(), first);
    rte_mbuf* tail = head;
    uint32_t at = first;
    while (at < bytes.size()) {
      const uint32_t n = std::min<uint32_t>(1 + static_cast<uint32_t>(random.below(400)),
                                            static_cast<uint32_t>(bytes.size()) - at);
      rte_mbuf* piece = rte_pktmbuf_alloc(pool_);
      std::memcpy(rte_pktmbuf_append(piece, static_cast<uint16_t>(n)), bytes.data() + at, n);
      tail->next = piece;
      tail = piece;
      head->nb_segs++;
      head->pkt_len += n;
      at += n;
    }
    const auto* chained_ip = rte_pktmbuf_mtod(head, const rte_ipv4_hdr*);
    EXPECT_EQ(dataplane::ipv4_l4_checksum(head, chained_ip, 20), expected) << "round " << round;
    // Written into the header, it verifies.
    const uint16_t sum = dataplane::ipv4_l4_checksum(head, chained_ip, 20);
    std::memcpy(rte_pktmbuf_mtod_offset(head, uint8_t*, 20 + 16), &sum, 2);
    EXPECT_TRUE(dataplane::ipv4_l4_checksum_ok(head, chained_ip, 20)) << "round " << round;
    rte_pktmbuf_free(head);
  }
}

}  // namespace
}  // namespace dplb::testing

// Small segments absorbed into the room after the data before them (what
// keeps a byte-per-segment peer from holding an mbuf per byte), and the
// cases where they must not be: shared, indirect or full buffers, large
// segments.

#include "dataplane/base/mbuf_chain.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <string>

#include "dataplane/base/mbuf_queue.h"

namespace dplb::dataplane {
namespace {

rte_mempool* pool() {
  static rte_mempool* p = rte_pktmbuf_pool_create("mbuf_chain_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                                  SOCKET_ID_ANY);
  return p;
}

rte_mbuf* bytes(const std::string& s) { return chain_from_bytes(s.data(), static_cast<uint32_t>(s.size()), pool()); }

std::string text(const rte_mbuf* chain) {
  std::string out(chain->pkt_len, '\0');
  chain_copy(chain, 0, chain->pkt_len, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

class MbufChainTest : public ::testing::Test {
 protected:
  void SetUp() override { in_use_ = rte_mempool_in_use_count(pool()); }
  void TearDown() override { EXPECT_EQ(rte_mempool_in_use_count(pool()), in_use_) << "mbufs left behind"; }
  unsigned in_use_ = 0;
};

TEST_F(MbufChainTest, SmallSegmentsAreCopiedIntoTheLastOnesRoom) {
  rte_mbuf* chain = bytes("head ");
  for (const char* part : {"a", "b", "c"}) chain = chain_append_compact(chain, bytes(part));
  EXPECT_EQ(chain->nb_segs, 1);
  EXPECT_EQ(chain->pkt_len, 8u);
  EXPECT_EQ(text(chain), "head abc");
  EXPECT_EQ(rte_mempool_in_use_count(pool()), in_use_ + 1);
  rte_pktmbuf_free(chain);
}

TEST_F(MbufChainTest, LargeSegmentsAndFullBuffersAreLinkedNotCopied) {
  rte_mbuf* chain = bytes("x");
  chain = chain_append_compact(chain, bytes(std::string(kCoalesceMax + 1, 'L')));
  EXPECT_EQ(chain->nb_segs, 2) << "over kCoalesceMax: zero-copy";
  rte_mbuf* nearly_full = rte_pktmbuf_alloc(pool());
  ASSERT_NE(nearly_full, nullptr);
  ASSERT_NE(rte_pktmbuf_append(nearly_full, static_cast<uint16_t>(rte_pktmbuf_tailroom(nearly_full) - 50)), nullptr);
  rte_mbuf* fifty_one = bytes(std::string(51, 'o'));
  rte_mbuf* fifty = bytes(std::string(50, 'f'));
  EXPECT_FALSE(segment_absorb(nearly_full, fifty_one));
  EXPECT_TRUE(segment_absorb(nearly_full, fifty));
  EXPECT_EQ(rte_pktmbuf_tailroom(nearly_full), 0u);
  rte_pktmbuf_free(fifty_one);
  rte_pktmbuf_free(fifty);
  rte_pktmbuf_free(nearly_full);
  rte_pktmbuf_free(chain);
}

TEST_F(MbufChainTest, ASharedOrIndirectLastSegmentIsNeverWrittenInto) {
  rte_mbuf* shared = bytes("shared");
  rte_mbuf_refcnt_update(shared, 1);  // someone else holds it too
  rte_mbuf* small = bytes("!");
  EXPECT_FALSE(segment_absorb(shared, small));
  rte_mbuf_refcnt_update(shared, -1);
  rte_mbuf* clone = rte_pktmbuf_clone(shared, pool());
  ASSERT_NE(clone, nullptr);
  EXPECT_FALSE(segment_absorb(clone, small)) << "an indirect mbuf's bytes belong to another";
  EXPECT_FALSE(segment_absorb(shared, small)) << "its buffer is shared with the clone now";
  rte_pktmbuf_free(clone);
  EXPECT_TRUE(segment_absorb(shared, small));
  shared->pkt_len = shared->data_len;
  EXPECT_EQ(text(shared), "shared!");
  rte_pktmbuf_free(small);
  rte_pktmbuf_free(shared);
}

TEST_F(MbufChainTest, AQueueOfTinyPushesHoldsFewBuffers) {
  MbufQueue q;
  std::string sent;
  for (int i = 0; i < 3000; ++i) {
    const std::string one(1, static_cast<char>('0' + i % 10));
    q.push(bytes(one));
    sent += one;
  }
  EXPECT_EQ(q.bytes(), 3000u);
  EXPECT_LE(rte_mempool_in_use_count(pool()), in_use_ + 3);
  uint32_t n = 0;
  rte_mbuf* all = q.take_all(&n);
  EXPECT_EQ(n, 3000u);
  EXPECT_EQ(text(all), sent);
  rte_pktmbuf_free(all);
}

}  // namespace
}  // namespace dplb::dataplane

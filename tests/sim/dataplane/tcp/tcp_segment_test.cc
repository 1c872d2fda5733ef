// TCP segments as they arrive: a Linux SYN and a data segment read exactly;
// every malformed segment rejected with its reason; the NIC's checksum
// verdict honoured.

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <cstring>

#include "dataplane/tcp/tcp_segment.h"
#include "tests/support/packet_fixtures.h"

namespace dplb::testing {
namespace {

using dataplane::TcpSegment;
using dataplane::TcpSegmentError;

constexpr MacAddress kOurMac = {0x02, 0x99, 0x01, 0x00, 0x01, 0x01};
constexpr MacAddress kClientMac = {0x02, 0x99, 0x01, 0x00, 0x00, 0x64};
const uint32_t kOurIp = ipv4(10, 99, 1, 10);
const uint32_t kClientIp = ipv4(10, 99, 1, 100);
const Bytes kLinuxSynOptions = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03,
                                0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

class TcpSegmentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pool_ = rte_pktmbuf_pool_create("tcp_segment", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }
  static void TearDownTestSuite() { rte_mempool_free(pool_); }

  TcpSegmentError parse(const TcpFields& f, const Bytes& payload, TcpSegment* out, uint64_t ol_flags = 0) {
    Ipv4Fields ip;
    ip.protocol = 6;
    ip.source = kClientIp;
    ip.destination = kOurIp;
    const Bytes frame = ipv4_frame(kOurMac, kClientMac, ip, tcp_segment(kClientIp, kOurIp, f, payload));
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
    m->ol_flags |= ol_flags;
    TcpSegmentError e = dataplane::parse_tcp_segment(m, 20, out);
    rte_pktmbuf_free(m);
    return e;
  }

  static rte_mempool* pool_;
};

rte_mempool* TcpSegmentTest::pool_ = nullptr;

TEST_F(TcpSegmentTest, ReadsALinuxSyn) {
  TcpFields f;
  f.options = kLinuxSynOptions;
  TcpSegment s;
  ASSERT_EQ(parse(f, {}, &s), TcpSegmentError::none);
  EXPECT_EQ(s.source, kClientIp);
  EXPECT_EQ(s.destination, kOurIp);
  EXPECT_EQ(s.source_port, 40000);
  EXPECT_EQ(s.destination_port, 80);
  EXPECT_EQ(s.sequence, 1000u);
  EXPECT_TRUE(s.has(dataplane::tcp_flag::syn));
  EXPECT_EQ(s.window, 64240);
  EXPECT_EQ(s.options.mss, 1460);
  EXPECT_EQ(s.options.window_scale, 7);
  EXPECT_TRUE(s.options.sack_permitted);
  EXPECT_EQ(s.payload_length, 0u);
  EXPECT_EQ(s.sequence_length(), 1u) << "a SYN occupies one sequence number";
}

TEST_F(TcpSegmentTest, ReadsADataSegment) {
  TcpFields f;
  f.flags = 0x18;  // PSH ACK
  f.acknowledgement = 77;
  f.options = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 9, 0, 0, 0, 8};
  const Bytes payload = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'};
  TcpSegment s;
  ASSERT_EQ(parse(f, payload, &s), TcpSegmentError::none);
  EXPECT_EQ(s.acknowledgement, 77u);
  EXPECT_EQ(s.payload_length, payload.size());
  EXPECT_EQ(s.payload_offset, 14u + 20u + 32u);
  EXPECT_EQ(s.options.timestamps, (dataplane::TcpTimestamps{9, 8}));
  EXPECT_EQ(s.sequence_length(), payload.size());
}

TEST_F(TcpSegmentTest, MalformedSegmentsAreRejectedWithTheirReason) {
  struct Case {
    const char* what;
    TcpFields fields;
    Bytes payload;
    TcpSegmentError error;
  };
  TcpFields bad_sum;
  bad_sum.corrupt_checksum = true;
  TcpFields short_offset;
  short_offset.data_offset_words = 4;
  TcpFields long_offset;
  long_offset.data_offset_words = 15;
  TcpFields syn_fin;
  syn_fin.flags = 0x03;
  TcpFields syn_rst;
  syn_rst.flags = 0x06;
  TcpFields no_flags;
  no_flags.flags = 0x00;
  TcpFields psh_only;
  psh_only.flags = 0x08;
  TcpFields zero_length_option;
  zero_length_option.options = {0xfe, 0x00, 0x00, 0x00};
  const Case cases[] = {
      {"bad checksum", bad_sum, {}, TcpSegmentError::bad_checksum},
      {"data offset of 4 words", short_offset, {}, TcpSegmentError::bad_offset},
      {"header longer than the segment", long_offset, {}, TcpSegmentError::truncated},
      {"SYN with FIN", syn_fin, {}, TcpSegmentError::bad_flags},
      {"SYN with RST", syn_rst, {}, TcpSegmentError::bad_flags},
      {"no flag at all", no_flags, {}, TcpSegmentError::bad_flags},
      {"PSH alone", psh_only, {}, TcpSegmentError::bad_flags},
      {"option of length 0", zero_length_option, {}, TcpSegmentError::bad_options},
  };
  for (const auto& c : cases) {
    TcpSegment s;
    EXPECT_EQ(parse(c.fields, c.payload, &s), c.error) << c.what;
  }
}

TEST_F(TcpSegmentTest, TheNicsChecksumVerdictIsHonoured) {
  TcpFields bad_sum;
  bad_sum.corrupt_checksum = true;
  TcpSegment s;
  EXPECT_EQ(parse(bad_sum, {}, &s, RTE_MBUF_F_RX_L4_CKSUM_GOOD), TcpSegmentError::none);
  EXPECT_EQ(parse(TcpFields{}, {}, &s, RTE_MBUF_F_RX_L4_CKSUM_BAD), TcpSegmentError::bad_checksum);
}

TEST_F(TcpSegmentTest, ASegmentCutInsideItsHeader) {
  Ipv4Fields ip;
  ip.protocol = 6;
  ip.source = kClientIp;
  ip.destination = kOurIp;
  const Bytes frame = ipv4_frame(kOurMac, kClientMac, ip, Bytes(12, 0));
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
  TcpSegment s;
  EXPECT_EQ(dataplane::parse_tcp_segment(m, 20, &s), TcpSegmentError::truncated);
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace dplb::testing

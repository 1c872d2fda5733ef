// TCP options: real layouts byte for byte, round trips, and every malformed
// layout reported rather than read past.

#include <gtest/gtest.h>

#include <vector>

#include "dataplane/tcp/tcp_options.h"

namespace dplb::dataplane {
namespace {

using Bytes = std::vector<uint8_t>;

TcpOptions parse(const Bytes& b, TcpOptionError expected = TcpOptionError::none) {
  TcpOptions o;
  EXPECT_EQ(parse_tcp_options(b.data(), b.size(), &o), expected);
  return o;
}

// What Linux puts in a SYN: MSS 1460, SACK-permitted, timestamps, NOP, wscale 7.
const Bytes kLinuxSyn = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03,
                         0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

TEST(TcpOptions, ReadsALinuxSyn) {
  TcpOptions o = parse(kLinuxSyn);
  EXPECT_EQ(o.mss, 1460);
  EXPECT_TRUE(o.sack_permitted);
  ASSERT_TRUE(o.timestamps);
  EXPECT_EQ(o.timestamps->value, 0x00010203u);
  EXPECT_EQ(o.timestamps->echo_reply, 0u);
  EXPECT_EQ(o.window_scale, 7);
  EXPECT_EQ(o.sack_count, 0);
}

TEST(TcpOptions, WritesTheSameLayoutLinuxDoes) {
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamps = TcpTimestamps{0x00010203, 0};
  o.window_scale = 7;
  uint8_t out[40];
  const std::size_t n = write_tcp_options(o, out, sizeof(out));
  EXPECT_EQ(Bytes(out, out + n), kLinuxSyn);
}

TEST(TcpOptions, RoundTripsAnAckWithSackBlocks) {
  TcpOptions o;
  o.timestamps = TcpTimestamps{7, 9};
  o.sack_count = 3;
  o.sack = {SackBlock{100, 200}, SackBlock{300, 400}, SackBlock{500, 600}, SackBlock{}};
  uint8_t out[40];
  const std::size_t n = write_tcp_options(o, out, sizeof(out));
  EXPECT_EQ(n, 40u);
  EXPECT_EQ(parse(Bytes(out, out + n)), o);
}

TEST(TcpOptions, OnlyThreeSackBlocksFitBesideTimestamps) {
  TcpOptions o;
  o.timestamps = TcpTimestamps{1, 2};
  o.sack_count = 4;
  o.sack = {SackBlock{1, 2}, SackBlock{3, 4}, SackBlock{5, 6}, SackBlock{7, 8}};
  uint8_t out[40];
  const std::size_t n = write_tcp_options(o, out, sizeof(out));
  TcpOptions back = parse(Bytes(out, out + n));
  EXPECT_EQ(back.sack_count, 3);
  o.timestamps.reset();
  EXPECT_EQ(parse(Bytes(out, out + write_tcp_options(o, out, sizeof(out)))).sack_count, 4);
}

TEST(TcpOptions, WindowScaleAbove14IsReadAs14) { EXPECT_EQ(parse({0x03, 0x03, 0x0f, 0x00}).window_scale, 14); }

TEST(TcpOptions, UnknownOptionsAreSkippedAndEndStops) {
  TcpOptions o = parse({0xfe, 0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0x02, 0x04, 0x02, 0x18, 0x00, 0x02, 0x04, 0x05, 0xb4});
  EXPECT_EQ(o.mss, 0x0218) << "the MSS after the EOL is not read";
}

struct Malformed {
  const char* what;
  Bytes bytes;
  TcpOptionError error;
};

TEST(TcpOptions, MalformedLayoutsAreReported) {
  const Malformed cases[] = {
      {"kind without a length byte", {0x01, 0x02}, TcpOptionError::truncated},
      {"length past the end", {0x08, 0x0a, 0x00, 0x00}, TcpOptionError::truncated},
      {"length 0 would loop forever", {0xfe, 0x00, 0x00, 0x00}, TcpOptionError::bad_length},
      {"length 1", {0xfe, 0x01, 0x00, 0x00}, TcpOptionError::bad_length},
      {"MSS of length 3", {0x02, 0x03, 0x05, 0x00}, TcpOptionError::bad_length},
      {"window scale of length 4", {0x03, 0x04, 0x07, 0x00}, TcpOptionError::bad_length},
      {"SACK-permitted of length 3", {0x04, 0x03, 0x00, 0x00}, TcpOptionError::bad_length},
      {"timestamps of length 8", {0x08, 0x08, 0, 0, 0, 0, 0, 0}, TcpOptionError::bad_length},
      {"SACK with no block", {0x05, 0x02, 0x01, 0x01}, TcpOptionError::bad_sack},
      {"SACK with half a block", {0x05, 0x06, 0, 0, 0, 1, 0, 0}, TcpOptionError::bad_sack},
      {"SACK with five blocks",
       [] {
         Bytes b(42, 0);
         b[0] = 0x05;
         b[1] = 42;
         return b;
       }(),
       TcpOptionError::bad_sack},
  };
  for (const auto& c : cases) {
    TcpOptions o;
    EXPECT_EQ(parse_tcp_options(c.bytes.data(), c.bytes.size(), &o), c.error) << c.what;
  }
}

TEST(TcpOptions, EmptyAndPaddingOnly) {
  EXPECT_EQ(parse({}), TcpOptions{});
  EXPECT_EQ(parse({0x01, 0x01, 0x01, 0x00}), TcpOptions{});
  uint8_t out[4];
  EXPECT_EQ(write_tcp_options(TcpOptions{}, out, sizeof(out)), 0u);
}

}  // namespace
}  // namespace dplb::dataplane

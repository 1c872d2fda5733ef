// The keyed pieces of the TCP handshake: SipHash against its reference
// vectors, RFC 6528 initial sequence numbers, and SYN cookies (round trip,
// ageing, forgery resistance, the options carried in timestamps).

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "dataplane/tcp/siphash.h"
#include "dataplane/tcp/syn_cookie.h"
#include "dataplane/tcp/tcp_isn.h"

namespace dplb::dataplane {
namespace {

const SipKey kReferenceKey{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};  // bytes 00..0f

TEST(SipHash, ReferenceVectors) {
  // Key 00..0f, message 00..len-1 (the algorithm's published vectors; also what
  // `openssl mac ... SIPHASH` prints, byte-reversed).
  std::vector<uint8_t> message(16);
  for (uint8_t i = 0; i < 16; ++i) message[i] = i;
  EXPECT_EQ(siphash24(kReferenceKey, message.data(), 0), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(siphash24(kReferenceKey, message.data(), 1), 0x74f839c593dc67fdull);
  EXPECT_EQ(siphash24(kReferenceKey, message.data(), 8), 0x93f5f5799a932462ull);
  EXPECT_EQ(siphash24(kReferenceKey, message.data(), 15), 0xa129ca6149be45e5ull);
}

const FourTuple kTuple{0x0a63010a, 0x0a630164, 80, 40000};

TEST(InitialSequenceNumber, GrowsWithTheClockForOneTuple) {
  const SipKey key{1, 2};
  const uint32_t a = initial_sequence_number(key, kTuple, 1'000'000);
  EXPECT_EQ(initial_sequence_number(key, kTuple, 1'000'000 + 4'000), a + 1) << "one step per 4 us";
  EXPECT_EQ(initial_sequence_number(key, kTuple, 1'000'000 + 4'000'000), a + 1000);
}

TEST(InitialSequenceNumber, DiffersAcrossTuplesAndKeys) {
  const SipKey key{1, 2};
  FourTuple other = kTuple;
  other.remote_port = 40001;
  EXPECT_NE(initial_sequence_number(key, kTuple, 0), initial_sequence_number(key, other, 0));
  EXPECT_NE(initial_sequence_number(key, kTuple, 0), initial_sequence_number(SipKey{1, 3}, kTuple, 0));
}

TEST(SynCookie, MssTable) {
  EXPECT_EQ(kCookieMss[cookie_mss_index(1460)], 1460);
  EXPECT_EQ(kCookieMss[cookie_mss_index(1459)], 1440);
  EXPECT_EQ(kCookieMss[cookie_mss_index(100)], 536);
  EXPECT_EQ(kCookieMss[cookie_mss_index(65535)], 8960);
}

TEST(SynCookie, RoundTripsEveryMssWithinItsLifetime) {
  const SipKey key{0x1234, 0x5678};
  for (uint8_t index = 0; index < 8; ++index) {
    for (uint64_t made_at : {uint64_t{0}, uint64_t{63'999'999'999}, uint64_t{1'000'000'000'000}}) {
      const uint32_t cookie = make_syn_cookie(key, kTuple, 777, made_at, index);
      for (uint64_t later : {uint64_t{0}, kCookiePeriodNs, 2 * kCookiePeriodNs - 1}) {
        EXPECT_EQ(check_syn_cookie(key, kTuple, 777, cookie, made_at + later), index)
            << "index " << int(index) << " made " << made_at << " checked +" << later;
      }
    }
  }
}

TEST(SynCookie, RejectsOldWrongTupleWrongKeyAndWrongIsn) {
  const SipKey key{0x1234, 0x5678};
  const uint32_t cookie = make_syn_cookie(key, kTuple, 777, 0, 5);
  EXPECT_FALSE(check_syn_cookie(key, kTuple, 777, cookie, 3 * kCookiePeriodNs)) << "too old";
  FourTuple other = kTuple;
  other.remote_address += 1;
  EXPECT_FALSE(check_syn_cookie(key, other, 777, cookie, 0));
  EXPECT_FALSE(check_syn_cookie(SipKey{0x1234, 0x5679}, kTuple, 777, cookie, 0));
  // The client's ISN is added linearly (as in Linux): an ISN off by a few only
  // shifts the MSS index, which gains a forger nothing without the hash; a
  // different ISN lands outside the 8 valid indices.
  EXPECT_FALSE(check_syn_cookie(key, kTuple, 777 + 100'000, cookie, 0));
}

TEST(SynCookie, ForgedCookiesAlmostNeverPass) {
  // A forged ACK passes with probability about 3 periods x 8 indices / 2^24 per
  // guess; over 200000 guesses that is about 0.3 expected acceptances.
  const SipKey key{0xdead, 0xbeef};
  std::mt19937_64 random(7);
  int accepted = 0;
  for (int i = 0; i < 200'000; ++i) {
    accepted += check_syn_cookie(key, kTuple, 777, static_cast<uint32_t>(random()), 10 * kCookiePeriodNs) ? 1 : 0;
  }
  EXPECT_LE(accepted, 5);
}

TEST(SynCookie, OptionsTravelInTheTimestamp) {
  for (const CookieOptions& o : {CookieOptions{7, true}, CookieOptions{0, false}, CookieOptions{14, true},
                                 CookieOptions{std::nullopt, true}, CookieOptions{std::nullopt, false}}) {
    const uint32_t ts = encode_cookie_timestamp(0xabcdef12, o);
    EXPECT_EQ(ts & ~uint32_t{0x1f}, 0xabcdef12u & ~uint32_t{0x1f});
    EXPECT_EQ(decode_cookie_timestamp(ts), o);
  }
}

}  // namespace
}  // namespace dplb::dataplane

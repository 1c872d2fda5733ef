#include "dataplane/tcp/syn_cookie.h"

namespace dplb::dataplane {
namespace {

constexpr uint32_t kLow24 = 0x00ffffff;
constexpr uint32_t kCounterSalt = 0x80000000;
constexpr uint32_t kNoWindowScale = 0x0f;

}  // namespace

uint8_t cookie_mss_index(uint16_t mss) {
  uint8_t index = 0;
  for (uint8_t i = 0; i < 8; ++i) {
    if (kCookieMss[i] <= mss) index = i;
  }
  return index;
}

uint32_t make_syn_cookie(const SipKey& key, const FourTuple& tuple, uint32_t client_isn, uint64_t now_ns,
                         uint8_t mss_index) {
  const uint32_t count = static_cast<uint32_t>(now_ns / kCookiePeriodNs);
  return hash_four_tuple(key, tuple, 1) + client_isn + (count << 24) +
         ((hash_four_tuple(key, tuple, kCounterSalt | count) + mss_index) & kLow24);
}

std::optional<uint8_t> check_syn_cookie(const SipKey& key, const FourTuple& tuple, uint32_t client_isn,
                                        uint32_t cookie, uint64_t now_ns) {
  const uint32_t count = static_cast<uint32_t>(now_ns / kCookiePeriodNs);
  const uint32_t value = cookie - hash_four_tuple(key, tuple, 1) - client_isn;
  const uint32_t age = (count - (value >> 24)) & 0xff;
  if (age > kCookieMaxAgePeriods) return std::nullopt;
  const uint32_t made = count - age;
  const uint32_t index = (value - (made << 24) - hash_four_tuple(key, tuple, kCounterSalt | made)) & kLow24;
  if (index >= 8) return std::nullopt;
  return static_cast<uint8_t>(index);
}

uint32_t encode_cookie_timestamp(uint32_t tsval, const CookieOptions& options) {
  const uint32_t scale = options.window_scale ? *options.window_scale : kNoWindowScale;
  return (tsval & ~uint32_t{0x1f}) | scale | (options.sack_permitted ? 0x10u : 0u);
}

CookieOptions decode_cookie_timestamp(uint32_t tsecr) {
  CookieOptions o;
  const uint32_t scale = tsecr & 0x0f;
  if (scale != kNoWindowScale) o.window_scale = static_cast<uint8_t>(scale > 14 ? 14 : scale);
  o.sack_permitted = (tsecr & 0x10) != 0;
  return o;
}

}  // namespace dplb::dataplane

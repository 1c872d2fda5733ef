#pragma once

// The retransmission timeout of RFC 6298: smoothed RTT and its variation
// from samples (taken per RFC 7323 or Karn's rule by the caller), clamped
// to the configured minimum and maximum, doubled on each expiry.

#include <cstdint>

namespace dplb::dataplane {

class RttEstimator {
 public:
  void reset(uint32_t initial_rto_us) {
    srtt_us_ = rttvar_us_ = 0;
    rto_us_ = initial_rto_us;
    sampled_ = false;
  }

  void sample(uint32_t rtt_us, uint32_t min_rto_us, uint32_t max_rto_us);
  // Exponential backoff after an expiry (RFC 6298 5.5).
  void back_off(uint32_t max_rto_us) { rto_us_ = rto_us_ >= max_rto_us / 2 ? max_rto_us : rto_us_ * 2; }

  uint32_t rto_us() const { return rto_us_; }
  uint32_t srtt_us() const { return srtt_us_; }
  uint32_t rttvar_us() const { return rttvar_us_; }
  bool sampled() const { return sampled_; }

 private:
  uint32_t srtt_us_ = 0;
  uint32_t rttvar_us_ = 0;
  uint32_t rto_us_ = 1'000'000;
  bool sampled_ = false;
};

}  // namespace dplb::dataplane

#include "dataplane/tcp/rtt_estimator.h"

#include <algorithm>

namespace dplb::dataplane {

namespace {
constexpr uint32_t kClockGranularityUs = 1000;  // G: the timer wheel ticks every millisecond
}

void RttEstimator::sample(uint32_t rtt_us, uint32_t min_rto_us, uint32_t max_rto_us) {
  if (!sampled_) {
    srtt_us_ = rtt_us;
    rttvar_us_ = rtt_us / 2;
    sampled_ = true;
  } else {
    const uint32_t delta = srtt_us_ > rtt_us ? srtt_us_ - rtt_us : rtt_us - srtt_us_;
    rttvar_us_ = (3 * static_cast<uint64_t>(rttvar_us_) + delta) / 4;
    srtt_us_ = (7 * static_cast<uint64_t>(srtt_us_) + rtt_us) / 8;
  }
  const uint64_t rto = static_cast<uint64_t>(srtt_us_) + std::max<uint64_t>(kClockGranularityUs, 4ull * rttvar_us_);
  rto_us_ = static_cast<uint32_t>(std::clamp<uint64_t>(rto, min_rto_us, max_rto_us));
}

}  // namespace dplb::dataplane

#include "dataplane/tcp/congestion_control.h"

#include <algorithm>
#include <cmath>

namespace dplb::dataplane {

namespace {
// RFC 9438 section 5: C = 0.4, beta_cubic = 0.7.
constexpr float kCubicC = 0.4f;
constexpr float kCubicBeta = 0.7f;
// Reno-friendly additive increase that matches Reno's average rate (4.3).
constexpr float kCubicAlpha = 3.0f * (1.0f - kCubicBeta) / (1.0f + kCubicBeta);
}  // namespace

void CongestionControl::init(CongestionAlgorithm algorithm, uint32_t mss) {
  algorithm_ = algorithm;
  // RFC 6928: min(10 * MSS, max(2 * MSS, 14600)).
  cwnd_ = std::min(10 * mss, std::max(2 * mss, 14600u));
  ssthresh_ = UINT32_MAX;
  bytes_acked_ = 0;
  w_max_ = k_ = w_est_ = 0;
  epoch_start_us_ = 0;
}

void CongestionControl::on_ack(uint32_t acked, uint32_t mss, uint64_t now_us, uint32_t srtt_us) {
  if (cwnd_ < ssthresh_) {
    // Slow start with appropriate byte counting (RFC 3465, L = 2 SMSS).
    cwnd_ += std::min(acked, 2 * mss);
    return;
  }
  if (algorithm_ == CongestionAlgorithm::cubic) {
    cubic_avoidance(acked, mss, now_us, srtt_us);
    return;
  }
  // NewReno: one SMSS per window's worth of acknowledged bytes.
  bytes_acked_ += acked;
  if (bytes_acked_ >= cwnd_) {
    bytes_acked_ -= cwnd_;
    cwnd_ += mss;
  }
}

void CongestionControl::cubic_avoidance(uint32_t acked, uint32_t mss, uint64_t now_us, uint32_t srtt_us) {
  const float segments = static_cast<float>(cwnd_) / static_cast<float>(mss);
  if (epoch_start_us_ == 0) {
    epoch_start_us_ = now_us == 0 ? 1 : now_us;
    if (segments < w_max_) {
      k_ = std::cbrt((w_max_ - segments) / kCubicC);
    } else {
      k_ = 0;
      w_max_ = segments;
    }
    w_est_ = segments;
  }
  // Target one RTT ahead (4.2), seconds since the epoch started.
  const float t = static_cast<float>(now_us - epoch_start_us_ + srtt_us) / 1e6f;
  const float d = t - k_;
  float target = kCubicC * d * d * d + w_max_;
  // Reno-friendly estimate (4.3).
  w_est_ += kCubicAlpha * (static_cast<float>(acked) / static_cast<float>(mss)) / segments;
  if (w_est_ > target) target = w_est_;
  target = std::clamp(target, segments, 1.5f * segments);
  // Grow by (target - cwnd) / cwnd per acknowledged segment.
  const float increase = (target - segments) / segments * (static_cast<float>(acked) / static_cast<float>(mss));
  growth_ += increase * static_cast<float>(mss);
  if (growth_ >= 1.0f) {
    const auto whole = static_cast<uint32_t>(growth_);
    cwnd_ += whole;
    growth_ -= static_cast<float>(whole);
  }
}

void CongestionControl::reduce(uint32_t mss) {
  if (algorithm_ == CongestionAlgorithm::cubic) {
    const float segments = static_cast<float>(cwnd_) / static_cast<float>(mss);
    // Fast convergence (4.7): release bandwidth to newer flows.
    w_max_ = segments < w_max_ ? segments * (1.0f + kCubicBeta) / 2.0f : segments;
    ssthresh_ = std::max(static_cast<uint32_t>(static_cast<float>(cwnd_) * kCubicBeta), 2 * mss);
    epoch_start_us_ = 0;
  }
  bytes_acked_ = 0;
  growth_ = 0;
}

void CongestionControl::on_loss(uint32_t flight, uint32_t mss) {
  if (algorithm_ == CongestionAlgorithm::newreno) {
    ssthresh_ = std::max(flight / 2, 2 * mss);
  }
  reduce(mss);
  cwnd_ = ssthresh_;
}

void CongestionControl::on_timeout(uint32_t flight, uint32_t mss) {
  if (algorithm_ == CongestionAlgorithm::newreno) {
    ssthresh_ = std::max(flight / 2, 2 * mss);
  }
  reduce(mss);
  cwnd_ = mss;
}

void CongestionControl::restore(uint32_t cwnd, uint32_t ssthresh) {
  cwnd_ = std::max(cwnd_, cwnd);
  ssthresh_ = std::max(ssthresh_, ssthresh);
  epoch_start_us_ = 0;
  bytes_acked_ = 0;
  growth_ = 0;
}

void CongestionControl::on_recovery_end(uint32_t flight, uint32_t mss) {
  // RFC 6582 3.2 step 3: deflate to ssthresh, or less when little is in flight.
  cwnd_ = std::max(std::min(ssthresh_, flight + mss), mss);
  bytes_acked_ = 0;
}

}  // namespace dplb::dataplane

#pragma once

// Congestion window growth and reduction: NewReno (RFC 5681, byte counting
// per RFC 3465 with L = 2 SMSS) and CUBIC (RFC 9438, with its Reno-friendly
// region and fast convergence). Loss recovery itself (which segments to
// send) lives in the connection; this decides only how many bytes may be
// in flight. State is inline in the connection, no allocation.

#include <cstdint>

#include "dataplane/tcp/tcp_settings.h"

namespace dplb::dataplane {

class CongestionControl {
 public:
  void init(CongestionAlgorithm algorithm, uint32_t mss);

  // New data acknowledged outside recovery.
  void on_ack(uint32_t acked_bytes, uint32_t mss, uint64_t now_us, uint32_t srtt_us);
  // Loss detected by duplicate ACKs or SACK: sets ssthresh and the window
  // recovery starts from (RFC 5681 eq. 4, RFC 9438 4.6).
  void on_loss(uint32_t flight_bytes, uint32_t mss);
  // The retransmission timer expired: back to one segment (RFC 5681 3.1).
  void on_timeout(uint32_t flight_bytes, uint32_t mss);
  // Recovery ended with a full acknowledgement.
  void on_recovery_end(uint32_t flight_bytes, uint32_t mss);
  // A reduction proved spurious: back to the window before it.
  void restore(uint32_t cwnd, uint32_t ssthresh);

  uint32_t cwnd() const { return cwnd_; }
  uint32_t ssthresh() const { return ssthresh_; }
  void set_cwnd(uint32_t bytes) { cwnd_ = bytes; }
  CongestionAlgorithm algorithm() const { return algorithm_; }

 private:
  void reduce(uint32_t mss);
  void cubic_avoidance(uint32_t acked, uint32_t mss, uint64_t now_us, uint32_t srtt_us);

  CongestionAlgorithm algorithm_ = CongestionAlgorithm::cubic;
  uint32_t cwnd_ = 0;
  uint32_t ssthresh_ = UINT32_MAX;
  uint32_t bytes_acked_ = 0;  // NewReno congestion avoidance: bytes since the last increase
  // CUBIC, in segments and microseconds.
  float w_max_ = 0;
  float k_ = 0;
  float w_est_ = 0;
  float growth_ = 0;  // fractional bytes of window growth not yet applied
  uint64_t epoch_start_us_ = 0;  // 0: no congestion-avoidance epoch yet
};

}  // namespace dplb::dataplane

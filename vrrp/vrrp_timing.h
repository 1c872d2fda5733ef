#pragma once

// The RFC timers in microseconds, with keepalived's integer arithmetic
// (VRRP_TIMER_SKEW_CALC in keepalived/include/vrrp.h) so that our backup
// times out on the same microsecond keepalived's would.

#include <cstdint>

namespace dplb::vrrp {

inline constexpr int64_t kMicrosPerCentisecond = 10'000;
inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kVrrpNever = INT64_MAX;

// Adverts a backup may miss before the master is declared down (RFC 3768 6.1,
// RFC 5798 6.1; keepalived's down_timer_adverts default).
inline constexpr int64_t kVrrpDownTimerAdverts = 3;

// Skew_Time. v2 (RFC 3768 6.1): (256 - priority) / 256 seconds, whatever the
// advert interval. v3 (RFC 5798 6.1): (256 - priority) * Master_Adver_Interval
// / 256, computed as keepalived does: (256 - p) * centiseconds * 625 / 16.
constexpr int64_t vrrp_skew_time_us(uint8_t version, uint8_t priority,
                                    uint16_t master_interval_cs) {
  const int64_t weight = 256 - static_cast<int64_t>(priority);
  if (version == 3) return weight * master_interval_cs * 625 / 16;
  return weight * kMicrosPerSecond / 256;
}

// Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
constexpr int64_t vrrp_master_down_interval_us(uint8_t version, uint8_t priority,
                                               uint16_t master_interval_cs) {
  return kVrrpDownTimerAdverts * master_interval_cs * kMicrosPerCentisecond +
         vrrp_skew_time_us(version, priority, master_interval_cs);
}

}  // namespace dplb::vrrp

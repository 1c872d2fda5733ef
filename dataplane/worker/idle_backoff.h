#pragma once

#include <cstdint>

namespace dplb::dataplane {

// How long a worker sleeps after a pass that found nothing. The first empty
// passes sleep `first_us`; the longer the worker has been idle, the longer it
// sleeps, up to `max_us`, but never more than an eighth of the time it has
// already been idle. So a packet arriving after an idle gap waits at most an
// eighth of that gap (plus one `first_us`), while a box with no traffic at
// all wakes about once per `max_us` instead of once per `first_us`.
// The first pass that finds work returns the worker to polling without sleep.
class IdleBackoff {
 public:
  // first_us 0: never sleep (pure busy polling). max_us 0 or at most
  // first_us: always sleep first_us (no backoff).
  IdleBackoff(uint32_t first_us, uint32_t max_us) : first_us_(first_us), max_us_(max_us > first_us ? max_us : first_us) {}

  // The pass handled something: poll again at once, and the next idle
  // period starts from the first sleep.
  void busy() { idle_since_us_ = kNotIdle; }

  // The pass found nothing at now_us: the microseconds to sleep now.
  uint32_t idle(uint64_t now_us);

  uint32_t first_us() const { return first_us_; }
  uint32_t max_us() const { return max_us_; }

 private:
  static constexpr uint64_t kNotIdle = ~uint64_t{0};
  uint32_t first_us_;
  uint32_t max_us_;
  uint64_t idle_since_us_ = kNotIdle;
};

}  // namespace dplb::dataplane

#include "dataplane/worker/idle_backoff.h"

namespace dplb::dataplane {

uint32_t IdleBackoff::idle(uint64_t now_us) {
  if (first_us_ == 0) return 0;
  if (idle_since_us_ == kNotIdle || now_us < idle_since_us_) idle_since_us_ = now_us;
  const uint64_t share = (now_us - idle_since_us_) / 8;
  if (share <= first_us_) return first_us_;
  return share >= max_us_ ? max_us_ : static_cast<uint32_t>(share);
}

}  // namespace dplb::dataplane

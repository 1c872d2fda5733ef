#pragma once

// The sender's record of what the peer reported holding above SND.UNA
// (RFC 6675 section 3): a few sorted, disjoint ranges. When more ranges are
// reported than fit, the highest are forgotten, which only means some data
// is sent again; SACKed data is never discarded before it is cumulatively
// acknowledged, since a receiver may renege (RFC 2018 section 8).

#include <cstdint>

#include "dataplane/tcp/tcp_options.h"

namespace dplb::dataplane {

class SackScoreboard {
 public:
  static constexpr uint8_t kRanges = 6;

  // Records a reported block; returns true if it covered anything new.
  bool add(SackBlock block, uint32_t snd_una, uint32_t snd_max);
  // Forgets everything below the new cumulative acknowledgement.
  void acknowledge(uint32_t snd_una);
  void clear() { count_ = 0; }

  bool empty() const { return count_ == 0; }
  uint32_t sacked_bytes() const;
  uint32_t highest() const { return count_ ? ranges_[count_ - 1].right : 0; }

  // RFC 6675 IsLost(): a byte is lost when at least `dup_threshold_bytes`
  // SACKed bytes lie above it. Returns the sequence below which every
  // un-SACKed byte counts as lost (snd_una when nothing does).
  uint32_t lost_below(uint32_t snd_una, uint32_t dup_threshold_bytes) const;

  // The first un-SACKed byte at or after `from` and below `limit`, and how
  // many un-SACKed bytes follow it contiguously (0 when there is none).
  uint32_t next_hole(uint32_t from, uint32_t limit, uint32_t* hole_length) const;

  // Un-SACKed bytes in [from, to).
  uint32_t unsacked_between(uint32_t from, uint32_t to) const;

  uint8_t count() const { return count_; }
  const SackBlock& range(uint8_t i) const { return ranges_[i]; }

 private:
  SackBlock ranges_[kRanges];
  uint8_t count_ = 0;
};

}  // namespace dplb::dataplane

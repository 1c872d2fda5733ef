#include "dataplane/tcp/sack_scoreboard.h"

#include "dataplane/tcp/tcp_sequence.h"

namespace dplb::dataplane {

bool SackScoreboard::add(SackBlock b, uint32_t snd_una, uint32_t snd_max) {
  // RFC 2018: ignore blocks that are malformed, at or below SND.UNA (D-SACK
  // included) or beyond what was sent.
  if (!seq_lt(b.left, b.right) || seq_le(b.right, snd_una) || seq_gt(b.right, snd_max)) return false;
  if (seq_lt(b.left, snd_una)) b.left = snd_una;
  const uint32_t before = sacked_bytes();
  // Insert and merge with every range it touches.
  SackBlock merged[kRanges + 1];
  uint8_t n = 0;
  bool placed = false;
  for (uint8_t i = 0; i < count_; ++i) {
    const SackBlock r = ranges_[i];
    if (seq_lt(r.right, b.left)) {
      merged[n++] = r;
    } else if (seq_lt(b.right, r.left)) {
      if (!placed) {
        merged[n++] = b;
        placed = true;
      }
      merged[n++] = r;
    } else {  // overlaps or touches
      b.left = seq_min(b.left, r.left);
      b.right = seq_max(b.right, r.right);
    }
  }
  if (!placed) merged[n++] = b;
  count_ = n > kRanges ? kRanges : n;  // the highest range is forgotten
  for (uint8_t i = 0; i < count_; ++i) ranges_[i] = merged[i];
  return sacked_bytes() != before;
}

void SackScoreboard::acknowledge(uint32_t snd_una) {
  uint8_t n = 0;
  for (uint8_t i = 0; i < count_; ++i) {
    SackBlock r = ranges_[i];
    if (seq_le(r.right, snd_una)) continue;
    if (seq_lt(r.left, snd_una)) r.left = snd_una;
    ranges_[n++] = r;
  }
  count_ = n;
}

uint32_t SackScoreboard::sacked_bytes() const {
  uint32_t total = 0;
  for (uint8_t i = 0; i < count_; ++i) total += ranges_[i].right - ranges_[i].left;
  return total;
}

uint32_t SackScoreboard::lost_below(uint32_t snd_una, uint32_t threshold) const {
  uint32_t above = 0;
  for (int i = count_ - 1; i >= 0; --i) {
    above += ranges_[i].right - ranges_[i].left;
    if (above >= threshold) return ranges_[i].left;
  }
  return snd_una;
}

uint32_t SackScoreboard::next_hole(uint32_t from, uint32_t limit, uint32_t* hole_length) const {
  *hole_length = 0;
  uint32_t at = from;
  for (uint8_t i = 0; i < count_; ++i) {
    const SackBlock& r = ranges_[i];
    if (seq_le(r.right, at)) continue;
    if (seq_le(r.left, at)) {  // inside a SACKed range: skip past it
      at = r.right;
      continue;
    }
    // [at, r.left) is un-SACKed.
    if (!seq_lt(at, limit)) return at;
    *hole_length = seq_min(r.left, limit) - at;
    return at;
  }
  if (seq_lt(at, limit)) *hole_length = limit - at;
  return at;
}

uint32_t SackScoreboard::unsacked_between(uint32_t from, uint32_t to) const {
  if (!seq_lt(from, to)) return 0;
  uint32_t total = to - from;
  for (uint8_t i = 0; i < count_; ++i) {
    const uint32_t l = seq_max(ranges_[i].left, from);
    const uint32_t r = seq_min(ranges_[i].right, to);
    if (seq_lt(l, r)) total -= r - l;
  }
  return total;
}

}  // namespace dplb::dataplane

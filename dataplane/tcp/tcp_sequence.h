#pragma once

// Sequence-number comparisons modulo 2^32 (RFC 9293 3.4): a is "before" b
// when b - a, taken as a signed 32-bit distance, is positive.

#include <cstdint>

namespace dplb::dataplane {

inline bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_le(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }
inline bool seq_gt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }
inline bool seq_ge(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }
inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }
// a <= s < b
inline bool seq_in(uint32_t s, uint32_t a, uint32_t b) { return seq_le(a, s) && seq_lt(s, b); }

}  // namespace dplb::dataplane

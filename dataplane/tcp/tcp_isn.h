#pragma once

// Initial sequence numbers per RFC 6528: ISN = M + F(4-tuple, secret), with
// M a clock ticking every 4 microseconds and F a keyed hash, so sequence
// numbers of new connections are unpredictable to an off-path attacker yet
// grow with time for each 4-tuple (which is what lets a new SYN reuse a
// TIME_WAIT tuple safely).

#include <cstdint>

#include "dataplane/tcp/siphash.h"

namespace dplb::dataplane {

struct FourTuple {
  uint32_t local_address = 0;  // host order
  uint32_t remote_address = 0;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
};

// Hash of the 4-tuple under `key` (also the base of SYN cookies).
uint32_t hash_four_tuple(const SipKey& key, const FourTuple& t, uint32_t salt);

// `now_ns` is the worker's clock; 4 us per step, as RFC 6528 asks.
uint32_t initial_sequence_number(const SipKey& key, const FourTuple& t, uint64_t now_ns);

}  // namespace dplb::dataplane

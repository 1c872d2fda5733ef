#pragma once

// A worker's receive burst off an in-memory wire: the due frames, parsed
// before any of them reaches the stack, as a worker's rx path does.

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/tcp/tcp_segment.h"
#include "tools/benchmarks/in_memory_wire.h"

namespace dplb::bench {

inline constexpr uint32_t kBurst = 32;  // frames per receive burst, as a worker's rx_burst

struct ReceivedBurst {
  rte_mbuf* frames[kBurst];
  dataplane::TcpSegment segments[kBurst];
  uint32_t count = 0;
};

// What parsing cost, kept apart from the stacks' figures.
struct ParseTally {
  uint64_t cycles = 0;
  uint64_t frames = 0;      // parsed and handed on
  uint64_t bad_frames = 0;  // failed to parse, freed
};

// Fills `burst` with up to kBurst frames due on `in` by `now_ns`. Returns
// the TSC reading that closed the parse time, so that the caller's stack
// time starts where parsing stopped.
uint64_t read_burst(InMemoryWire& in, uint64_t now_ns, ReceivedBurst& burst, ParseTally& tally);

}  // namespace dplb::bench

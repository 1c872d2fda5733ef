#pragma once

// What the in-memory benchmarks' TcpStacks have in common.

#include <cstdint>

#include "dataplane/tcp/tcp_settings.h"
#include "dataplane/tcp/tcp_stack.h"

namespace dplb::bench {

constexpr uint32_t ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }

inline constexpr uint32_t kClientAddress = ipv4(10, 99, 1, 100);
inline constexpr uint16_t kMss = 1460;
// Short, so that closed connections leave the tables soon on the virtual clock.
inline constexpr uint32_t kTimeWaitMs = 10;

// The defaults (256 KiB per direction, SACK, timestamps, window scaling,
// CUBIC, 40 ms delayed ACK) with the short TIME_WAIT.
inline dataplane::TcpSettings bench_tcp_settings() {
  dataplane::TcpSettings s;
  s.time_wait_ms = kTimeWaitMs;
  return s;
}

// A single-worker identity whose secret follows from `seed`, so that runs
// repeat.
inline dataplane::TcpStackIdentity bench_stack_identity(uint64_t seed) {
  return dataplane::TcpStackIdentity{0, 1, {seed ^ 0x5eed, seed * 31 + 7}};
}

}  // namespace dplb::bench

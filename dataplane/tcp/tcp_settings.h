#pragma once

// How a worker's TCP stack behaves: limits, timers and options, filled from
// the [tcp] table of the configuration. TcpConnectionOptions is the part a
// frontend or backend may set differently for its own connections.

#include <cstdint>

namespace dplb::dataplane {

enum class CongestionAlgorithm : uint8_t { cubic, newreno };

struct TcpKeepalive {
  bool enabled = false;
  uint32_t idle_ms = 7'200'000;
  uint32_t interval_ms = 75'000;
  uint32_t probes = 9;
};

struct TcpConnectionOptions {
  CongestionAlgorithm congestion = CongestionAlgorithm::cubic;
  TcpKeepalive keepalive;
};

struct TcpSettings {
  uint32_t max_connections = 65536;       // per worker, TIME_WAIT included
  uint32_t connection_buffer = 262144;    // bytes per direction per connection
  uint64_t worker_buffer = 256ull << 20;  // payload bytes buffered by the whole worker
  uint32_t syn_backlog = 1024;            // half-open connections per listener
  bool syn_cookies = true;
  uint32_t min_rto_ms = 200;
  uint32_t initial_rto_ms = 1000;
  uint32_t max_rto_ms = 120'000;
  uint32_t delayed_ack_ms = 40;  // 0: acknowledge every segment at once
  uint32_t time_wait_ms = 60'000;
  uint32_t fin_wait_2_ms = 60'000;
  uint32_t syn_retries = 6;
  uint32_t retries = 15;
  uint32_t orphan_retries = 8;  // probes or retransmissions for a connection its application has closed
  bool sack = true;
  bool timestamps = true;
  bool window_scaling = true;
  uint16_t local_port_first = 32768;
  uint16_t local_port_last = 60999;
  uint32_t challenge_ack_limit = 1000;  // per second
  TcpConnectionOptions defaults;
};

}  // namespace dplb::dataplane

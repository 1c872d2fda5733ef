#pragma once

// One live client session as `show sess` lists it; workers fill an array of
// these in a buffer the control plane lends them.

#include <cstdint>

namespace dplb::dataplane {

struct ProxySessionInfo {
  uint32_t client_address = 0;  // host order
  uint16_t client_port = 0;
  uint16_t frontend = 0;
  uint16_t backend = 0xffff;
  uint16_t server = 0xffff;
  uint32_t local_address = 0;
  uint16_t local_port = 0;
  uint8_t phase = 0;            // see proxy_phase_name
  uint8_t worker = 0;
  uint32_t requests = 0;
  uint64_t age_ms = 0;
  uint64_t idle_ms = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

inline const char* proxy_phase_name(uint8_t phase) {
  static const char* const names[] = {"request", "queued", "connecting", "exchanging", "tunnel", "retry-wait"};
  return phase < 6 ? names[phase] : "?";
}

}  // namespace dplb::dataplane

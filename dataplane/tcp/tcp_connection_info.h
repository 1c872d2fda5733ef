#pragma once

// One line of `show tcp connections`, copied out by the worker that owns
// the connection into a buffer the control plane handed over.

#include <cstdint>

#include "dataplane/tcp/tcp_state.h"
#include "dataplane/tcp/tcp_isn.h"

namespace dplb::dataplane {

struct TcpConnectionInfo {
  FourTuple tuple;
  TcpState state = TcpState::closed;
  uint16_t mss = 0;
  uint32_t send_queued = 0;
  uint32_t readable = 0;
  uint32_t cwnd = 0;
  uint32_t peer_window = 0;
  uint32_t srtt_us = 0;
  uint32_t rto_us = 0;
  uint32_t retransmits = 0;
};

}  // namespace dplb::dataplane

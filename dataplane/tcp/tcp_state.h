#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dplb::dataplane {

// The states of RFC 9293 section 3.3.2. LISTEN belongs to listeners, which
// are not connections, so no connection is ever in it.
enum class TcpState : uint8_t {
  closed,
  listen,
  syn_sent,
  syn_received,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
  count_,
};

inline constexpr std::size_t kTcpStateCount = static_cast<std::size_t>(TcpState::count_);

// Operator-facing names as netstat prints them ("ESTABLISHED" -> "established").
std::string_view tcp_state_name(TcpState state);

// States in which both sides' sequence numbers are known.
inline bool tcp_synchronized(TcpState s) { return s >= TcpState::established; }

}  // namespace dplb::dataplane

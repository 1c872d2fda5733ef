#include "dataplane/tcp/tcp_state.h"

namespace dplb::dataplane {

std::string_view tcp_state_name(TcpState state) {
  switch (state) {
    case TcpState::closed: return "closed";
    case TcpState::listen: return "listen";
    case TcpState::syn_sent: return "syn-sent";
    case TcpState::syn_received: return "syn-received";
    case TcpState::established: return "established";
    case TcpState::fin_wait_1: return "fin-wait-1";
    case TcpState::fin_wait_2: return "fin-wait-2";
    case TcpState::close_wait: return "close-wait";
    case TcpState::closing: return "closing";
    case TcpState::last_ack: return "last-ack";
    case TcpState::time_wait: return "time-wait";
    case TcpState::count_: break;
  }
  return "?";
}

}  // namespace dplb::dataplane
